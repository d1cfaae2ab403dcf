//! Every error of `/api/v1` is an RFC 9457 problem (`application/problem+json`). Its `type`
//! is one of `ProblemType`, a relative URI that leads to the type's documentation
//! (`/api/v1/problems/{name}`, served by `problem_page`).

use crate::error::{set_retry_after, ErrorClass};
use crate::WebError;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::StorageError;
use serde::Serialize;

/// The kinds of problem this API answers with: each has its own documentation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    Unauthorized,
    Scope,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Malformed,
    InvalidParameter,
    Invalid,
    TooLarge,
    Conflict,
    InProgress,
    IdempotencyMismatch,
    RateLimit,
    Unavailable,
    Internal,
}

impl ProblemType {
    pub const ALL: [ProblemType; 15] = [
        Self::Unauthorized,
        Self::Scope,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Malformed,
        Self::InvalidParameter,
        Self::Invalid,
        Self::TooLarge,
        Self::Conflict,
        Self::InProgress,
        Self::IdempotencyMismatch,
        Self::RateLimit,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The name in the type's URI.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Scope => "scope",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Malformed => "malformed",
            Self::InvalidParameter => "invalid-parameter",
            Self::Invalid => "invalid",
            Self::TooLarge => "too-large",
            Self::Conflict => "conflict",
            Self::InProgress => "in-progress",
            Self::IdempotencyMismatch => "idempotency-key-mismatch",
            Self::RateLimit => "rate-limit",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Scope | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Malformed | Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::Invalid | Self::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Conflict | Self::InProgress => StatusCode::CONFLICT,
            Self::RateLimit => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's `title`: the same for every occurrence of the type.
    pub fn title(self) -> &'static str {
        match self {
            Self::Unauthorized => "A valid bearer token is required",
            Self::Scope => "The client lacks the scope this call needs",
            Self::Forbidden => "Not permitted",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Malformed => "The body is not the expected JSON",
            Self::InvalidParameter => "A query or path parameter is not valid",
            Self::Invalid => "The request has invalid fields",
            Self::TooLarge => "The body is too large",
            Self::Conflict => "Conflict",
            Self::InProgress => "A call with this Idempotency-Key is still running",
            Self::IdempotencyMismatch => "The Idempotency-Key was used for another request",
            Self::RateLimit => "Too many calls",
            Self::Unavailable => "The service cannot store anything right now",
            Self::Internal => "Internal error",
        }
    }

    /// What it means and what a client should do, for the documentation page.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Unauthorized => "The call had no `Authorization: Bearer kp_<id>_<secret>` header, or the token is unknown, rotated or revoked. Tokens are issued by Kominfo (`kotapintar client create`). The answer carries `WWW-Authenticate: Bearer`.",
            Self::Scope => "The token is valid but the client was not given the scope this operation needs (`detail` names it). Nothing was read or changed; the scope is checked before the body is read.",
            Self::Forbidden => "The client's unit may not do this to this resource, e.g. a workflow step on a request another unit handles.",
            Self::NotFound => "No such resource, or one this client may not know of (a confidential request of another unit), or no such path under /api/v1.",
            Self::MethodNotAllowed => "The path exists but not with this method; the `Allow` header lists the methods it has.",
            Self::Malformed => "The body is not one JSON value of the documented schema, or not multipart where multipart is required. `errors` names every field of the wrong type (`field` is its JSON path), not only the first.",
            Self::InvalidParameter => "A query or path parameter is not a value the operation accepts (not a number, or outside its documented bounds). `errors` names each parameter.",
            Self::Invalid => "The body was read but breaks the rules: one entry in `errors` per field, with a stable `code` and an English `message`.",
            Self::TooLarge => "The body is larger than this operation accepts.",
            Self::Conflict => "The resource's state does not allow this now (e.g. a workflow step on a request someone else has just closed). Read it again and decide.",
            Self::InProgress => "Another call with the same Idempotency-Key is still being handled. Send the same call again a little later to get its answer.",
            Self::IdempotencyMismatch => "The Idempotency-Key was first sent with another request (another method, path or body). Nothing was done. Use a new key for a new request (IETF draft-ietf-httpapi-idempotency-key-header).",
            Self::RateLimit => "The client used up its calls for this minute. Wait the seconds in `Retry-After`.",
            Self::Unavailable => "Storage cannot be written now (disk full, database unreachable). Nothing was stored; send the same call again after `Retry-After` seconds (with the same Idempotency-Key).",
            Self::Internal => "A failure of ours; it has been logged. Try again later.",
        }
    }

    pub fn uri(self) -> String {
        format!("/api/v1/problems/{}", self.slug())
    }
}

/// An RFC 9457 problem: every error of this API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A relative URI; `GET` it for the type's documentation.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per invalid field or parameter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    pub(crate) retry_after: Option<u64>,
    #[serde(skip)]
    authenticate: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field (a JSON path such as `contact.email`) or the parameter.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn of(t: ProblemType) -> Self {
        Self {
            kind: t.uri(),
            title: t.title().into(),
            status: t.status().as_u16(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            authenticate: false,
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    fn field_problems(errors: &FieldErrors) -> Vec<FieldProblem> {
        errors
            .0
            .iter()
            .map(|e| FieldProblem {
                field: e.field.clone(),
                code: e.code.into(),
                message: crate::i18n::t(crate::i18n::Lang::En, &format!("error.{}", e.code)).into(),
            })
            .collect()
    }

    /// 422: the body breaks the rules, one entry per field.
    pub fn invalid(errors: &FieldErrors) -> Self {
        let mut p = Self::of(ProblemType::Invalid);
        p.errors = Self::field_problems(errors);
        p
    }

    /// 400: query or path parameters that are not valid, one entry per parameter.
    pub fn invalid_parameters(errors: &FieldErrors) -> Self {
        let mut p = Self::of(ProblemType::InvalidParameter);
        p.errors = Self::field_problems(errors);
        p
    }

    /// 400: a body that cannot be read as the schema, one entry per field of the wrong type.
    pub fn malformed(detail: impl Into<String>, fields: Vec<FieldProblem>) -> Self {
        let mut p = Self::of(ProblemType::Malformed).detail(detail);
        p.errors = fields;
        p
    }

    pub fn unauthorized() -> Self {
        let mut p = Self::of(ProblemType::Unauthorized)
            .detail("Send `Authorization: Bearer kp_<id>_<secret>`; tokens are issued with `kotapintar client create`.");
        p.authenticate = true;
        p
    }

    pub fn missing_scope(scope: &str) -> Self {
        Self::of(ProblemType::Scope).detail(format!("needs scope `{scope}`"))
    }

    pub fn not_found() -> Self {
        Self::of(ProblemType::NotFound)
    }
}

/// The problem+json mapping: every class as a problem.
impl From<ErrorClass> for Problem {
    fn from(c: ErrorClass) -> Self {
        c.log("api");
        match c {
            ErrorClass::NotFound => Self::of(ProblemType::NotFound),
            ErrorClass::Forbidden => Self::of(ProblemType::Forbidden),
            ErrorClass::Conflict(m) => Self::of(ProblemType::Conflict).detail(m),
            ErrorClass::Invalid(f) => Self::invalid(&f),
            ErrorClass::Malformed(m) => Self::malformed(m, Vec::new()),
            ErrorClass::TooLarge => Self::of(ProblemType::TooLarge),
            ErrorClass::RateLimited { retry_after } => {
                Self::of(ProblemType::RateLimit).retry_after(retry_after)
            }
            ErrorClass::Unavailable { retry_after, .. } => Self::of(ProblemType::Unavailable)
                .detail("Nothing was stored. Send the same request again later.")
                .retry_after(retry_after),
            ErrorClass::Internal(_) => Self::of(ProblemType::Internal),
        }
    }
}

impl From<StorageError> for Problem {
    fn from(e: StorageError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

impl From<WebError> for Problem {
    fn from(e: WebError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(&self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after {
            set_retry_after(&mut res, s);
        }
        if self.authenticate {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main id=\"main\" class=\"container\">{body}<p><a href=\"/api/v1/problems\">All problem types</a> · <a href=\"/api/v1/docs\">API documentation</a></p></main></body></html>",
        escape(title)
    ))
}

fn entry(t: ProblemType) -> String {
    format!(
        "<section id=\"{slug}\"><h2><a href=\"{uri}\">{slug}</a></h2><p><strong>{status}</strong> · {title}</p><p>{text}</p></section>",
        slug = t.slug(),
        uri = t.uri(),
        status = t.status().as_u16(),
        title = escape(t.title()),
        text = escape(t.explanation()),
    )
}

/// `/api/v1/problems`: every problem type, what it means and what to do.
pub async fn problem_index() -> Html<String> {
    let list: String = ProblemType::ALL.into_iter().map(entry).collect();
    page(
        "kotapintar API problem types",
        &format!("<h1>Problem types of the kotapintar API</h1><p>Every error of /api/v1 is <code>application/problem+json</code> (RFC 9457); its <code>type</code> is one of these.</p>{list}"),
    )
}

/// `/api/v1/problems/{name}`: one problem type's documentation (its `type` URI).
pub async fn problem_page(Path(name): Path<String>) -> Response {
    match ProblemType::ALL.into_iter().find(|t| t.slug() == name) {
        Some(t) => page(&format!("Problem type {}", t.slug()), &entry(t)).into_response(),
        None => Problem::not_found()
            .detail(format!("there is no problem type '{name}'"))
            .into_response(),
    }
}

/// Answers that left a route without a problem body (axum's own 405, a rejection in plain
/// text, an HTML error page) become problem+json of the same status, so that a client of
/// this API meets one error format whatever failed.
pub async fn bare_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    let t = match status {
        StatusCode::METHOD_NOT_ALLOWED => ProblemType::MethodNotAllowed,
        StatusCode::NOT_FOUND => ProblemType::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ProblemType::TooLarge,
        StatusCode::UNAUTHORIZED => ProblemType::Unauthorized,
        StatusCode::FORBIDDEN => ProblemType::Forbidden,
        StatusCode::TOO_MANY_REQUESTS => ProblemType::RateLimit,
        StatusCode::SERVICE_UNAVAILABLE => ProblemType::Unavailable,
        StatusCode::CONFLICT => ProblemType::Conflict,
        StatusCode::UNPROCESSABLE_ENTITY => ProblemType::Invalid,
        s if s.is_server_error() => ProblemType::Internal,
        _ => ProblemType::Malformed,
    };
    let mut p = Problem::of(t);
    // keep the status itself (e.g. 415, 408): the type is the nearest documented kind
    p.status = status.as_u16();
    if t == ProblemType::MethodNotAllowed {
        let allow = res
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        p = p.detail(format!("this path answers {allow}"));
    }
    let mut out = p.into_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = res.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::tests::every_class;

    #[test]
    fn every_class_is_a_problem_with_its_status() {
        for class in every_class() {
            let (status, retry) = (class.status(), class.retry_after());
            let res = Problem::from(class).into_response();
            assert_eq!(res.status(), status);
            assert_eq!(
                res.headers()[header::CONTENT_TYPE],
                "application/problem+json"
            );
            assert_eq!(crate::error::tests::retry_after_of(&res), retry, "{status}");
        }
    }

    #[test]
    fn every_type_has_a_page_and_a_status_of_its_own_kind() {
        let mut slugs: Vec<_> = ProblemType::ALL.iter().map(|t| t.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ProblemType::ALL.len(), "slugs are unique");
        for t in ProblemType::ALL {
            assert!(t.status().is_client_error() || t.status().is_server_error());
            assert!(!t.explanation().is_empty());
            assert_eq!(
                Problem::of(t).kind,
                format!("/api/v1/problems/{}", t.slug())
            );
        }
    }
}
