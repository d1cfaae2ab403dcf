//! Tabular resources: a CSV checked and typed on upload, and the DataStore queries (CKAN's
//! `datastore_search`) that page, filter and sort it for previews and the Data API.

use crate::FieldErrors;
use serde::Serialize;
use std::cmp::Ordering;

/// A column's type as CKAN's DataStore names it (`ckanapi` maps these to datapackage types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColumnType {
    Int,
    Numeric,
    Timestamp,
    Text,
}

impl ColumnType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Numeric => "numeric",
            Self::Timestamp => "timestamp",
            Self::Text => "text",
        }
    }

    /// The type a stored name names.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        [Self::Int, Self::Numeric, Self::Timestamp, Self::Text]
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or("invalid_choice")
    }

    fn fits(self, v: &str) -> bool {
        match self {
            Self::Int => v.parse::<i64>().is_ok(),
            Self::Numeric => v.parse::<f64>().is_ok_and(f64::is_finite),
            Self::Timestamp => {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()
                    || chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S").is_ok()
                    || chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").is_ok()
                    || chrono::DateTime::parse_from_rfc3339(v).is_ok()
            }
            Self::Text => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
}

/// A table: named, typed columns and rows of text cells (empty = no value).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Each row's cells lower-cased and joined, made by the first search with words and kept
    /// with the (cached) table: words are then looked for without lower-casing every cell
    /// for every word of every query.
    #[serde(skip)]
    lowered: std::sync::OnceLock<Vec<String>>,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns && self.rows == other.rows
    }
}

/// Between cells in `Table::lowered`, so a word does not match across two cells.
const CELL_SEPARATOR: char = '\u{1f}';

/// Why a CSV was refused, with the line (1-based, the header is line 1) where that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    pub code: &'static str,
    pub line: Option<u64>,
}

fn problem(code: &'static str, line: Option<u64>) -> CsvProblem {
    CsvProblem { code, line }
}

impl Table {
    /// Builds a table whose columns are typed from their values.
    pub fn new(names: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        let columns = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let values = || {
                    rows.iter()
                        .filter_map(|r| r.get(i))
                        .filter(|v| !v.is_empty())
                };
                let kind = [ColumnType::Int, ColumnType::Numeric, ColumnType::Timestamp]
                    .into_iter()
                    .find(|k| values().next().is_some() && values().all(|v| k.fits(v)))
                    .unwrap_or(ColumnType::Text);
                Column { name, kind }
            })
            .collect();
        Self {
            columns,
            rows,
            lowered: std::sync::OnceLock::new(),
        }
    }

    /// Reads a CSV upload: UTF-8 (a byte-order mark is dropped), a header row of distinct
    /// names, every row as long as the header. Semicolons are taken as the separator when the
    /// header has more of them than commas (spreadsheets set to Indonesian export that way).
    pub fn from_csv(bytes: &[u8]) -> Result<Self, CsvProblem> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1;
            problem("csv_not_utf8", Some(line))
        })?;
        let delimiter = guess_delimiter(text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|_| problem("csv_no_header", Some(1)))?
            .iter()
            .map(|h| clean(h).to_string())
            .collect();
        if headers.is_empty() || headers.iter().all(String::is_empty) {
            return Err(problem("csv_no_header", Some(1)));
        }
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() || headers[..i].contains(h) || h == "_id" {
                return Err(problem("csv_bad_header", Some(1)));
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            match record {
                Ok(r) => rows.push(r.iter().map(|v| clean(v).to_string()).collect()),
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    return Err(match e.kind() {
                        csv::ErrorKind::UnequalLengths { .. } => problem("csv_ragged_row", line),
                        _ => problem("csv_unreadable", line),
                    });
                }
            }
        }
        Ok(Self::new(headers, rows))
    }

    /// The table as a UTF-8 CSV with a header row, comma-separated. When a value holds a
    /// semicolon, text values are quoted, so that the file is never taken for a
    /// semicolon-separated one when it is read again. Cells a spreadsheet would run as a
    /// formula are written as text (`csv_cell::safe`).
    pub fn to_csv(&self) -> Vec<u8> {
        let has_semicolon = self.columns.iter().any(|c| c.name.contains(';'))
            || self.rows.iter().flatten().any(|v| v.contains(';'));
        let mut w = csv::WriterBuilder::new()
            .quote_style(if has_semicolon {
                csv::QuoteStyle::NonNumeric
            } else {
                csv::QuoteStyle::Necessary
            })
            .from_writer(Vec::new());
        let _ = crate::csv_cell::write_record(&mut w, self.columns.iter().map(|c| &c.name));
        for r in &self.rows {
            let _ = crate::csv_cell::write_record(&mut w, r);
        }
        w.into_inner().unwrap_or_default()
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// A cell as JSON: numbers as numbers, empty cells as null.
    pub fn json_value(&self, col: usize, v: &str) -> serde_json::Value {
        if v.is_empty() {
            return serde_json::Value::Null;
        }
        match self.columns.get(col).map(|c| c.kind) {
            Some(ColumnType::Int) => v
                .parse::<i64>()
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| v.into()),
            Some(ColumnType::Numeric) => v
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| v.into()),
            _ => v.into(),
        }
    }
}

/// A value without surrounding blanks, nor the byte-order marks some tools repeat inside a
/// file (one at its very start is dropped before reading).
fn clean(v: &str) -> &str {
    v.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// The separator of a CSV: a semicolon when the header line (the first that is not blank,
/// as the reader skips blank lines) has more of them than commas outside quotes
/// (spreadsheets set to Indonesian export that way), else a comma.
fn guess_delimiter(text: &str) -> u8 {
    let header = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let (mut quoted, mut commas, mut semicolons) = (false, 0, 0);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// `_id`, CKAN's row number (1-based), is a column of every DataStore table.
pub const ROW_ID: &str = "_id";

/// A `datastore_search` call, checked against nothing yet: `Table::search` names what does
/// not fit the table.
#[derive(Debug, Clone, Default)]
pub struct DatastoreQuery {
    /// Each column's accepted values (equality; several values = any of them).
    pub filters: Vec<(String, Vec<String>)>,
    /// Words every matching row contains somewhere (case-insensitive).
    pub q: Option<String>,
    /// `q` as a JSON object (CKAN's per-field search): each column's cell contains all of
    /// its words (case-insensitive).
    pub q_fields: Vec<(String, String)>,
    /// Only the first of rows whose returned cells are the same (CKAN's `distinct`).
    pub distinct: bool,
    /// Columns to return, in this order; `None`: all.
    pub fields: Option<Vec<String>>,
    /// `(column, descending)` pairs.
    pub sort: Vec<(String, bool)>,
    pub offset: usize,
    pub limit: usize,
}

/// Parses CKAN's `sort` (`"tahun desc, nama"`), refusing what CKAN refuses: a direction
/// other than `asc` or `desc`, or anything after it. The error names the part.
pub fn check_sort(raw: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    for part in raw.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            [col] => out.push((col.trim_matches('"').to_string(), false)),
            [col, dir] if dir.eq_ignore_ascii_case("asc") || dir.eq_ignore_ascii_case("desc") => {
                out.push((
                    col.trim_matches('"').to_string(),
                    dir.eq_ignore_ascii_case("desc"),
                ));
            }
            _ => {
                return Err(format!(
                    "Invalid sort \"{}\": use a field name followed by asc or desc",
                    part.trim()
                ))
            }
        }
    }
    Ok(out)
}

/// Parses CKAN's `sort` (`"tahun desc, nama"`) leniently: an unknown direction is ascending.
pub fn parse_sort(raw: &str) -> Vec<(String, bool)> {
    raw.split(',')
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let col = words.next()?.trim_matches('"').to_string();
            let desc = words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            Some((col, desc))
        })
        .collect()
}

/// The rows a query selects: the chosen columns, each row with its `_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Indices into the table's columns, `None` for `_id`.
    pub columns: Vec<Option<usize>>,
    pub rows: Vec<(usize, Vec<String>)>,
    pub total: usize,
}

impl Table {
    fn compare(
        &self,
        col: Option<usize>,
        a: (usize, &[String]),
        b: (usize, &[String]),
    ) -> Ordering {
        let Some(c) = col else {
            return a.0.cmp(&b.0);
        };
        let (x, y) = (
            a.1.get(c).map(String::as_str).unwrap_or_default(),
            b.1.get(c).map(String::as_str).unwrap_or_default(),
        );
        match self.columns[c].kind {
            ColumnType::Int | ColumnType::Numeric => {
                let (fx, fy) = (x.parse::<f64>().ok(), y.parse::<f64>().ok());
                fx.partial_cmp(&fy).unwrap_or(Ordering::Equal)
            }
            _ => x.cmp(y),
        }
    }

    fn resolve(&self, name: &str, field: &str, e: &mut FieldErrors) -> Option<Option<usize>> {
        if name == ROW_ID {
            return Some(None);
        }
        match self.column(name) {
            Some(i) => Some(Some(i)),
            None => {
                e.add(field, "unknown_column");
                None
            }
        }
    }

    /// `q` as an object: each column with its lower-case words, bounded like a plain `q`.
    fn field_words(
        &self,
        q_fields: &[(String, String)],
        e: &mut FieldErrors,
    ) -> Vec<(Option<usize>, Vec<String>)> {
        let chars: usize = q_fields.iter().map(|(k, v)| k.len() + v.len()).sum();
        if chars > super::query::MAX_QUERY_CHARS || q_fields.len() > super::query::MAX_QUERY_TERMS {
            e.add("q", "query_too_long");
            return Vec::new();
        }
        let out: Vec<(Option<usize>, Vec<String>)> = q_fields
            .iter()
            .filter_map(|(name, text)| {
                let col = self.resolve(name, "q", e)?;
                Some((
                    col,
                    text.split_whitespace().map(str::to_lowercase).collect(),
                ))
            })
            .collect();
        if out.iter().map(|(_, w)| w.len()).sum::<usize>() > super::query::MAX_QUERY_TERMS {
            e.add("q", "query_too_long");
        }
        out
    }

    /// Runs a DataStore query. Unknown columns in `filters`, `fields` or `sort` are errors on
    /// that parameter (CKAN answers them with a validation error).
    pub fn search(&self, q: &DatastoreQuery) -> Result<Selection, FieldErrors> {
        let mut e = FieldErrors::new();
        let filters: Vec<(Option<usize>, &Vec<String>)> = q
            .filters
            .iter()
            .filter_map(|(name, values)| Some((self.resolve(name, "filters", &mut e)?, values)))
            .collect();
        let columns: Vec<Option<usize>> = match &q.fields {
            Some(names) => names
                .iter()
                .filter_map(|n| self.resolve(n.trim(), "fields", &mut e))
                .collect(),
            None => std::iter::once(None)
                .chain((0..self.columns.len()).map(Some))
                .collect(),
        };
        let sort: Vec<(Option<usize>, bool)> = q
            .sort
            .iter()
            .filter_map(|(name, desc)| Some((self.resolve(name, "sort", &mut e)?, *desc)))
            .collect();
        let q_fields = self.field_words(&q.q_fields, &mut e);
        let raw_q = q.q.as_deref().unwrap_or_default();
        let words: Vec<String> = raw_q
            .split_whitespace()
            .map(|w| w.replace(CELL_SEPARATOR, "").to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        if raw_q.chars().count() > super::query::MAX_QUERY_CHARS
            || words.len() > super::query::MAX_QUERY_TERMS
        {
            e.add("q", "query_too_long");
        }
        if q.filters.len() > super::query::MAX_QUERY_TERMS
            || q.filters.iter().map(|(_, v)| v.len()).sum::<usize>()
                > super::query::MAX_QUERY_TERMS * 4
        {
            e.add("filters", "too_many_filters");
        }
        if !e.is_empty() {
            return Err(e);
        }
        let lowered: &[String] = if words.is_empty() {
            &[]
        } else {
            self.lowered.get_or_init(|| {
                self.rows
                    .iter()
                    .map(|r| r.join(&CELL_SEPARATOR.to_string()).to_lowercase())
                    .collect()
            })
        };
        let mut hits: Vec<(usize, &Vec<String>)> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .filter(|(id, r)| {
                filters.iter().all(|(col, values)| {
                    let v = match col {
                        Some(c) => r.get(*c).cloned().unwrap_or_default(),
                        None => id.to_string(),
                    };
                    values.contains(&v)
                })
            })
            .filter(|(id, _)| {
                words.is_empty()
                    || lowered
                        .get(id - 1)
                        .is_some_and(|row| words.iter().all(|w| row.contains(w.as_str())))
            })
            .filter(|(id, r)| {
                q_fields.iter().all(|(col, words)| {
                    let cell = match col {
                        Some(c) => r.get(*c).map(|v| v.to_lowercase()).unwrap_or_default(),
                        None => id.to_string(),
                    };
                    words.iter().all(|w| cell.contains(w.as_str()))
                })
            })
            .collect();
        if !sort.is_empty() {
            hits.sort_by(|a, b| {
                for (col, desc) in &sort {
                    let o = self.compare(*col, (a.0, a.1), (b.0, b.1));
                    let o = if *desc { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.0.cmp(&b.0)
            });
        }
        let project = |id: usize, r: &Vec<String>| -> Vec<String> {
            columns
                .iter()
                .map(|c| match c {
                    Some(c) => r.get(*c).cloned().unwrap_or_default(),
                    None => id.to_string(),
                })
                .collect()
        };
        if q.distinct {
            let mut seen = std::collections::HashSet::new();
            hits.retain(|(id, r)| seen.insert(project(*id, r)));
        }
        let total = hits.len();
        let rows = hits
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|(id, r)| (id, project(id, r)))
            .collect();
        Ok(Selection {
            columns,
            rows,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::from_csv(
            "kecamatan;tahun;jumlah;rata\nKuta;2024;12;1.5\nMengwi;2024;30;2\nKuta;2025;;0.5\nAbiansemal;2025;7;3.25\n"
                .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn columns_are_typed_from_their_values() {
        let t = sample();
        let kinds: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("kecamatan", ColumnType::Text),
                ("tahun", ColumnType::Int),
                ("jumlah", ColumnType::Int),
                ("rata", ColumnType::Numeric)
            ]
        );
        let d = Table::from_csv(b"tanggal,nilai\n2025-01-02,x\n2025-02-03,y\n").unwrap();
        assert_eq!(d.columns[0].kind, ColumnType::Timestamp);
        assert_eq!(t.json_value(2, ""), serde_json::Value::Null);
        assert_eq!(t.json_value(3, "1.5"), serde_json::json!(1.5));
    }

    #[test]
    fn bad_csv_names_the_line() {
        let e = Table::from_csv(b"a,b\n1,2\n3,4\n5,6,7\n").unwrap_err();
        assert_eq!(e, problem("csv_ragged_row", Some(4)));
        let e = Table::from_csv(b"a,b\n1,2\n\xff\xfe,4\n").unwrap_err();
        assert_eq!(e, problem("csv_not_utf8", Some(3)));
        assert_eq!(
            Table::from_csv(b"a,a\n1,2\n").unwrap_err().code,
            "csv_bad_header"
        );
        assert_eq!(
            Table::from_csv(b"a,,c\n1,2,3\n").unwrap_err().code,
            "csv_bad_header"
        );
        // a byte-order mark is not part of the first column's name
        let t = Table::from_csv(b"\xEF\xBB\xBFnama,n\nx,1\n").unwrap();
        assert_eq!(t.columns[0].name, "nama");
    }

    #[test]
    fn huge_datastore_queries_are_refused() {
        let t = sample();
        let q = DatastoreQuery {
            q: Some("kuta ".repeat(100_000)),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            t.search(&q).unwrap_err().for_field("q"),
            Some("query_too_long")
        );
        let q = DatastoreQuery {
            filters: (0..100).map(|i| (format!("c{i}"), vec![])).collect(),
            limit: 10,
            ..Default::default()
        };
        assert!(t.search(&q).is_err());
        // words still match inside one cell only, whatever its case
        let q = DatastoreQuery {
            q: Some("KUTA".into()),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(t.search(&q).unwrap().total, 2);
    }

    #[test]
    fn search_filters_sorts_and_pages() {
        let t = sample();
        let q = DatastoreQuery {
            filters: vec![("kecamatan".into(), vec!["Kuta".into()])],
            limit: 10,
            ..Default::default()
        };
        let s = t.search(&q).unwrap();
        assert_eq!(s.total, 2);
        assert_eq!(s.rows[0].1, vec!["1", "Kuta", "2024", "12", "1.5"]);
        let q = DatastoreQuery {
            sort: parse_sort("jumlah desc"),
            fields: Some(vec!["kecamatan".into(), "jumlah".into()]),
            offset: 1,
            limit: 2,
            ..Default::default()
        };
        let s = t.search(&q).unwrap();
        assert_eq!(s.total, 4);
        // numeric order (30, 12, 7, empty), not text order: page 2 of size 2 starts at 12
        assert_eq!(
            s.rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
            vec![vec!["Kuta", "12"], vec!["Abiansemal", "7"]]
        );
        let q = DatastoreQuery {
            q: Some("mengwi".into()),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(t.search(&q).unwrap().total, 1);
        let q = DatastoreQuery {
            filters: vec![("desa".into(), vec!["x".into()])],
            sort: parse_sort("nope asc"),
            limit: 10,
            ..Default::default()
        };
        let e = t.search(&q).unwrap_err();
        assert_eq!(e.for_field("filters"), Some("unknown_column"));
        assert_eq!(e.for_field("sort"), Some("unknown_column"));
    }

    #[test]
    fn csv_round_trips() {
        let t = sample();
        let again = Table::from_csv(&t.to_csv()).unwrap();
        assert_eq!(again, t);
        // found by the fuzzer: a blank first line, then a header with a semicolon that a
        // comma-separated reading keeps in one column name
        let t = Table::from_csv(b"\nKuta;Mengwi\n1;2\n").unwrap();
        assert_eq!(
            t.columns.len(),
            2,
            "the header line decides, not the blank line"
        );
        // and a lone carriage return ends a line; a byte-order mark inside is no name
        let t = Table::from_csv(b"\r\ra;b\r1;2\r").unwrap();
        assert_eq!(t.columns.len(), 2);
        assert!(Table::from_csv(b"  \xEF\xBB\xBF\ra\r  ADF-").is_err());
        let t = Table::from_csv(b"\"a;b\",c\n1,2\n").unwrap();
        assert_eq!(t.columns[0].name, "a;b");
        let again = Table::from_csv(&t.to_csv()).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn sort_directions_are_checked() {
        assert_eq!(
            check_sort("jumlah DESC, kecamatan"),
            Ok(vec![("jumlah".into(), true), ("kecamatan".into(), false)])
        );
        assert!(check_sort("jumlah sideways")
            .unwrap_err()
            .contains("jumlah sideways"));
        assert!(check_sort("jumlah desc asc").is_err());
        assert_eq!(check_sort(""), Ok(vec![]));
    }

    #[test]
    fn per_field_queries_and_distinct_rows() {
        let t = sample();
        let q = DatastoreQuery {
            q_fields: vec![("kecamatan".into(), "KUTA".into())],
            limit: 10,
            ..Default::default()
        };
        assert_eq!(t.search(&q).unwrap().total, 2);
        let q = DatastoreQuery {
            q_fields: vec![("tahun".into(), "kuta".into())],
            limit: 10,
            ..Default::default()
        };
        assert_eq!(t.search(&q).unwrap().total, 0);
        let q = DatastoreQuery {
            q_fields: vec![("nope".into(), "kuta".into())],
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            t.search(&q).unwrap_err().for_field("q"),
            Some("unknown_column")
        );
        let all = DatastoreQuery {
            fields: Some(vec!["kecamatan".into()]),
            limit: 10,
            ..Default::default()
        };
        let distinct = DatastoreQuery {
            distinct: true,
            ..all.clone()
        };
        let (a, d) = (t.search(&all).unwrap(), t.search(&distinct).unwrap());
        assert_eq!(a.total, 4);
        assert_eq!(d.total, 3);
        let names: Vec<&String> = d.rows.iter().map(|r| &r.1[0]).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
    }
}
