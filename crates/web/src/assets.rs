//! CSS, JavaScript and icons, compiled into the binary: no CDN, nothing to install.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const ICON: &str = include_str!("../assets/icon.svg");
const CHECKIN_JS: &str = include_str!("../assets/checkin.js");
const MAP_JS: &str = include_str!("../assets/map.js");
const OFFLINE_JS: &str = include_str!("../assets/offline.js");
const SERVICE_WORKER: &str = include_str!("../assets/sw.js");
const ICON_192: &[u8] = include_bytes!("../assets/icon-192.png");
const ICON_512: &[u8] = include_bytes!("../assets/icon-512.png");
/// Leaflet 1.9.4 from npm (`web-lint/package.json`), copied by `scripts/vendor-leaflet`.
const LEAFLET_JS: &str = include_str!("../vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../vendor/leaflet/leaflet.css");
const MANIFEST: &str = include_str!("../assets/manifest.webmanifest");

pub fn routes() -> Router<crate::AppState> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/assets/checkin.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHECKIN_JS) }),
        )
        .route(
            "/assets/icon.svg",
            get(|| async { asset("image/svg+xml", ICON) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", ICON) }),
        )
        .route(
            "/assets/map.js",
            get(|| async { asset("text/javascript; charset=utf-8", MAP_JS) }),
        )
        .route(
            "/assets/offline.js",
            get(|| async { asset("text/javascript; charset=utf-8", OFFLINE_JS) }),
        )
        .route(
            "/assets/leaflet.js",
            get(|| async { asset("text/javascript; charset=utf-8", LEAFLET_JS) }),
        )
        .route(
            "/assets/leaflet.css",
            get(|| async { asset("text/css; charset=utf-8", LEAFLET_CSS) }),
        )
        .route(
            "/assets/icon-192.png",
            get(|| async { asset("image/png", ICON_192) }),
        )
        .route(
            "/assets/icon-512.png",
            get(|| async { asset("image/png", ICON_512) }),
        )
        .route(
            "/manifest.webmanifest",
            get(|| async { asset("application/manifest+json", MANIFEST) }),
        )
        // At the root, so that it may look after every page of the site (a worker's scope is
        // its own folder); never cached by HTTP, so a new version reaches browsers at once.
        .route(
            "/sw.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    SERVICE_WORKER,
                )
            }),
        )
}

fn asset<B: IntoResponse>(content_type: &'static str, body: B) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    /// A block left open makes every rule after it part of that block: two `@media print {`
    /// left open once made the rest of the sheet (the honeypot's `.visually-hidden`, the
    /// performance charts) apply only when printing.
    #[test]
    fn every_block_of_the_style_sheet_is_closed() {
        let mut depth = 0i32;
        let mut rest = super::CSS;
        while let Some(start) = rest.find("/*") {
            depth += braces(&rest[..start]);
            assert!(depth >= 0, "a `}}` closes nothing");
            let end = rest[start..]
                .find("*/")
                .map_or(rest.len(), |e| start + e + 2);
            rest = &rest[end..];
        }
        depth += braces(rest);
        assert_eq!(depth, 0, "app.css leaves {depth} block(s) open");
    }

    fn braces(css: &str) -> i32 {
        css.chars()
            .map(|c| match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            })
            .sum()
    }
}
