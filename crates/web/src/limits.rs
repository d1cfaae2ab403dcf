//! Per-address rate limits on the public endpoints that cost work: the search, the public
//! list, Open311, the CKAN actions, the DCAT documents and downloads, and the public form.
//! Counted in the database (`kotapintar_storage::limits`), so a client spreading requests
//! over several nodes gets no more than from one. Over the limit the answer is 429 with
//! `Retry-After`, in the shape the endpoint's clients read: a page for people, Open311's
//! error list, CKAN's envelope, or problem+json.
//!
//! Authenticated API calls (`/api/v1`) have their own per-client limit (`api::RateLimiter`).

use crate::i18n::{self, Lang};
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

/// What a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    /// Costly reads, per minute.
    Reads,
    /// Requests sent through the public form, per hour.
    Filings,
}

/// How a refusal is written for this endpoint's clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Page,
    Open311Xml,
    Open311Json,
    Ckan,
    Problem,
}

fn classify(method: &Method, path: &str) -> Option<(Bucket, Shape)> {
    let read = method == Method::GET || method == Method::HEAD;
    if path.starts_with("/open311/") {
        let shape = if path.ends_with(".json") {
            Shape::Open311Json
        } else {
            Shape::Open311Xml
        };
        return Some((Bucket::Reads, shape));
    }
    if path.starts_with("/api/3/action/") {
        return Some((Bucket::Reads, Shape::Ckan));
    }
    if method == Method::POST && path == "/lapor" {
        return Some((Bucket::Filings, Shape::Page));
    }
    if !read {
        return None;
    }
    match path {
        "/cari" | "/laporan" => Some((Bucket::Reads, Shape::Page)),
        "/data.json" | "/catalog.ttl" | "/catalog.jsonld" => Some((Bucket::Reads, Shape::Problem)),
        p if p.starts_with("/dcat/")
            || p.starts_with("/dataset/")
            || p.starts_with("/datastore/dump/") =>
        {
            Some((Bucket::Reads, Shape::Problem))
        }
        _ => None,
    }
}

pub async fn per_address(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some((bucket, shape)) = classify(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let (name, limit, window) = match bucket {
        Bucket::Reads => ("read", state.limits.reads_per_minute, 60),
        Bucket::Filings => ("lapor", state.limits.filings_per_hour, 3600),
    };
    if limit == 0 {
        return next.run(req).await;
    }
    let Some(ip) = crate::client_addr::of_request(
        req.extensions(),
        req.headers(),
        &state.config.trusted_proxies,
    ) else {
        return next.run(req).await;
    };
    let subject = crate::client_addr::limit_subject(ip);
    let now = Utc::now();
    match kotapintar_storage::limits::hit(&state.store, name, &subject, window, now).await {
        Ok(h) if h.count > i64::from(limit) => {
            let wait = (h.window_end - now).num_seconds().max(1);
            tracing::info!(bucket = name, %subject, "rate limit reached");
            too_many(shape, wait)
        }
        Ok(_) => next.run(req).await,
        // a counter that cannot be written must not take the public site down with it
        Err(e) => {
            tracing::warn!(error = %e, "rate limit counter not updated");
            next.run(req).await
        }
    }
}

fn too_many(shape: Shape, wait: i64) -> Response {
    let message = format!("Too many requests from this address; try again in {wait} s.");
    let (content_type, body) = match shape {
        Shape::Page => {
            let key = "error_page.too_many";
            (
                "text/html; charset=utf-8",
                format!(
                    "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>429</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main id=\"main\" class=\"container\"><h1>{}</h1><p lang=\"en\">{}</p><p><a href=\"/\">{}</a></p></main></body></html>",
                    i18n::t(Lang::Id, key),
                    i18n::t(Lang::En, key),
                    i18n::t(Lang::Id, "nav.home"),
                ),
            )
        }
        Shape::Open311Json => (
            "application/json; charset=utf-8",
            serde_json::json!([{"code": 429, "description": message}]).to_string(),
        ),
        Shape::Open311Xml => (
            "text/xml; charset=utf-8",
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>429</code><description>{message}</description></error></errors>"
            ),
        ),
        Shape::Ckan => (
            "application/json;charset=utf-8",
            serde_json::json!({
                "success": false,
                "error": {"__type": "Rate Limit Error", "message": message},
            })
            .to_string(),
        ),
        Shape::Problem => (
            "application/problem+json",
            serde_json::json!({
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": 429,
                "detail": message,
            })
            .to_string(),
        ),
    };
    let mut res = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        h.insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costly_public_endpoints_are_counted() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(classify(&get, "/cari"), Some((Bucket::Reads, Shape::Page)));
        assert_eq!(
            classify(&get, "/laporan"),
            Some((Bucket::Reads, Shape::Page))
        );
        assert_eq!(
            classify(&post, "/lapor"),
            Some((Bucket::Filings, Shape::Page))
        );
        assert_eq!(
            classify(&get, "/open311/v2/requests.json"),
            Some((Bucket::Reads, Shape::Open311Json))
        );
        assert_eq!(
            classify(&post, "/open311/v2/requests.xml"),
            Some((Bucket::Reads, Shape::Open311Xml))
        );
        assert_eq!(
            classify(&get, "/api/3/action/package_search"),
            Some((Bucket::Reads, Shape::Ckan))
        );
        assert_eq!(
            classify(&get, "/datastore/dump/x"),
            Some((Bucket::Reads, Shape::Problem))
        );
        // pages that cost little, the form itself, and staff pages are not counted
        for p in [
            "/",
            "/lapor",
            "/laporan/BDG-26-X",
            "/staf",
            "/assets/app.css",
        ] {
            assert_eq!(classify(&get, p), None, "{p}");
        }
        assert_eq!(classify(&post, "/login"), None);
    }
}
