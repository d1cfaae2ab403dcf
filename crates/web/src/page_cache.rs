//! Public HTML pages kept rendered: the request page, the public lists, home and the portal's
//! items change only when an event is written (or this node writes something), so each is
//! rendered once per version, language and address and then served from memory, with an
//! `ETag` that lets a returning browser get `304 Not Modified` without any rendering.
//!
//! Only anonymous visitors are served from here (no session cookie: a signed-in staff member's
//! pages carry their name and staff links). The one per-visitor part of these pages is the
//! CSRF token of their forms ("saya juga"): a page is rendered with a placeholder in its place
//! (a random value of the same length, unknown outside this process) and every visitor is
//! given the page with their own token written over it, so no visitor's token is ever served
//! to another. A page made with a token therefore has a per-visitor `ETag`.

use crate::csrf::CsrfToken;
use crate::i18n::Lang;
use crate::AppState;
use axum::body::{to_bytes, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Changes that write no event on another node (a service renamed, a "saya juga" counted, a
/// news item whose publication time has come, a deadline passed) show after at most this.
const MAX_AGE: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 2048;
const MAX_BODY: usize = 2 * 1024 * 1024;
/// The most the kept pages may hold together (resident memory is a target, issue 9).
const MAX_BYTES: usize = 24 * 1024 * 1024;

/// Whether the page at `path` is the same for every anonymous visitor (but for the CSRF
/// token) and changes only with the event head. Not: the reporter's follow-up pages (a secret
/// in the address, personal data), the form (`/lapor`), search (its index follows on its own),
/// feeds and files (they have their own caching), the staff area.
pub(crate) fn cacheable(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => true,
        ["laporan" | "berita" | "agenda" | "proyek" | "layanan"] => true,
        ["laporan" | "berita" | "agenda" | "proyek" | "unit", item] => {
            !item.is_empty() && !item.contains('.')
        }
        _ => false,
    }
}

struct Entry {
    version: (i64, i64),
    made: Instant,
    headers: HeaderMap,
    /// The page with the placeholder where each form's token goes.
    body: Bytes,
    /// Where the placeholder is in `body` (none: the page has no form).
    token_at: Vec<usize>,
    /// The body's hash: the `ETag` itself without a token, its first half with one.
    tag: String,
}

impl Entry {
    fn fresh(&self, version: (i64, i64)) -> bool {
        self.version == version && self.made.elapsed() < MAX_AGE
    }

    /// The `ETag` this visitor is given: with a token in the page, it names that token too,
    /// so a browser whose token changed (a new cookie) gets the page again, not a 304.
    fn etag(&self, token: &str) -> String {
        if self.token_at.is_empty() {
            format!("\"{}\"", self.tag)
        } else {
            use sha2::Digest;
            let t = sha2::Sha256::digest(token.as_bytes());
            format!("\"{}-{}\"", self.tag, hex::encode(&t[..8]))
        }
    }

    fn body_for(&self, token: &str) -> Bytes {
        if self.token_at.is_empty() {
            return self.body.clone();
        }
        let mut out = self.body.to_vec();
        for &at in &self.token_at {
            if let Some(slot) = out.get_mut(at..at + token.len()) {
                slot.copy_from_slice(token.as_bytes());
            }
        }
        Bytes::from(out)
    }

    fn answer(&self, token: &str, known: Option<&str>) -> Response {
        let tag = self.etag(token);
        let matches = known.is_some_and(|k| k.split(',').any(|t| t.trim() == tag));
        let mut res = if matches {
            let mut res = StatusCode::NOT_MODIFIED.into_response();
            for name in [header::VARY, header::CONTENT_LANGUAGE] {
                for v in self.headers.get_all(&name) {
                    res.headers_mut().append(name.clone(), v.clone());
                }
            }
            res
        } else {
            let mut res = (StatusCode::OK, self.body_for(token)).into_response();
            *res.headers_mut() = self.headers.clone();
            res
        };
        if let Ok(v) = HeaderValue::from_str(&tag) {
            res.headers_mut().insert(header::ETAG, v);
        }
        // a browser asks again each time (the 304 costs nothing); a page with a token is this
        // visitor's own and never kept by a shared cache
        let control = if self.token_at.is_empty() {
            "no-cache"
        } else {
            "private, no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(control));
        res
    }
}

type Key = (String, Lang);

#[derive(Clone)]
pub struct PageCache {
    entries: Arc<Mutex<HashMap<Key, Arc<Entry>>>>,
    /// Stands for the visitor's CSRF token while a page is rendered for everyone: as long as
    /// a real token and never sent to anyone, so no visitor can put it into the content.
    placeholder: Arc<str>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self {
            entries: Arc::default(),
            placeholder: kotapintar_storage::sessions::new_token().into(),
        }
    }
}

impl PageCache {
    fn lookup(&self, key: &Key, version: (i64, i64)) -> Option<Arc<Entry>> {
        let map = self.entries.lock().ok()?;
        map.get(key).filter(|e| e.fresh(version)).cloned()
    }

    fn keep(&self, key: Key, entry: Arc<Entry>) {
        let Ok(mut map) = self.entries.lock() else {
            return;
        };
        let held =
            |map: &HashMap<Key, Arc<Entry>>| map.values().map(|e| e.body.len()).sum::<usize>();
        let size = entry.body.len();
        if map.len() >= MAX_ENTRIES || held(&map) + size > MAX_BYTES {
            let version = entry.version;
            map.retain(|_, e| e.fresh(version));
            if map.len() >= MAX_ENTRIES || held(&map) + size > MAX_BYTES {
                map.clear();
            }
        }
        map.insert(key, entry);
    }

    /// Turns a rendered answer into an entry, if it may be kept: a complete HTML page that
    /// sets no cookie of its own.
    async fn entry(&self, res: Response, version: (i64, i64)) -> Result<Entry, Response> {
        let html = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        if res.status() != StatusCode::OK || !html || res.headers().contains_key(header::SET_COOKIE)
        {
            return Err(res);
        }
        let (parts, body) = res.into_parts();
        let Ok(body) = to_bytes(body, MAX_BODY).await else {
            return Err(
                (StatusCode::INTERNAL_SERVER_ERROR, "page too large to keep").into_response(),
            );
        };
        let token_at = find_all(&body, self.placeholder.as_bytes());
        use sha2::Digest;
        let tag = hex::encode(&sha2::Sha256::digest(&body)[..16]);
        Ok(Entry {
            version,
            made: Instant::now(),
            headers: parts.headers,
            body,
            token_at,
            tag,
        })
    }
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..].starts_with(needle) {
            at.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    at
}

fn anonymous(req: &Request) -> bool {
    CookieJar::from_headers(req.headers())
        .get(crate::session::COOKIE)
        .is_none()
}

/// Serves the cacheable public pages from memory (see the module's comment); everything else
/// passes through untouched.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET || !cacheable(req.uri().path()) || !anonymous(&req) {
        return next.run(req).await;
    }
    let Some(CsrfToken(token)) = req.extensions().get::<CsrfToken>().cloned() else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let lang = Lang::from_request_parts(&mut parts, &())
        .await
        .unwrap_or_default();
    let known = parts
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let address = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let key = (address, lang);
    let cache = &state.page_cache;
    let version = state.store.head.version();
    if let Some(e) = cache.lookup(&key, version) {
        return e.answer(&token, known.as_deref());
    }
    // Not one at a time (as `cache::PublicCache`): most misses are different pages (a
    // request page read once), and queueing them behind each other would leave the database
    // idle; a popular page changed by an event is made by at most each client waiting for it.
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut()
        .insert(CsrfToken(cache.placeholder.to_string()));
    let res = next.run(req).await;
    match cache.entry(res, version).await {
        Ok(entry) => {
            let entry = Arc::new(entry);
            cache.keep(key, entry.clone());
            entry.answer(&token, known.as_deref())
        }
        // not kept: it must not carry the placeholder (it cannot, but a form's token that
        // does not match would only refuse that visitor's form, never leak anything)
        Err(res) => res,
    }
}

/// After every write request on this node (a form, an API call), reads the event head again
/// and counts the write, before answering: whoever changed something sees the change on the
/// next page they ask for, with no query per read. Other nodes learn of it through
/// `kotapintar_storage::events::follow`.
pub async fn after_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if write {
        let head = &state.store.head;
        if let Err(e) = head.refresh(&state.store.reader).await {
            tracing::warn!(error = %e, "cannot read the event head");
        }
        head.touch();
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_that_are_the_same_for_everyone() {
        for p in [
            "/",
            "/laporan",
            "/laporan/KP-26-ABCDE",
            "/berita",
            "/berita/jalan-baru",
            "/agenda/rapat",
            "/proyek",
            "/layanan",
            "/unit/dinas-pu",
        ] {
            assert!(cacheable(p), "{p}");
        }
        for p in [
            "/lapor",
            "/laporan/KP-26-ABCDE/ikuti/secret",
            "/laporan/KP-26-ABCDE/dukung",
            "/cari",
            "/berita.atom",
            "/unit/dinas-pu/laporan.atom",
            "/staf",
            "/staf/laporan",
            "/login",
            "/foto/x.jpg",
            "/laporan/",
        ] {
            assert!(!cacheable(p), "{p}");
        }
    }

    #[test]
    fn each_visitor_gets_their_own_token_and_tag() {
        let placeholder = "p".repeat(64);
        let body = format!("<form><input value=\"{placeholder}\"></form>{placeholder}");
        let token_at = find_all(body.as_bytes(), placeholder.as_bytes());
        assert_eq!(token_at.len(), 2);
        let e = Entry {
            version: (1, 0),
            made: Instant::now(),
            headers: HeaderMap::new(),
            body: Bytes::from(body),
            token_at,
            tag: "abc".into(),
        };
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let body_a = e.body_for(&a);
        let text = String::from_utf8_lossy(&body_a);
        assert!(text.contains(&a) && !text.contains(&placeholder) && !text.contains(&b));
        assert_ne!(e.etag(&a), e.etag(&b));
        let not_modified = e.answer(&a, Some(&e.etag(&a)));
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        // another visitor's tag is not this visitor's page
        assert_eq!(e.answer(&a, Some(&e.etag(&b))).status(), StatusCode::OK);
        assert!(!e.fresh((2, 0)) && !e.fresh((1, 1)) && e.fresh((1, 0)));
    }
}
