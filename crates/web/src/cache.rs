//! A cache for public machine-readable lists (Open311), which clients poll with the same
//! query again and again. An entry is used while no event has been written since it was made
//! (every public change writes one) and for at most `MAX_AGE`, so answers are never more than
//! that behind changes that write no event (a service edited, a "saya juga" counted). Only
//! public output passes through here: nothing personal can be cached for the wrong reader.

use crate::AppState;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MAX_AGE: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 256;
const MAX_BODY: usize = 8 * 1024 * 1024;

struct Entry {
    seq: i64,
    made: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
pub struct PublicCache(Arc<Mutex<HashMap<(String, bool), Entry>>>);

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let key = (req.uri().to_string(), gzip);
    let Ok(seq) = kotapintar_storage::events::head(&state.store.reader).await else {
        return next.run(req).await;
    };
    if let Ok(map) = state.public_cache.0.lock() {
        if let Some(e) = map
            .get(&key)
            .filter(|e| e.seq == seq && e.made.elapsed() < MAX_AGE)
        {
            let mut res = (e.status, e.body.clone()).into_response();
            *res.headers_mut() = e.headers.clone();
            return res;
        }
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "response too large to cache",
        )
            .into_response();
    };
    if let Ok(mut map) = state.public_cache.0.lock() {
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, e| e.seq == seq && e.made.elapsed() < MAX_AGE);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            key,
            Entry {
                seq,
                made: Instant::now(),
                status: parts.status,
                headers: parts.headers.clone(),
                body: bytes.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `ETag` on successful GET answers of the machine APIs, and `304 Not Modified` when the
/// client already has that version (`If-None-Match`), so polling clients save bandwidth.
pub async fn etag(req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let known = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    use sha2::Digest;
    let tag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(&bytes)[..16]));
    if known.is_some_and(|k| k.split(',').any(|t| t.trim() == tag || t.trim() == "*")) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = header::HeaderValue::from_str(&tag) {
            not_modified.headers_mut().insert(header::ETAG, v);
        }
        return not_modified;
    }
    if let Ok(v) = header::HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    Response::from_parts(parts, Body::from(bytes))
}
