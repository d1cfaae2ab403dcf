//! The part of Solr's query syntax that CKAN clients and harvesters send in `q` and `fq`:
//! `field:value`, `field:"quoted value"`, `-field:value`, `+field:value`, `A OR B`, ranges
//! `field:[A TO *]`, bare words, and `*:*`. Terms side by side must all hold. Dates may use
//! Solr's date math (`NOW-1DAY`, `NOW/DAY`, `2025-01-01T00:00:00Z+1MONTH`), resolved against
//! the `now` the caller gives (`Query::parse_at`). A text field (`Searchable::is_text`: CKAN's
//! `title`, `notes`, `text`) matches a value it contains, as Solr's tokenised fields do; other
//! fields match whole values.
//!
//! A dataset is matched through `Searchable`, so this module knows nothing of CKAN's dicts.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, Timelike};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Exact(String),
    /// Inclusive bounds; `None` is `*`.
    Range(Option<String>, Option<String>),
    /// `field:*`: the field has any value.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `*:*`
    All,
    Field {
        field: String,
        value: Value,
    },
    Word(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// Any of these holds (one element unless joined by `OR`).
    pub any_of: Vec<Term>,
    pub negated: bool,
}

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query(pub Vec<Clause>);

/// What a query is matched against.
pub trait Searchable {
    /// The values of a field (empty when the field is unknown or unset).
    fn values(&self, field: &str) -> Vec<String>;
    /// The free text bare words are looked for in (lower-case).
    fn text(&self) -> String;
    /// Whether a field is tokenised text (matched by containment), not a whole value.
    fn is_text(&self, _field: &str) -> bool {
        false
    }
}

/// Solr's date math: an anchor (`NOW` or an ISO instant ending in `Z`) followed by
/// `+N UNIT`, `-N UNIT` and `/UNIT` (round down) steps, as an instant in the form `compare`
/// reads. `None`: not date math (taken as written); `Some(Err)`: date math that is wrong.
pub fn date_math(raw: &str, now: NaiveDateTime) -> Option<Result<String, &'static str>> {
    let (anchor, mut ops) = if let Some(rest) = raw.strip_prefix("NOW") {
        (now, rest)
    } else {
        let z = raw.find('Z')?;
        let rest = &raw[z + 1..];
        if rest.is_empty() || !rest.starts_with(['+', '-', '/']) {
            return None;
        }
        (as_instant(&raw[..=z])?, rest)
    };
    let mut t = anchor;
    while !ops.is_empty() {
        let Some(op) = ops.chars().next() else { break };
        ops = &ops[1..];
        let digits = ops.chars().take_while(char::is_ascii_digit).count();
        let (n, rest) = ops.split_at(digits);
        let letters = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let (unit, rest) = rest.split_at(letters);
        ops = rest;
        let step = match op {
            '/' if n.is_empty() => round_down(t, unit),
            '+' | '-' if !n.is_empty() => n.parse::<u32>().ok().and_then(|n| {
                shift(
                    t,
                    if op == '-' {
                        -i64::from(n)
                    } else {
                        i64::from(n)
                    },
                    unit,
                )
            }),
            _ => None,
        };
        match step {
            Some(next) => t = next,
            None => return Some(Err("bad_date_math")),
        }
    }
    Some(Ok(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()))
}

fn unit_of(u: &str) -> Option<&'static str> {
    Some(match u.to_ascii_uppercase().trim_end_matches('S') {
        "YEAR" => "Y",
        "MONTH" => "M",
        "DAY" | "DATE" => "D",
        "HOUR" => "h",
        "MINUTE" => "m",
        "SECOND" => "s",
        "MILLI" | "MILLISECOND" => "ms",
        _ => return None,
    })
}

fn shift(t: NaiveDateTime, n: i64, unit: &str) -> Option<NaiveDateTime> {
    let months = |m: i64| {
        let abs = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m < 0 {
            t.checked_sub_months(abs)
        } else {
            t.checked_add_months(abs)
        }
    };
    match unit_of(unit)? {
        "Y" => months(n.checked_mul(12)?),
        "M" => months(n),
        "D" => t.checked_add_signed(Duration::try_days(n)?),
        "h" => t.checked_add_signed(Duration::try_hours(n)?),
        "m" => t.checked_add_signed(Duration::try_minutes(n)?),
        "s" => t.checked_add_signed(Duration::try_seconds(n)?),
        _ => t.checked_add_signed(Duration::try_milliseconds(n)?),
    }
}

fn round_down(t: NaiveDateTime, unit: &str) -> Option<NaiveDateTime> {
    let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
    match unit_of(unit)? {
        "Y" => day(NaiveDate::from_ymd_opt(t.year(), 1, 1)?),
        "M" => day(NaiveDate::from_ymd_opt(t.year(), t.month(), 1)?),
        "D" => day(t.date()),
        "h" => t.date().and_hms_opt(t.hour(), 0, 0),
        "m" => t.date().and_hms_opt(t.hour(), t.minute(), 0),
        "s" => t.with_nanosecond(0),
        _ => t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000),
    }
}

fn tokens(s: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut bracket = 0i32;
    // inside `field:( ... )`, kept as one token and spread into alternatives later
    let mut group = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '[' | '{' if !quoted => {
                bracket += 1;
                cur.push(c);
            }
            ']' | '}' if !quoted => {
                bracket -= 1;
                cur.push(c);
            }
            '(' if !quoted && bracket == 0 => {
                if cur.ends_with(':') {
                    group = true;
                    cur.push(c);
                } else if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            ')' if !quoted && bracket == 0 => {
                if group {
                    group = false;
                    cur.push(c);
                }
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c if c.is_whitespace() && !quoted && bracket == 0 && !group => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted || bracket != 0 || group {
        return Err("unbalanced");
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].to_string()
    } else {
        v.replace('\\', "")
    }
}

/// A value as written, or the instant its date math names.
fn resolved(v: String, now: Option<NaiveDateTime>) -> Result<String, &'static str> {
    match now.and_then(|now| date_math(&v, now)) {
        None => Ok(v),
        Some(r) => r,
    }
}

fn parse_value(raw: &str, now: Option<NaiveDateTime>) -> Result<Value, &'static str> {
    let raw = raw.trim();
    if raw == "*" {
        return Ok(Value::Any);
    }
    if (raw.starts_with('[') || raw.starts_with('{')) && (raw.ends_with(']') || raw.ends_with('}'))
    {
        let inner = &raw[1..raw.len() - 1];
        let (lo, hi) = inner.split_once(" TO ").ok_or("bad_range")?;
        let bound = |b: &str| {
            let b = b.trim();
            (b != "*").then(|| resolved(unquote(b), now)).transpose()
        };
        return Ok(Value::Range(bound(lo)?, bound(hi)?));
    }
    Ok(Value::Exact(resolved(unquote(raw), now)?))
}

fn parse_terms(tok: &str, now: Option<NaiveDateTime>) -> Result<Vec<Term>, &'static str> {
    if tok == "*:*" || tok == "*" {
        return Ok(vec![Term::All]);
    }
    match tok.split_once(':') {
        Some((field, value)) if !field.is_empty() && !field.starts_with('"') => {
            if let Some(group) = value.strip_prefix('(').and_then(|v| v.strip_suffix(')')) {
                return group
                    .split(" OR ")
                    .map(|v| {
                        Ok(Term::Field {
                            field: field.to_string(),
                            value: parse_value(v, now)?,
                        })
                    })
                    .collect();
            }
            Ok(vec![Term::Field {
                field: field.to_string(),
                value: parse_value(value, now)?,
            }])
        }
        _ => Ok(vec![Term::Word(unquote(tok).to_lowercase())]),
    }
}

/// The longest `q` or `fq` accepted, in characters. Real clients send a few words and a
/// date range; a longer query only makes the server work.
pub const MAX_QUERY_CHARS: usize = 1000;
/// The most terms (words, `field:value` pairs, operators) in one `q` or `fq`.
pub const MAX_QUERY_TERMS: usize = 32;

impl Query {
    /// Parses `q` or one `fq`. An empty string matches everything. A query longer than
    /// `MAX_QUERY_CHARS` or with more than `MAX_QUERY_TERMS` terms is refused before any of
    /// it is parsed: matching is linear in the terms for every dataset, with no await inside.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::parse_with(s, None)
    }

    /// `parse`, with Solr's date math (`NOW-1DAY`, `NOW/DAY`) resolved against `now` (UTC).
    pub fn parse_at(s: &str, now: NaiveDateTime) -> Result<Self, &'static str> {
        Self::parse_with(s, Some(now))
    }

    fn parse_with(s: &str, now: Option<NaiveDateTime>) -> Result<Self, &'static str> {
        if s.chars().count() > MAX_QUERY_CHARS {
            return Err("too_long");
        }
        let toks = tokens(s)?;
        if toks.len() > MAX_QUERY_TERMS {
            return Err("too_many_terms");
        }
        let mut clauses: Vec<Clause> = Vec::new();
        let mut join_next = false;
        for tok in toks {
            match tok.as_str() {
                "OR" | "||" => {
                    if clauses.is_empty() {
                        return Err("dangling_or");
                    }
                    join_next = true;
                    continue;
                }
                "AND" | "&&" => continue,
                _ => {}
            }
            let (negated, body) = if let Some(b) = tok.strip_prefix('-') {
                (true, b)
            } else if let Some(b) = tok.strip_prefix('+') {
                (false, b)
            } else if let Some(b) = tok.strip_prefix('!') {
                (true, b)
            } else {
                (false, tok.as_str())
            };
            if body.is_empty() {
                continue;
            }
            let terms = parse_terms(body, now)?;
            match clauses.last_mut() {
                Some(last) if join_next && !negated && !last.negated => {
                    last.any_of.extend(terms);
                }
                _ => clauses.push(Clause {
                    any_of: terms,
                    negated,
                }),
            }
            join_next = false;
        }
        if join_next {
            return Err("dangling_or");
        }
        Ok(Self(clauses))
    }

    pub fn and(mut self, other: Query) -> Self {
        self.0.extend(other.0);
        self
    }

    /// The fields the query names (to refuse those the catalogue does not have).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().flat_map(|c| {
            c.any_of.iter().filter_map(|t| match t {
                Term::Field { field, .. } => Some(field.as_str()),
                _ => None,
            })
        })
    }

    /// How many terms the query holds (several `fq` joined with `and` add up).
    pub fn terms(&self) -> usize {
        self.0.iter().map(|c| c.any_of.len()).sum()
    }

    pub fn matches(&self, doc: &impl Searchable) -> bool {
        // the document's text is built and lower-cased once, not once per word
        let text = std::cell::OnceCell::new();
        self.0.iter().all(|c| {
            let hit = c.any_of.iter().any(|t| term_matches(t, doc, &text));
            hit != c.negated
        })
    }
}

fn as_instant(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    let s = s.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// Dates compare as instants (the harvester sends `...Z`, CKAN stores naive UTC), numbers as
/// numbers, anything else as text.
fn compare(a: &str, b: &str) -> Ordering {
    if let (Some(x), Some(y)) = (as_instant(a), as_instant(b)) {
        return x.cmp(&y);
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    a.cmp(b)
}

fn term_matches(t: &Term, doc: &impl Searchable, text: &std::cell::OnceCell<String>) -> bool {
    match t {
        Term::All => true,
        Term::Word(w) => text.get_or_init(|| doc.text()).contains(w.as_str()),
        Term::Field { field, value } => {
            let values = doc.values(field);
            match value {
                Value::Any => !values.is_empty(),
                Value::Exact(want) if doc.is_text(field) => {
                    let want = want.to_lowercase();
                    values.iter().any(|v| v.to_lowercase().contains(&want))
                }
                Value::Exact(want) => values.iter().any(|v| v.eq_ignore_ascii_case(want)),
                Value::Range(lo, hi) => values.iter().any(|v| {
                    lo.as_deref()
                        .is_none_or(|l| compare(v, l) != Ordering::Less)
                        && hi
                            .as_deref()
                            .is_none_or(|h| compare(v, h) != Ordering::Greater)
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Doc {
        org: &'static str,
        tags: Vec<&'static str>,
        modified: &'static str,
        text: &'static str,
    }

    impl Searchable for Doc {
        fn values(&self, field: &str) -> Vec<String> {
            match field {
                "organization" => vec![self.org.into()],
                "tags" => self.tags.iter().map(|t| t.to_string()).collect(),
                "metadata_modified" => vec![self.modified.into()],
                "title" => vec!["Anggaran Pendapatan Daerah".into()],
                _ => vec![],
            }
        }
        fn is_text(&self, field: &str) -> bool {
            field == "title"
        }
        fn text(&self) -> String {
            self.text.to_lowercase()
        }
    }

    fn doc() -> Doc {
        Doc {
            org: "bappeda",
            tags: vec!["anggaran", "APBD 2025"],
            modified: "2025-01-02T03:04:05.123456",
            text: "Anggaran Pendapatan dan Belanja Daerah",
        }
    }

    fn m(q: &str) -> bool {
        Query::parse(q).unwrap().matches(&doc())
    }

    #[test]
    fn what_harvesters_send() {
        assert!(m(""));
        assert!(m("*:*"));
        assert!(m("organization:bappeda"));
        assert!(!m("organization:dinkes"));
        assert!(m("organization:dinkes OR organization:bappeda"));
        assert!(!m("-organization:bappeda -organization:dinkes"));
        assert!(m("-organization:dinkes"));
        assert!(m("+organization:bappeda"));
        assert!(m(
            "organization:bappeda metadata_modified:[2025-01-01T00:00:00Z TO *]"
        ));
        assert!(m("metadata_modified:[2025-01-02T02:04:05.123456Z TO *]"));
        assert!(!m("metadata_modified:[2025-01-02T03:04:06Z TO *]"));
        assert!(m("metadata_modified:[* TO 2025-01-03]"));
        assert!(m("tags:\"APBD 2025\""));
        assert!(m("tags:(foo OR anggaran)"));
        assert!(m("organization:*"));
        assert!(!m("groups:*"));
    }

    #[test]
    fn words_are_all_required() {
        assert!(m("anggaran belanja"));
        assert!(!m("anggaran kesehatan"));
        assert!(m("anggaran OR kesehatan"));
    }

    #[test]
    fn huge_queries_are_refused_before_parsing() {
        let many = vec!["kata"; MAX_QUERY_TERMS + 1].join(" ");
        assert_eq!(Query::parse(&many), Err("too_many_terms"));
        let fine = vec!["kata"; MAX_QUERY_TERMS].join(" ");
        assert!(Query::parse(&fine).is_ok());
        assert_eq!(
            Query::parse(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err("too_long")
        );
        assert_eq!(
            Query::parse(&"anggaran ".repeat(1_000_000)),
            Err("too_long")
        );
    }

    #[test]
    fn broken_queries_are_errors() {
        assert!(Query::parse("tags:\"open").is_err());
        assert!(Query::parse("metadata_modified:[2025 TO").is_err());
        assert!(Query::parse("OR tags:x").is_err());
        assert!(Query::parse("metadata_modified:[2025-01-01]").is_err());
    }

    #[test]
    fn text_fields_match_what_they_contain() {
        assert!(m("title:pendapatan"));
        assert!(m("title:\"pendapatan daerah\""));
        assert!(!m("title:kesehatan"));
        // whole-value fields still want the whole value
        assert!(!m("organization:bapp"));
    }

    #[test]
    fn date_math_is_resolved_against_now() {
        let now = NaiveDate::from_ymd_opt(2025, 1, 3)
            .and_then(|d| d.and_hms_opt(10, 30, 0))
            .unwrap();
        let at = |q: &str| Query::parse_at(q, now).unwrap().matches(&doc());
        // modified 2025-01-02T03:04:05
        assert!(at("metadata_modified:[NOW-2DAYS TO NOW]"));
        assert!(!at("metadata_modified:[NOW-1DAY TO NOW]"));
        assert!(at("metadata_modified:[NOW/DAY-1DAY TO *]"));
        assert!(!at("metadata_modified:[NOW/DAY TO *]"));
        assert!(at("metadata_modified:[NOW/MONTH TO NOW+1YEAR]"));
        assert!(at("metadata_modified:[2025-01-01T00:00:00Z+1DAY TO *]"));
        assert!(!at("metadata_modified:[2025-01-01T00:00:00Z+2DAYS TO *]"));
        assert_eq!(
            date_math("NOW/DAY-1DAY", now),
            Some(Ok("2025-01-02T00:00:00.000000Z".into()))
        );
        assert_eq!(date_math("NOW-1FORTNIGHT", now), Some(Err("bad_date_math")));
        assert_eq!(date_math("2025-01-01", now), None);
        assert!(Query::parse_at("metadata_modified:[NOW-1WEEK TO *]", now).is_err());
    }
}
