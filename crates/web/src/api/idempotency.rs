//! `Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header): a retried POST gets
//! the first answer again and is done once. The key is bound to the request it was first sent
//! with (method, path and a SHA-256 of the body); the same key with another request is
//! refused with 422 and nothing is done.

use super::extract::Post;
use super::problem::{Problem, ProblemType};
use super::require;
use crate::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kotapintar_domain::client::ApiClient;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::clients::{claim_key, finish_key, Idempotency};
use sha2::{Digest, Sha256};

/// The key of a POST, if it has one, and what it is bound to.
pub struct Call {
    key: Option<String>,
    request: String,
}

impl Call {
    /// What every POST checks first, before its body is read: the scope (403), then the
    /// Idempotency-Key (422 when unusable). The key is bound to the body as sent.
    pub fn begin(client: &ApiClient, scope: &str, post: &Post) -> Result<Self, Problem> {
        Self::begin_with(client, scope, post, &post.body)
    }

    /// As `begin`, with the bytes the key is bound to chosen by the caller (the photos of a
    /// multipart body, whose boundary changes from one try to the next).
    pub fn begin_with(
        client: &ApiClient,
        scope: &str,
        post: &Post,
        content: &[u8],
    ) -> Result<Self, Problem> {
        require(client, scope)?;
        let key = idempotency_key(&post.headers)?;
        Ok(Self {
            key,
            request: fingerprint(post.method.as_str(), &post.path, content),
        })
    }
}

/// `POST /api/v1/requests sha256:…`: the request a key is bound to.
pub fn fingerprint(method: &str, path: &str, content: &[u8]) -> String {
    format!(
        "{method} {path} sha256:{}",
        hex::encode(Sha256::digest(content))
    )
}

fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, Problem> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
        {
            Some(k) => Ok(Some(k.to_string())),
            None => Err(Problem::invalid(&FieldErrors::single(
                "Idempotency-Key",
                "invalid_idempotency_key",
            ))),
        },
    }
}

fn with_content_type(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let ct = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

/// Runs `work` once per idempotency key: a retried POST gets the first answer again.
pub async fn once<F, Fut>(state: &AppState, client: &ApiClient, call: Call, work: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, serde_json::Value), Problem>>,
{
    let Some(key) = call.key else {
        return match work().await {
            Ok((s, v)) => (s, Json(v)).into_response(),
            Err(p) => p.into_response(),
        };
    };
    match claim_key(&state.store, client.id, &key, &call.request).await {
        Ok(Idempotency::Proceed) => {}
        Ok(Idempotency::InProgress) => return Problem::of(ProblemType::InProgress).into_response(),
        Ok(Idempotency::Mismatch) => {
            return Problem::of(ProblemType::IdempotencyMismatch)
                .detail("this Idempotency-Key was first sent with another method, path or body; use a new key for a new request")
                .into_response()
        }
        Ok(Idempotency::Replay(status, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = with_content_type(status, body);
            res.headers_mut()
                .insert("idempotent-replay", HeaderValue::from_static("true"));
            return res;
        }
        Err(e) => return Problem::from(e).into_response(),
    }
    let (status, body, retry_after) = match work().await {
        Ok((s, v)) => (s, v.to_string(), None),
        Err(p) => (
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            serde_json::to_string(&p).unwrap_or_default(),
            p.retry_after,
        ),
    };
    // A failure of ours is not remembered: the retry the client is told to send must run.
    let keep = status.as_u16() < 500;
    let answer = keep.then_some((status.as_u16(), body.as_str()));
    // Tried twice (a writer connection is reopened after a failed write); if the answer still
    // cannot be recorded, the claim lapses after its lease and the retry runs then.
    if finish_key(&state.store, client.id, &key, answer)
        .await
        .is_err()
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if let Err(e) = finish_key(&state.store, client.id, &key, answer).await {
            tracing::warn!(error = %e, "the answer to an Idempotency-Key call was not recorded");
        }
    }
    let mut res = with_content_type(status, body);
    if let Some(s) = retry_after {
        crate::error::set_retry_after(&mut res, s);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn the_fingerprint_binds_method_path_and_body() {
        let a = fingerprint("POST", "/api/v1/requests", b"{}");
        assert!(a.starts_with("POST /api/v1/requests sha256:"));
        assert_ne!(a, fingerprint("POST", "/api/v1/content", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/requests", b"{\"a\":1}"));
        assert_eq!(a, fingerprint("POST", "/api/v1/requests", b"{}"));
    }
}
