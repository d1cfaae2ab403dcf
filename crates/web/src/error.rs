//! The web layer's one error type, and the one place errors become HTTP responses.

use crate::i18n::{self, Lang};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kotapintar_domain::policy::Forbidden;
use kotapintar_storage::StorageError;

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
        match e {
            StorageError::NotFound => Self::NotFound,
            StorageError::Forbidden => Self::Forbidden,
            StorageError::Conflict(m) => Self::Conflict(m),
            StorageError::Unavailable { reason } => Self::Unavailable(reason),
            // Field errors are handled by the form handlers; one that gets here is a bug.
            other => Self::Internal(other.to_string()),
        }
    }
}

/// How long a client is asked to wait before sending a write again while storage cannot be
/// written (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 30;

/// Adds `Retry-After` to a 503 answer.
pub fn retry_later(res: &mut Response) {
    res.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from(RETRY_AFTER_SECS),
    );
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
        if status == StatusCode::SERVICE_UNAVAILABLE {
            retry_later(&mut res);
        }
        res
    }
}
