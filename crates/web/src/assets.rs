//! CSS, JavaScript and icons, compiled into the binary: no CDN, nothing to install.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const ICON: &str = include_str!("../assets/icon.svg");
const CHECKIN_JS: &str = include_str!("../assets/checkin.js");

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
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
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
