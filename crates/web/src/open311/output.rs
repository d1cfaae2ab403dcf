//! Output: each answer is one tree (`Node`), written as XML or JSON; and the spec's error
//! list (`Fail`), the Open311 mapping of every error class.

use super::*;

/// An answer before it is written as XML or JSON.
pub(super) enum Node {
    Null,
    Text(String),
    Number(f64),
    Int(i64),
    Bool(bool),
    Object(Vec<(&'static str, Node)>),
    /// Repeated children: the item element's name and the items.
    List(&'static str, Vec<Node>),
}

impl Node {
    pub(super) fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub(super) fn opt(s: Option<impl Into<String>>) -> Self {
        s.map_or(Self::Null, |s| Self::Text(s.into()))
    }

    pub(super) fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Text(t) => Value::String(t.clone()),
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Int(i) => Value::from(*i),
            Self::Bool(b) => Value::Bool(*b),
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.json()))
                    .collect(),
            ),
            Self::List(_, items) => Value::Array(items.iter().map(Node::json).collect()),
        }
    }

    pub(super) fn xml(&self, name: &str, out: &mut String) {
        let open = |out: &mut String| {
            out.push('<');
            out.push_str(name);
            out.push('>');
        };
        let close = |out: &mut String| {
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        };
        match self {
            Self::Null => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            }
            Self::List(_, items) if items.is_empty() => Self::Null.xml(name, out),
            Self::Text(t) => {
                open(out);
                escape_xml(t, out);
                close(out);
            }
            Self::Number(n) => {
                open(out);
                out.push_str(&n.to_string());
                close(out);
            }
            Self::Int(i) => {
                open(out);
                out.push_str(&i.to_string());
                close(out);
            }
            Self::Bool(b) => {
                open(out);
                out.push_str(if *b { "true" } else { "false" });
                close(out);
            }
            Self::Object(fields) => {
                open(out);
                for (k, v) in fields {
                    v.xml(k, out);
                }
                close(out);
            }
            Self::List(item, items) => {
                open(out);
                for v in items {
                    v.xml(item, out);
                }
                close(out);
            }
        }
    }
}

/// Escapes text for XML and drops the characters XML 1.0 cannot carry at all (most control
/// characters): residents' text can hold anything, and one stray byte would make the whole
/// document unreadable for an XML-only client such as FixMyStreet.
pub(super) fn escape_xml(t: &str, out: &mut String) {
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Xml,
    Json,
}

/// `requests.json` → (`requests`, JSON). An unknown suffix is answered in XML, the format
/// every GeoReport v2 client understands.
pub(super) fn split_format(file: &str) -> (&str, Option<Format>) {
    match file.rsplit_once('.') {
        Some((stem, "xml")) => (stem, Some(Format::Xml)),
        Some((stem, "json")) => (stem, Some(Format::Json)),
        _ => (file, None),
    }
}

pub(super) fn respond(
    format: Format,
    status: StatusCode,
    root: &'static str,
    node: &Node,
) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            node.json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            node.xml(root, &mut out);
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// An answer: its root element and its content, or the errors.
pub(super) type Answer = Result<(&'static str, Node), Fail>;

pub(super) fn finish(format: Option<Format>, answer: Answer) -> Response {
    let Some(format) = format else {
        return Fail::not_found("unknown format: the path must end in .xml or .json")
            .respond(Format::Xml);
    };
    match answer {
        Ok((root, node)) => respond(format, StatusCode::OK, root, &node),
        Err(f) => f.respond(format),
    }
}

/// The spec's error answer: a list of `{code, description}` with 400, 403 or 404 (and, for
/// failures that are not the client's, 413, 429, 500 or 503).
#[derive(Debug)]
pub(super) struct Fail {
    pub(super) status: StatusCode,
    pub(super) descriptions: Vec<String>,
    pub(super) retry_after: Option<u64>,
}

impl Fail {
    pub(super) fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            descriptions: vec![description.into()],
            retry_after: None,
        }
    }

    pub(super) fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    pub(super) fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    pub(super) fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    pub(super) fn respond(self, format: Format) -> Response {
        let code = i64::from(self.status.as_u16());
        let node = Node::List(
            "error",
            self.descriptions
                .into_iter()
                .map(|d| {
                    Node::Object(vec![
                        ("code", Node::Int(code)),
                        ("description", Node::Text(d)),
                    ])
                })
                .collect(),
        );
        let mut res = respond(format, self.status, "errors", &node);
        if let Some(s) = self.retry_after {
            crate::error::set_retry_after(&mut res, s);
        }
        res
    }
}

/// The Open311 mapping: every class as the spec's error list. The spec knows 400, 403 and
/// 404; a conflict is a 400 that says why. Failures of ours are 500 or 503 (not the spec's
/// catch-all 400), so that clients retry later instead of dropping the report.
impl From<ErrorClass> for Fail {
    fn from(c: ErrorClass) -> Self {
        c.log("open311");
        let retry_after = c.retry_after();
        let mut fail = match c {
            ErrorClass::NotFound => Self::not_found("not found"),
            ErrorClass::Forbidden => Self::forbidden("this client may not do this"),
            ErrorClass::Conflict(why) => Self::bad(format!("this cannot be done now: {why}")),
            ErrorClass::Invalid(e) => field_errors(e),
            ErrorClass::Malformed(why) => Self::bad(why),
            ErrorClass::TooLarge => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "the request is too large")
            }
            ErrorClass::RateLimited { .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests; try again later",
            ),
            ErrorClass::Unavailable { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service cannot store anything right now; nothing was stored, try again later",
            ),
            ErrorClass::Internal(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server could not answer; try again later",
            ),
        };
        fail.retry_after = retry_after;
        fail
    }
}

impl From<StorageError> for Fail {
    fn from(e: StorageError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

impl From<crate::WebError> for Fail {
    fn from(e: crate::WebError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

/// Our field names and error codes, said in Open311's terms.
pub(super) fn field_errors(e: FieldErrors) -> Fail {
    let descriptions =
        e.0.iter()
            .map(|f| {
                let field = match f.field.as_str() {
                    "latitude" => "lat".to_string(),
                    "longitude" => "long".to_string(),
                    "location_address" => "address_string".to_string(),
                    "location" => "lat/long, address_string or address_id".to_string(),
                    "title" => "description".to_string(),
                    "name" => "first_name/last_name".to_string(),
                    "kind" => "service_code".to_string(),
                    // a posted update's description becomes our note or response
                    "note" | "response" => "description".to_string(),
                    other => match other.strip_prefix("q_") {
                        Some(code) => format!("attribute[{code}]"),
                        None => other.to_string(),
                    },
                };
                let problem = match f.code {
                    "required" => "is required",
                    "too_long" => "is too long",
                    "description_too_short" => "is too short (10 characters at least)",
                    "response_too_short" => {
                        "is too short to resolve the request with (10 characters at least)"
                    }
                    "invalid_coordinate" => "is not a valid WGS84 coordinate",
                    "location_required" => "is required: the request must say where it is",
                    "invalid_url" => "must be an http or https address of a photo (no spaces, no user name or password)",
                    "coordinate_pair" => "must be sent together with the other coordinate",
                    "outside_regency" => "lies outside the regency",
                    "invalid_email" => "is not a valid email address",
                    "invalid_phone" => "is not a valid phone number",
                    "invalid_choice" => "is not one of the attribute's values",
                    "invalid_answer" => "does not fit the attribute's datatype",
                    "unknown_service" => "is not a known service",
                    "service_kind_mismatch" => "does not fit the request's kind",
                    other => other,
                };
                format!("{field} {problem}")
            })
            .collect::<Vec<_>>();
    let mut fail = Fail::bad("the request is not valid");
    if !descriptions.is_empty() {
        fail.descriptions = descriptions;
    }
    fail
}
