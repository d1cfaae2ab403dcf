//! The web layer's errors: one classification of what went wrong (`ErrorClass`, built from
//! storage and domain errors), and the HTML error page (`WebError`), one of the four ways a
//! class is answered. The other three are problem+json (`api::problem`), CKAN's envelope
//! (`opendata::ckan`) and Open311's error list (`open311`); each maps every class, and each
//! has a test that it does.

use crate::i18n::{self, Lang};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kotapintar_domain::policy::Forbidden;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::StorageError;

/// What kind of failure an error is, whatever layer it came from and whoever will be told.
/// Every protocol answers each class in its own shape, and only here is it decided which
/// class a storage or domain error belongs to.
#[derive(Debug)]
pub enum ErrorClass {
    /// The thing asked for does not exist, or the caller may not know that it does.
    NotFound,
    /// The caller is known but may not do this.
    Forbidden,
    /// The thing's state does not allow this now (someone was quicker); the message says why.
    Conflict(String),
    /// The input breaks a rule, reported per field.
    Invalid(FieldErrors),
    /// The request cannot be read at all (not the format it must be); the message says why.
    Malformed(String),
    /// The body is larger than this call accepts.
    TooLarge,
    /// Too many calls: try again after this many seconds.
    RateLimited { retry_after: u64 },
    /// Storage cannot be written now; nothing was stored. Try again after `retry_after`
    /// seconds. `reason` is for the operator's log, never for the caller.
    Unavailable { reason: String, retry_after: u64 },
    /// A bug or an unexpected failure of ours; `detail` is logged, never shown.
    Internal(String),
}

impl From<StorageError> for ErrorClass {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => Self::NotFound,
            StorageError::Forbidden => Self::Forbidden,
            StorageError::Conflict(m) => Self::Conflict(m),
            StorageError::Invalid(f) => Self::Invalid(f),
            StorageError::Unavailable { reason } => Self::Unavailable {
                reason,
                retry_after: RETRY_AFTER_SECS,
            },
            other @ (StorageError::DatabaseMissing(_)
            | StorageError::BadUrl(_)
            | StorageError::Db(_)
            // a stored value that does not parse: ours to repair, logged, never a default
            | StorageError::Corrupt { .. }
            | StorageError::Other(_)) => Self::Internal(other.to_string()),
        }
    }
}

impl From<Forbidden> for ErrorClass {
    fn from(_: Forbidden) -> Self {
        Self::Forbidden
    }
}

impl From<FieldErrors> for ErrorClass {
    fn from(e: FieldErrors) -> Self {
        Self::Invalid(e)
    }
}

impl From<WebError> for ErrorClass {
    fn from(e: WebError) -> Self {
        match e {
            WebError::NotFound => Self::NotFound,
            WebError::Forbidden | WebError::LoginRequired { .. } | WebError::CsrfFailed => {
                Self::Forbidden
            }
            WebError::Conflict(m) => Self::Conflict(m),
            WebError::Invalid(f) => Self::Invalid(f),
            WebError::RateLimited { retry_after } => Self::RateLimited { retry_after },
            WebError::Unavailable(reason) => Self::Unavailable {
                reason,
                retry_after: RETRY_AFTER_SECS,
            },
            WebError::BadRequest(m) => Self::Malformed(m),
            WebError::TooLarge => Self::TooLarge,
            WebError::Internal(m) => Self::Internal(m),
        }
    }
}

impl ErrorClass {
    /// The HTTP status every protocol answers this class with (Open311 and CKAN included:
    /// their clients read the status before the body).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds a client should wait before trying again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after, .. } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// Logs what the operator must know (once, here): our failures as errors, outages as
    /// warnings; the client's mistakes are not logged.
    pub fn log(&self, protocol: &'static str) {
        match self {
            Self::Internal(detail) => tracing::error!(error = %detail, protocol, "request failed"),
            Self::Unavailable { reason, .. } => {
                tracing::warn!(
                    reason,
                    protocol,
                    "request refused: storage cannot be written"
                );
            }
            _ => {}
        }
    }
}

/// Sets `Retry-After` on an answer.
pub fn set_retry_after(res: &mut Response, seconds: u64) {
    res.headers_mut()
        .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("login required")]
    LoginRequired { next: String },
    #[error("CSRF token mismatch")]
    CsrfFailed,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("upload too large")]
    TooLarge,
    /// A workflow step that no longer fits the request's state (someone was quicker).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input refused per field that reached no form to show it on.
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    #[error("too many requests")]
    RateLimited { retry_after: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Forbidden> for WebError {
    fn from(_: Forbidden) -> Self {
        Self::Forbidden
    }
}

impl From<StorageError> for WebError {
    fn from(e: StorageError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

/// The HTML mapping: every class as an error page.
impl From<ErrorClass> for WebError {
    fn from(c: ErrorClass) -> Self {
        match c {
            ErrorClass::NotFound => Self::NotFound,
            ErrorClass::Forbidden => Self::Forbidden,
            ErrorClass::Conflict(m) => Self::Conflict(m),
            ErrorClass::Invalid(f) => Self::Invalid(f),
            ErrorClass::Malformed(m) => Self::BadRequest(m),
            ErrorClass::TooLarge => Self::TooLarge,
            ErrorClass::RateLimited { retry_after } => Self::RateLimited { retry_after },
            ErrorClass::Unavailable { reason, .. } => Self::Unavailable(reason),
            ErrorClass::Internal(m) => Self::Internal(m),
        }
    }
}

/// How long a client is asked to wait before sending a write again while storage cannot be
/// written (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 30;

/// Adds `Retry-After` to a 503 answer.
pub fn retry_later(res: &mut Response) {
    set_retry_after(res, RETRY_AFTER_SECS);
}

/// `/readyz` when the node cannot serve: 503 and the reason in plain text, for the operator
/// and the load balancer (no paths or secrets are in the reasons storage gives).
pub fn not_ready(reason: &str) -> Response {
    tracing::warn!(reason, "not ready");
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CACHE_CONTROL, "no-store")],
        format!("not ready: {reason}"),
    )
        .into_response();
    retry_later(&mut res);
    res
}

impl WebError {
    fn status_and_key(&self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound => (StatusCode::NOT_FOUND, "error_page.not_found"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "error_page.forbidden"),
            Self::LoginRequired { .. } => (StatusCode::UNAUTHORIZED, "error_page.forbidden"),
            Self::CsrfFailed => (StatusCode::FORBIDDEN, "error_page.csrf"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "error_page.bad_request"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error_page.too_large"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "error_page.conflict"),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error_page.bad_request"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "error_page.too_many"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error_page.unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error_page.internal"),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Self::LoginRequired { next } = &self {
            let target = format!(
                "/login?next={}",
                serde_urlencoded::to_string([("", next)])
                    .unwrap_or_default()
                    .trim_start_matches('=')
            );
            return Redirect::to(&target).into_response();
        }
        let (status, key) = self.status_and_key();
        match &self {
            Self::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            // an outage is logged once where it starts (storage::health), not per request
            Self::Unavailable(detail) => tracing::warn!(error = %detail, "request refused"),
            Self::BadRequest(detail) => tracing::info!(error = %detail, "bad request"),
            _ => {}
        }
        // The error page is shown in both languages: the language extractor is not at hand
        // here, and a person who hit an error should not have to guess.
        let body = format!(
            "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{status}</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main id=\"main\" class=\"container\"><h1>{}</h1><p lang=\"en\">{}</p><p><a href=\"/\">{}</a></p></main></body></html>",
            i18n::t(Lang::Id, key),
            i18n::t(Lang::En, key),
            i18n::t(Lang::Id, "nav.home"),
        );
        let mut res = (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response();
        match self {
            Self::Unavailable(_) => retry_later(&mut res),
            Self::RateLimited { retry_after } => set_retry_after(&mut res, retry_after),
            _ => {}
        }
        res
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The `Retry-After` seconds a response names, if it names any.
    pub(crate) fn retry_after_of(res: &axum::response::Response) -> Option<u64> {
        res.headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    }

    /// One error of every class (what each protocol's mapping test runs over).
    pub(crate) fn every_class() -> Vec<ErrorClass> {
        vec![
            ErrorClass::NotFound,
            ErrorClass::Forbidden,
            ErrorClass::Conflict("already closed".into()),
            ErrorClass::Invalid(FieldErrors::single("title", "required")),
            ErrorClass::Malformed("not JSON".into()),
            ErrorClass::TooLarge,
            ErrorClass::RateLimited { retry_after: 7 },
            ErrorClass::Unavailable {
                reason: "disk full".into(),
                retry_after: RETRY_AFTER_SECS,
            },
            ErrorClass::Internal("a bug".into()),
        ]
    }

    #[test]
    fn storage_errors_are_classified() {
        let cases = [
            (StorageError::NotFound, StatusCode::NOT_FOUND),
            (StorageError::Forbidden, StatusCode::FORBIDDEN),
            (StorageError::Conflict("x".into()), StatusCode::CONFLICT),
            (
                StorageError::field("title", "required"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                StorageError::Unavailable {
                    reason: "disk full".into(),
                },
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                StorageError::Other("bug".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                StorageError::BadUrl("x".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (e, status) in cases {
            let c = ErrorClass::from(e);
            assert_eq!(c.status(), status, "{c:?}");
        }
        let c = ErrorClass::from(StorageError::Unavailable { reason: "x".into() });
        assert_eq!(c.retry_after(), Some(RETRY_AFTER_SECS));
    }

    #[test]
    fn every_class_is_an_html_page_with_its_status() {
        for class in every_class() {
            let (status, retry) = (class.status(), class.retry_after());
            let res = WebError::from(class).into_response();
            assert_eq!(res.status(), status);
            let ct = res.headers()[header::CONTENT_TYPE].to_str().unwrap_or("");
            assert!(ct.starts_with("text/html"), "{status}: {ct}");
            assert_eq!(crate::error::tests::retry_after_of(&res), retry, "{status}");
        }
    }
}
