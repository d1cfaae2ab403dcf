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
/// The most the cached bodies may hold together: resident memory is a target (issue 9), and
/// a few large lists must not push out everything else or grow without bound.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// One value computed from the database and shared by every visitor, made again when an event
/// has been written since (`seq` is the event head it was made at) or when it is `max_age`
/// old. Only one caller at a time makes it: under load the others are given the previous
/// value while it is being made (or wait for the first one), instead of all computing the
/// same thing at once and queueing on the database.
pub struct Memo<T> {
    slot: Mutex<Option<(i64, Instant, Arc<T>)>>,
    making: tokio::sync::Mutex<()>,
    max_age: Duration,
}

impl<T> Memo<T> {
    pub fn new(max_age: Duration) -> Self {
        Self {
            slot: Mutex::new(None),
            making: tokio::sync::Mutex::new(()),
            max_age,
        }
    }

    /// The value made at `seq` and still young enough; else the last one made (if any).
    fn current(&self, seq: i64) -> (Option<Arc<T>>, Option<Arc<T>>) {
        let Ok(slot) = self.slot.lock() else {
            return (None, None);
        };
        match slot.as_ref() {
            Some((at, made, v)) if *at == seq && made.elapsed() < self.max_age => {
                (Some(v.clone()), None)
            }
            Some((_, _, v)) => (None, Some(v.clone())),
            None => (None, None),
        }
    }

    pub async fn get<F, Fut, E>(&self, seq: i64, make: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let (fresh, stale) = self.current(seq);
        if let Some(v) = fresh {
            return Ok(v);
        }
        let _making = match (self.making.try_lock(), stale) {
            (Ok(guard), _) => guard,
            (Err(_), Some(stale)) => return Ok(stale),
            (Err(_), None) => self.making.lock().await,
        };
        // whoever held the lock may have just made it
        if let (Some(v), _) = self.current(seq) {
            return Ok(v);
        }
        let v = Arc::new(make().await?);
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((seq, Instant::now(), v.clone()));
        }
        Ok(v)
    }
}

struct Entry {
    seq: (i64, i64),
    made: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

type Key = (String, bool);

#[derive(Clone)]
pub struct PublicCache {
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
    /// Answers being made, at most one per core: when many clients ask for the same list at
    /// once, the others wait and then find it cached, instead of each making it (and holding
    /// its own copy in memory) at the same time.
    making: Arc<tokio::sync::Semaphore>,
}

impl Default for PublicCache {
    fn default() -> Self {
        Self {
            entries: Arc::default(),
            making: Arc::new(tokio::sync::Semaphore::new(crate::cpu_slots())),
        }
    }
}

impl PublicCache {
    fn lookup(&self, key: &Key, seq: (i64, i64)) -> Option<Response> {
        let map = self.entries.lock().ok()?;
        let e = map
            .get(key)
            .filter(|e| e.seq == seq && e.made.elapsed() < MAX_AGE)?;
        let mut res = (e.status, e.body.clone()).into_response();
        *res.headers_mut() = e.headers.clone();
        Some(res)
    }
}

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
    // this node's writes and the event head as kept in memory (no query per request)
    let seq = state.store.head.version();
    let cache = &state.public_cache;
    if let Some(res) = cache.lookup(&key, seq) {
        return res;
    }
    let Ok(_making) = cache.making.acquire().await else {
        return next.run(req).await;
    };
    if let Some(res) = cache.lookup(&key, seq) {
        return res;
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
    if let Ok(mut map) = cache.entries.lock() {
        let held = |map: &HashMap<_, Entry>| map.values().map(|e| e.body.len()).sum::<usize>();
        if map.len() >= MAX_ENTRIES || held(&map) + bytes.len() > MAX_BYTES {
            map.retain(|_, e| e.seq == seq && e.made.elapsed() < MAX_AGE);
            if map.len() >= MAX_ENTRIES || held(&map) + bytes.len() > MAX_BYTES {
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
