//! Field-level validation errors shared by every input type.
//!
//! A `code` is a stable message key (translated by the web layer, named in API problems), so
//! the domain never decides the wording and every language gets the same reasons.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, code: &'static str) {
        self.0.push(FieldError {
            field: field.into(),
            code,
        });
    }

    pub fn single(field: impl Into<String>, code: &'static str) -> Self {
        let mut e = Self::new();
        e.add(field, code);
        e
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first error for a field, if any: forms show one reason per field.
    pub fn for_field(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }

    /// Collect the result of parsing one field, remembering its error.
    pub fn check<T>(&mut self, field: &str, r: Result<T, &'static str>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(code) => {
                self.add(field, code);
                None
            }
        }
    }

    /// A value parsed on its own, kept only when it and everything collected so far are fine;
    /// otherwise its problems follow these.
    pub fn join<T>(mut self, parsed: Result<T, FieldErrors>) -> Result<T, FieldErrors> {
        match parsed {
            Ok(v) if self.is_empty() => Ok(v),
            Ok(_) => Err(self),
            Err(e) => {
                self.0.extend(e.0);
                Err(self)
            }
        }
    }

    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.code))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

impl std::error::Error for FieldErrors {}

/// Trim, and turn an empty string into `None`: optional form fields arrive as "".
pub fn optional_text(raw: &str, max_chars: usize) -> Result<Option<String>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max_chars {
        return Err("too_long");
    }
    Ok(Some(t.to_string()))
}

pub fn required_text(raw: &str, max_chars: usize) -> Result<String, &'static str> {
    optional_text(raw, max_chars)?.ok_or("required")
}

/// A deliberately loose email check: one `@`, a dot in the domain, no spaces. Deliverability
/// is proven by sending, not by a regex.
pub fn optional_email(raw: &str) -> Result<Option<String>, &'static str> {
    let Some(t) = optional_text(raw, 254)? else {
        return Ok(None);
    };
    let mut parts = t.splitn(2, '@');
    let local = parts.next().unwrap_or("");
    let domain = parts.next().unwrap_or("");
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || t.chars().any(char::is_whitespace)
        || domain.contains('@')
    {
        return Err("invalid_email");
    }
    Ok(Some(t.to_lowercase()))
}

/// Indonesian phone numbers as people type them: digits, spaces, dashes, an optional leading `+`.
pub fn optional_phone(raw: &str) -> Result<Option<String>, &'static str> {
    let Some(t) = optional_text(raw, 32)? else {
        return Ok(None);
    };
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let ok_chars = t
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
    if !ok_chars || !(6..=15).contains(&digits) {
        return Err("invalid_phone");
    }
    Ok(Some(t))
}

pub fn optional_url(raw: &str) -> Result<Option<String>, &'static str> {
    let Some(t) = optional_text(raw, 500)? else {
        return Ok(None);
    };
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or("invalid_url")?;
    if rest.is_empty() || rest.chars().any(char::is_whitespace) {
        return Err("invalid_url");
    }
    Ok(Some(t))
}

/// A choice that must be made: blank is `required`, anything else is read by `parse`.
pub fn required<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> Result<T, &'static str> {
    if raw.trim().is_empty() {
        Err("required")
    } else {
        parse(raw)
    }
}

/// A `datetime-local` value as typed (`2026-12-01T09:00`, seconds optional; a space for the
/// `T` is taken too) read in the deployment's zone; `invalid` names what is wrong with a value
/// that does not read, as the form that asked for it words it.
pub fn local_datetime(
    raw: &str,
    offset: FixedOffset,
    invalid: &'static str,
) -> Result<DateTime<Utc>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("required");
    }
    let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"))
        .map_err(|_| invalid)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert_eq!(
            optional_email(" Budi@Badungkab.go.id ").unwrap(),
            Some("budi@badungkab.go.id".into())
        );
        assert_eq!(optional_email("").unwrap(), None);
        assert_eq!(optional_email("budi@"), Err("invalid_email"));
        assert_eq!(optional_email("budi@localhost"), Err("invalid_email"));
        assert_eq!(optional_email("a b@x.id"), Err("invalid_email"));
    }

    #[test]
    fn phone_rules() {
        assert!(optional_phone("+62 361 123456").unwrap().is_some());
        assert_eq!(optional_phone("0361-1"), Err("invalid_phone"));
        assert_eq!(optional_phone("08x1234567"), Err("invalid_phone"));
    }

    #[test]
    fn text_rules() {
        assert_eq!(required_text("   ", 10), Err("required"));
        assert_eq!(required_text("abcdefghijk", 10), Err("too_long"));
        assert_eq!(required_text(" ok ", 10).unwrap(), "ok");
    }
}
