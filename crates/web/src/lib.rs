//! kotapintar over HTTP. Handlers are thin: they turn a request into domain input, ask
//! storage to do the work, and render a template or JSON. Authorisation goes through
//! `kotapintar_domain::policy`; errors become responses in `error.rs`, nowhere else.

pub mod api;
mod assets;
mod cache;
mod channels;
mod charts;
mod client_addr;
mod csrf;
mod error;
pub mod i18n;
mod limits;
mod map;
pub mod open311;
mod opendata;
mod page_cache;
mod pages;
mod pdf;
mod report;
mod session;
mod view;
pub mod webhook_target;

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use kotapintar_domain::region::RegionCode;
use kotapintar_storage::Store;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use channels::ChannelIntake;
pub use error::WebError;

/// What the web layer needs to know of the settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure`: on whenever the public address is https.
    pub secure_cookies: bool,
    pub session_ttl: chrono::Duration,
    /// The regency or city this deployment serves (e.g. `51.03`).
    pub regency: RegionCode,
    /// Time limits, tracking-code prefix, the public address: the rules for requests.
    pub rules: kotapintar_domain::request::RequestRules,
    /// Where uploaded photos are kept (`DATA_DIR/uploads`).
    pub uploads: std::path::PathBuf,
    /// The base map's tile URL template (`{z}/{x}/{y}`); `None`: maps without tiles.
    pub map_tile_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (for login throttling).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Webhooks may be subscribed to private addresses (`KOTAPINTAR_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
}

/// Limits against abuse of the public surface; 0 turns one off. See `limits.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicLimits {
    /// Costly public reads (search, the public list, Open311, CKAN, DCAT and downloads) per
    /// client address (an IPv6 /64) per minute.
    pub reads_per_minute: u32,
    /// Requests sent through the public form per client address per hour.
    pub filings_per_hour: u32,
    /// Requests filed with one phone number per day (each sends it WhatsApp/SMS messages).
    pub messages_per_phone_per_day: u32,
    /// Seconds between showing the public form and accepting it (a person needs longer).
    pub form_min_fill_seconds: u32,
}

impl Default for PublicLimits {
    fn default() -> Self {
        Self {
            reads_per_minute: 120,
            filings_per_hour: 20,
            messages_per_phone_per_day: 5,
            form_min_fill_seconds: 3,
        }
    }
}

/// How long a node uses the holiday calendar it loaded. An edit made on another node writes
/// nothing this node watches; reading the (small) table again this often bounds how long
/// deadlines here ignore it, at the cost of one query per period.
const CALENDAR_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10);

struct CachedCalendar {
    calendar: Arc<kotapintar_domain::working_days::Calendar>,
    loaded: std::time::Instant,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    regency_name: Arc<std::sync::RwLock<Option<String>>>,
    calendar: Arc<std::sync::RwLock<Option<CachedCalendar>>>,
    pub rate_limiter: api::RateLimiter,
    pub public_cache: cache::PublicCache,
    /// Public HTML pages as rendered for anonymous visitors (`page_cache.rs`).
    pub(crate) page_cache: page_cache::PageCache,
    /// This node's search index, kept current by `kotapintar_search::sync::follow`.
    pub search: Arc<kotapintar_search::SearchIndex>,
    pub home_cache: pages::HomeCache,
    pub(crate) dashboards: pages::kinerja::DashboardCache,
    pub(crate) opendata: opendata::Caches,
    /// Searches run on blocking threads; this many at a time (one per core). More would not
    /// finish sooner, and each thread keeps its own allocations resident.
    pub(crate) search_slots: Arc<tokio::sync::Semaphore>,
    /// Photos decoded at once (one per core), whoever sent them: decoding is CPU and memory.
    pub(crate) decode_slots: Arc<tokio::sync::Semaphore>,
    pub(crate) limits: Arc<PublicLimits>,
    /// The key that signs the public form's start time, read once from the database.
    pub(crate) form_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// The chat webhooks' secrets and limits (`channels.rs`).
    pub(crate) channels: Arc<ChannelIntake>,
    /// The routing model in use, read again when a newer one is stored.
    pub(crate) routing: kotapintar_storage::routing::ModelCache,
}

/// How many CPU-heavy tasks (searches, building a public list) run at once.
pub(crate) fn cpu_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

impl AppState {
    pub fn new(
        store: Store,
        config: WebConfig,
        search: Arc<kotapintar_search::SearchIndex>,
    ) -> Self {
        Self {
            store,
            config: Arc::new(config),
            regency_name: Arc::default(),
            calendar: Arc::default(),
            rate_limiter: api::RateLimiter::default(),
            public_cache: cache::PublicCache::default(),
            page_cache: page_cache::PageCache::default(),
            search,
            home_cache: pages::HomeCache::default(),
            dashboards: pages::kinerja::DashboardCache::default(),
            opendata: opendata::Caches::default(),
            search_slots: Arc::new(tokio::sync::Semaphore::new(cpu_slots())),
            decode_slots: Arc::new(tokio::sync::Semaphore::new(cpu_slots())),
            limits: Arc::new(PublicLimits::default()),
            form_key: Arc::default(),
            channels: Arc::default(),
            routing: Default::default(),
        }
    }

    /// The same state with these chat channels (all off by default).
    pub fn with_channels(mut self, channels: ChannelIntake) -> Self {
        self.channels = Arc::new(channels);
        self
    }

    /// The same state with these abuse limits instead of the defaults.
    pub fn with_limits(mut self, limits: PublicLimits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    /// The working-day calendar: reloaded at once on this node after an admin edits the
    /// holidays here, and at most `CALENDAR_MAX_AGE` later on the other nodes.
    pub async fn calendar(
        &self,
    ) -> Result<Arc<kotapintar_domain::working_days::Calendar>, WebError> {
        if let Ok(guard) = self.calendar.read() {
            if let Some(c) = guard
                .as_ref()
                .filter(|c| c.loaded.elapsed() < CALENDAR_MAX_AGE)
            {
                return Ok(c.calendar.clone());
            }
        }
        let c = Arc::new(kotapintar_storage::holidays::calendar(&self.store).await?);
        if let Ok(mut guard) = self.calendar.write() {
            *guard = Some(CachedCalendar {
                calendar: c.clone(),
                loaded: std::time::Instant::now(),
            });
        }
        Ok(c)
    }

    pub fn forget_calendar(&self) {
        if let Ok(mut guard) = self.calendar.write() {
            *guard = None;
        }
    }

    /// The name shown in every page header, read once the regions have been imported.
    pub async fn regency_name(&self) -> String {
        if let Ok(guard) = self.regency_name.read() {
            if let Some(n) = guard.as_ref() {
                return n.clone();
            }
        }
        match kotapintar_storage::regions::get(&self.store, &self.config.regency).await {
            Ok(r) => {
                if let Ok(mut guard) = self.regency_name.write() {
                    *guard = Some(r.name.clone());
                }
                r.name
            }
            Err(_) => String::new(),
        }
    }
}

/// Only our own origin, plus the map tile server's for images when one is configured. No
/// inline script or style anywhere (every asset is a file), no plugins, no `<base>`, and no
/// framing by anyone (clickjacking).
fn content_security_policy(tile_url: Option<&str>) -> HeaderValue {
    const FIXED: &str =
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
    let tiles = tile_url
        .and_then(charts::tile_origin)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data:{tiles}; style-src 'self'; script-src 'self'; {FIXED}"
    ))
    .unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
    })
}

/// Powerful browser features are off everywhere except where a page needs one: the request
/// form's "use my location" button (`/lapor`) and the trainer's QR scanner on the bimtek
/// check-in page (`/staf/bimtek/{id}/hadir`).
/// A path as logs may keep it: the reporter's follow-up secret (`/laporan/{code}/ikuti/{token}`)
/// is a password in the address, and whoever reads the logs must not be able to act as the
/// reporter or read their contact data.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.split_once("/ikuti/") {
        Some((before, after)) => {
            let rest = after.find('/').map_or("", |i| &after[i..]);
            format!("{before}/ikuti/[rahasia]{rest}").into()
        }
        None => path.into(),
    }
}

fn permissions_policy_for(path: &str) -> &'static str {
    if path == "/lapor" {
        "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"
    } else if path.starts_with("/staf/bimtek/") && path.ends_with("/hadir") {
        "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
    } else {
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    }
}

async fn permissions_policy(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let policy = permissions_policy_for(req.uri().path());
    let mut res = next.run(req).await;
    res.headers_mut()
        .entry(PERMISSIONS_POLICY)
        .or_insert(HeaderValue::from_static(policy));
    res
}

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    // Set on every response, pages, API, feeds, files and errors alike (a test checks them);
    // `if_not_present` lets a handler choose stricter values for its own answer.
    let security_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // for browsers that predate `frame-ancestors`
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // stricter than strict-origin-when-cross-origin: other sites learn nothing, not even
        // that a visitor came from a request's page
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(state.config.map_tile_url.as_deref()),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            CROSS_ORIGIN_OPENER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // over https only: the browser then refuses plain http for a year
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            state
                .config
                .secure_cookies
                .then(|| HeaderValue::from_static("max-age=31536000")),
        ))
        .layer(axum::middleware::from_fn(permissions_policy));
    pages::routes()
        .layer(axum::middleware::from_fn(i18n::language_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page_cache::layer,
        ))
        .merge(assets::routes())
        .merge(channels::routes())
        .merge(opendata::routes())
        .merge(
            api::routes()
                .layer(axum::middleware::from_fn(cache::etag))
                .layer(axum::middleware::from_fn_with_state(state.clone(), api::log_calls)),
        )
        .merge(
            open311::routes()
                .layer(tower_http::compression::CompressionLayer::new())
                .layer(axum::middleware::from_fn_with_state(state.clone(), cache::layer))
                .layer(axum::middleware::from_fn(cache::etag)),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::ensure_cookie,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page_cache::after_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::per_address,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                        let id = req
                            .headers()
                            .get(&REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        let path = loggable_path(req.uri().path());
                        tracing::info_span!("http", method = %req.method(), path = %path, request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(60),
                )),
        )
        // outermost, so that even a timeout's answer carries them
        .layer(security_headers)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follow_up_secret_never_reaches_the_logs() {
        assert_eq!(
            loggable_path("/laporan/BDG-26-ABCDE/ikuti/0123456789abcdef/survei"),
            "/laporan/BDG-26-ABCDE/ikuti/[rahasia]/survei"
        );
        assert_eq!(
            loggable_path("/laporan/BDG-26-ABCDE/ikuti/0123456789abcdef"),
            "/laporan/BDG-26-ABCDE/ikuti/[rahasia]"
        );
        assert_eq!(loggable_path("/laporan"), "/laporan");
    }

    #[test]
    fn camera_and_location_only_where_needed() {
        assert!(permissions_policy_for("/lapor").contains("geolocation=(self)"));
        assert!(permissions_policy_for("/lapor").contains("camera=()"));
        let checkin = permissions_policy_for("/staf/bimtek/7/hadir");
        assert!(checkin.contains("camera=(self)") && checkin.contains("geolocation=()"));
        for p in [
            "/",
            "/laporan",
            "/staf/bimtek/7",
            "/laporan/x/hadir",
            "/api/v1/requests",
        ] {
            let policy = permissions_policy_for(p);
            assert!(
                policy.contains("camera=()") && policy.contains("geolocation=()"),
                "{p}"
            );
        }
    }
}
