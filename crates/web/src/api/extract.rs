//! Reading a call's input so that every refusal is problem+json: query and path parameters
//! (bounded numbers, never an overflow), JSON bodies (every field of the wrong type reported,
//! integral floats accepted for integers), and POST bodies kept unread until the scope is
//! checked.

use super::problem::{FieldProblem, Problem, ProblemType};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, StatusCode};
use kotapintar_domain::FieldErrors;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Query parameters read as `T` (strings, checked by the handler), or 400 problem+json.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(|e| Problem::of(ProblemType::InvalidParameter).detail(e.to_string()))
    }
}

/// Path parameters read as `T`, or 400 problem+json (not axum's plain-text answer).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| Problem::of(ProblemType::InvalidParameter).detail(e.body_text()))
    }
}

/// A numeric parameter within `min..=max`, `default` when absent; empty, out of range, not a
/// number or too big for any integer: an error naming it (and `default` meanwhile, so every
/// parameter is checked before answering).
pub fn bounded(
    errors: &mut FieldErrors,
    name: &str,
    raw: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
    code: &'static str,
) -> i64 {
    match raw.map(str::trim) {
        None => default,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                errors.add(name, code);
                default
            }
        },
    }
}

/// An id in a path (`/webhooks/{id}`): a positive integer, else 400 naming the parameter.
pub fn path_id(raw: &str, name: &str) -> Result<i64, Problem> {
    let mut e = FieldErrors::new();
    let id = bounded(&mut e, name, Some(raw), 0, 1, i64::MAX, "invalid_id");
    if e.is_empty() {
        Ok(id)
    } else {
        Err(Problem::invalid_parameters(&e))
    }
}

/// A POST, read but not parsed: the handler checks the client's scope first, then parses the
/// body (403 before 400), and the Idempotency-Key is bound to the method, path and body.
pub struct Post {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The request's extensions (the route's body limit among them), for reading the body as
    /// multipart afterwards.
    extensions: Extensions,
}

impl<S: Send + Sync> FromRequest<S> for Post {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let headers = req.headers().clone();
        let extensions = req.extensions().clone();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::of(ProblemType::TooLarge)
            } else {
                Problem::malformed(
                    format!("the body could not be read: {}", e.body_text()),
                    Vec::new(),
                )
            }
        })?;
        Ok(Self {
            method,
            path,
            headers,
            body,
            extensions,
        })
    }
}

impl Post {
    /// The body as `T` (see `parse_json`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        parse_json(&self.body)
    }

    /// The body as multipart/form-data, or 400 problem+json when it is not.
    pub async fn multipart(&self) -> Result<axum::extract::Multipart, Problem> {
        let mut req = Request::new(axum::body::Body::from(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.headers_mut() = self.headers.clone();
        *req.extensions_mut() = self.extensions.clone();
        axum::extract::Multipart::from_request(req, &())
            .await
            .map_err(|e| {
                Problem::malformed(
                    format!(
                        "the body must be multipart/form-data with `photo` parts: {}",
                        e.body_text()
                    ),
                    Vec::new(),
                )
            })
    }
}

/// A request body read as `T`, or 400 problem+json naming every field of the wrong type
/// (`contact.email`, `answers.x`), not only the first. A JSON number with no fraction
/// (`5075731.0`) is read as the integer it is. Every JSON body of the API is read here.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // `from_slice` also refuses anything but whitespace after the value (the fuzz target
    // found bodies with trailing bytes accepted by a bare deserializer).
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        Problem::malformed(format!("the body is not one JSON value: {e}"), Vec::new())
    })?;
    integral_floats(&mut value);
    let mut fields: Vec<FieldProblem> = Vec::new();
    nul_characters(&value, &mut Vec::new(), &mut fields);
    if !fields.is_empty() {
        // well-formed JSON whose text the schema allows, but no value we can keep: a 422
        let mut p = Problem::of(ProblemType::Invalid)
            .detail("text may not contain a NUL character (U+0000)");
        p.errors = fields;
        return Err(p);
    }
    // Each round reports one field and takes it out, until the rest reads (bounded: a body
    // cannot make this loop long).
    for _ in 0..32 {
        match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(v) if fields.is_empty() => return Ok(v),
            Ok(_) => break,
            Err(e) => {
                let segments: Vec<String> = e.path().iter().map(segment).collect();
                let message = e.inner().to_string();
                let (field, code) = describe(&segments, &message);
                if fields.iter().any(|f| f.field == field) {
                    // a required field taken out above: already reported
                    break;
                }
                let removed = remove_at(&mut value, &segments);
                fields.push(FieldProblem {
                    field,
                    code: code.into(),
                    message,
                });
                if !removed {
                    break;
                }
            }
        }
    }
    let detail = fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    Err(Problem::malformed(detail, fields))
}

fn segment(s: &serde_path_to_error::Segment) -> String {
    use serde_path_to_error::Segment;
    match s {
        Segment::Seq { index } => index.to_string(),
        Segment::Map { key } => key.clone(),
        Segment::Enum { variant } => variant.clone(),
        Segment::Unknown => "?".into(),
    }
}

/// The field an error is about and its code: a missing field is named by the message
/// (serde reports it at the enclosing object).
fn describe(segments: &[String], message: &str) -> (String, &'static str) {
    let backticked = || message.split('`').nth(1).map(str::to_string);
    let join = |extra: Option<String>| {
        segments
            .iter()
            .cloned()
            .chain(extra)
            .collect::<Vec<_>>()
            .join(".")
    };
    if message.starts_with("missing field") {
        (join(backticked()), "required")
    } else if message.starts_with("unknown field") {
        let path = join(None);
        let named = backticked().unwrap_or_default();
        // serde_path_to_error already names the unknown key in the path
        if path.ends_with(&named) {
            (path, "unknown_field")
        } else {
            (join(Some(named)), "unknown_field")
        }
    } else {
        (join(None), "invalid_type")
    }
}

/// Every string (or key) holding U+0000, as a field problem. No text we store may hold one:
/// PostgreSQL refuses it in `text` (the call would fail as a 503 after the checks had passed),
/// and SQLite would keep what the other database cannot, so both refuse it here, up front.
fn nul_characters(value: &Value, path: &mut Vec<String>, out: &mut Vec<FieldProblem>) {
    let nul = |out: &mut Vec<FieldProblem>, path: &[String]| {
        out.push(FieldProblem {
            field: path.join("."),
            code: "invalid_characters".into(),
            message: "contains a NUL character (U+0000)".into(),
        })
    };
    match value {
        Value::String(s) if s.contains('\0') => nul(out, path),
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(i.to_string());
                nul_characters(v, path, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (k, v) in m {
                // the key as the problem names it: the NUL written out, never sent back raw
                path.push(k.replace('\0', "\\u0000"));
                if k.contains('\0') {
                    nul(out, path);
                } else {
                    nul_characters(v, path, out);
                }
                path.pop();
            }
        }
        _ => {}
    }
}

/// Takes the value at `path` out of `value`; false when there is nothing to take (the error
/// is about the whole body).
fn remove_at(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut here = value;
    for p in parents {
        here = match here {
            Value::Object(m) => match m.get_mut(p) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match here {
        Value::Object(m) => m.remove(last).is_some(),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Numbers like `5075731.0` become integers, so an integer field accepts them (a float field
/// accepts an integer anyway). Only exact values: beyond 2^53 a float is not one integer.
fn integral_floats(value: &mut Value) {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() <= EXACT {
                    // exact: |f| <= 2^53, no fraction
                    #[allow(clippy::cast_possible_truncation)]
                    let i = f as i64;
                    *n = serde_json::Number::from(i);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_floats),
        Value::Object(m) => m.values_mut().for_each(integral_floats),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        url: String,
        #[serde(default)]
        n: Option<i64>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        inner: Inner,
    }

    #[derive(Deserialize, Debug, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        email: String,
    }

    fn fields(r: Result<Body, Problem>) -> Vec<(String, String)> {
        match r {
            Ok(b) => panic!("accepted {b:?}"),
            Err(p) => {
                assert_eq!(p.status, 400);
                p.errors.into_iter().map(|f| (f.field, f.code)).collect()
            }
        }
    }

    #[test]
    fn a_body_is_one_json_value_and_nothing_after_it() {
        assert!(parse_json::<Value>(b" {\"a\": 1}\n").is_ok());
        let nul = parse_json::<Value>(br#"{"title": "a\u0000b", "tags": ["ok", "\u0000"]}"#)
            .err()
            .map(|p| p.errors.iter().map(|f| f.field.clone()).collect::<Vec<_>>());
        assert_eq!(nul, Some(vec!["tags.1".to_string(), "title".to_string()]));
        assert!(parse_json::<Value>(b"{\"a\": 1}~").is_err());
        assert!(parse_json::<Value>(b"{} {}").is_err());
    }

    #[test]
    fn every_wrong_field_is_reported() {
        let f = fields(parse_json(
            br#"{"url": 5, "n": "x", "tags": ["a", 3], "inner": {"email": 1}}"#,
        ));
        let mut names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["inner.email", "n", "tags.1", "url"], "{f:?}");
        assert!(f.iter().all(|(_, c)| c == "invalid_type"));
        let f = fields(parse_json(br#"{"n": 1, "zzz": 2}"#));
        assert!(f.contains(&("zzz".into(), "unknown_field".into())), "{f:?}");
        let f = fields(parse_json(br#"{"n": 1}"#));
        assert_eq!(f, [("url".to_string(), "required".to_string())]);
    }

    #[test]
    fn integral_floats_are_integers() {
        let b: Body = parse_json(br#"{"url": "x", "n": 5075731.0}"#).unwrap();
        assert_eq!(b.n, Some(5_075_731));
        let f = fields(parse_json(br#"{"url": "x", "n": 5.5}"#));
        assert_eq!(f, [("n".to_string(), "invalid_type".to_string())]);
        let f = fields(parse_json(br#"{"url": "x", "n": 1e300}"#));
        assert_eq!(f, [("n".to_string(), "invalid_type".to_string())]);
    }

    #[test]
    fn numbers_are_bounded_and_never_overflow() {
        let mut e = FieldErrors::new();
        assert_eq!(bounded(&mut e, "page", Some("7"), 0, 0, 100, "x"), 7);
        assert!(e.is_empty());
        for bad in [
            "184467440737095517",
            "9223372036854775808",
            "-1",
            "abc",
            "1.5",
            "101",
        ] {
            let mut e = FieldErrors::new();
            assert_eq!(bounded(&mut e, "page", Some(bad), 0, 0, 100, "x"), 0);
            assert_eq!(e.for_field("page"), Some("x"), "{bad}");
        }
        assert!(path_id("12", "id").is_ok());
        for bad in ["0", "-3", "x", "", "99999999999999999999"] {
            assert!(path_id(bad, "id").is_err(), "{bad}");
        }
    }
}
