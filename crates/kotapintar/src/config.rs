//! Settings: compiled-in defaults, then `kotapintar.toml` (optional), then `KOTAPINTAR_*`
//! environment variables, then command-line flags; each later source wins. The result is
//! checked once into typed values, so the rest of the program never sees a raw string.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use kotapintar_domain::region::RegionCode;
use kotapintar_storage::DatabaseUrl;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A secret from the configuration: usable, but never printed.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The settings as the sources give them, before checking.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RawSettings {
    pub listen: String,
    /// Defaults to `sqlite://{data_dir}/kotapintar.db`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// Where this node keeps its search index (derived from the database, rebuilt when
    /// missing). Defaults to `{data_dir}/search`; every node needs its own.
    pub search_dir: Option<PathBuf>,
    pub admin_password: Option<Secret>,
    /// The Kemendagri code of the regency or city this deployment serves.
    pub regency: String,
    /// The address people use, e.g. `https://kotapintar.badungkab.go.id`. Cookies are
    /// marked `Secure` when it is https.
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `kotapintar=debug,info`.
    pub log: String,
    pub session_ttl_hours: i64,
    /// Run the background job worker in this process. Turn off for web-only nodes.
    pub worker: bool,
    /// The deployment's time zone as hours from UTC: 7 (WIB), 8 (WITA, Bali), 9 (WIT).
    pub utc_offset_hours: i32,
    /// The letters that start every tracking code, e.g. `BDG` in `BDG-26-7K3Q9`.
    pub tracking_prefix: String,
    /// Working days for the central desk to verify and dispatch (SP4N-LAPOR!: 3).
    pub sla_verify_days: u32,
    /// Working days for a unit to start following up (SP4N-LAPOR!: 5).
    pub sla_follow_up_days: u32,
    /// Working days to resolve when the service sets no limit.
    pub sla_resolve_days: u32,
    /// Working days the reporter may reopen a resolved request before it closes (LAPOR!: 10).
    pub objection_days: u32,
    /// Working days past a deadline before escalation reaches the central desk.
    pub escalate_to_desk_after_days: u32,
    /// Hours after which a request no unit has taken shows on the leadership page (1 to 720).
    pub untaken_escalate_hours: u32,
    /// Days after closing before a reporter's personal data is erased.
    pub retention_days: u32,
    /// Working days for the central desk to validate a unit's follow-up (services that
    /// require validated closure).
    pub sla_validate_days: u32,
    /// The regency's extent `[min_lat, min_lon, max_lat, max_lon]`, to refuse far-away
    /// coordinates and draw the map. Defaults to Badung's when the regency is 51.03.
    pub bounds: Option<[f64; 4]>,
    /// The base map's tile server for the hot-spot map, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`. Empty: no tiles (the map is drawn
    /// without a base map). The tiles' origin is added to the Content-Security-Policy.
    pub map_tile_url: String,
    pub smtp: kotapintar_jobs::notify::SmtpConfig,
    pub message_gateway: kotapintar_jobs::notify::MessageGatewayConfig,
    /// Reverse proxies in front of this node (addresses or networks, e.g. `10.0.0.0/8`),
    /// separated by commas or spaces. Only from these is `X-Forwarded-For` believed when
    /// login attempts are counted per client address. Empty: the connection's own address.
    pub trusted_proxies: String,
    /// Let webhooks go to private, loopback and link-local addresses (a receiver on the
    /// regency's own network). Off: only public addresses, so an API client cannot make the
    /// server call itself, its database or the internal network (SSRF).
    pub webhook_allow_private: bool,
    /// The key of the audit chain (`KOTAPINTAR_AUDIT_KEY`): 64 hex digits, e.g. from
    /// `openssl rand -hex 32`. Read verbatim from the environment. Wins over `audit_key_file`.
    pub audit_key: Option<Secret>,
    /// A file holding the audit key (`KOTAPINTAR_AUDIT_KEY_FILE`); it must exist. Without
    /// either setting the key is `{data_dir}/audit.key`, created (mode 0600) on first start.
    pub audit_key_file: Option<PathBuf>,
    /// Free space (MB) kept on the disks of the data directory and the database: below it,
    /// new requests and uploads are refused (503, the form kept) and `/readyz` fails, before
    /// the disk is full rather than after. 0 turns the watch off.
    pub min_free_mb: u64,
    /// Costly public reads (search, the public list, Open311, the CKAN actions, DCAT and
    /// downloads) one client address (an IPv6 /64) may make per minute; 0: no limit.
    pub rate_limit_reads_per_minute: u32,
    /// Requests one client address may send through the public form per hour; 0: no limit.
    pub rate_limit_filings_per_hour: u32,
    /// Requests the public form accepts per day with one phone number (each sends it
    /// WhatsApp/SMS messages); 0: no limit.
    pub messages_per_phone_per_day: u32,
    /// Seconds the public form must have been open before it is accepted (bots send at
    /// once); 0: off.
    pub form_min_fill_seconds: u32,
    /// Days the calls of API clients are kept (shown in the application registry).
    pub api_call_retention_days: u32,
    /// The Telegram bot's token from BotFather (`KOTAPINTAR_TELEGRAM_BOT_TOKEN`); without it
    /// the Telegram channel is off.
    pub telegram_bot_token: Option<Secret>,
    /// The `secret_token` given to `setWebhook` (`KOTAPINTAR_TELEGRAM_SECRET`): updates
    /// without it in `X-Telegram-Bot-Api-Secret-Token` are refused.
    pub telegram_secret: Option<Secret>,
    /// The Bot API's address (`KOTAPINTAR_TELEGRAM_API_URL`).
    pub telegram_api_url: String,
    /// WhatsApp Business Cloud API (`KOTAPINTAR_WHATSAPP_*`): the token Meta's webhook
    /// verification carries, the app secret that signs webhooks, the access token and phone
    /// number id that send, and the Graph API's address with its version.
    pub whatsapp_verify_token: Option<Secret>,
    pub whatsapp_app_secret: Option<Secret>,
    pub whatsapp_access_token: Option<Secret>,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_api_url: String,
    /// The Android SMS gateway (`KOTAPINTAR_SMS_*`): the key that signs its webhooks, the
    /// address of its send API, and its username and password.
    pub sms_signing_key: Option<Secret>,
    pub sms_api_url: Option<String>,
    pub sms_username: Option<String>,
    pub sms_password: Option<Secret>,
    /// Chat messages one sender may send per minute; more are dropped. 0: no limit.
    pub channel_messages_per_sender_per_minute: u32,
    /// Chat messages each channel takes per day, all senders together. 0: no limit.
    pub channel_daily_cap: u32,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from("data"),
            search_dir: None,
            admin_password: None,
            regency: "51.03".into(),
            public_url: None,
            log_format: LogFormat::Text,
            log: "info".into(),
            session_ttl_hours: 12,
            worker: true,
            utc_offset_hours: 8,
            tracking_prefix: "BDG".into(),
            sla_verify_days: 3,
            sla_follow_up_days: 5,
            sla_resolve_days: 14,
            objection_days: 10,
            escalate_to_desk_after_days: 2,
            untaken_escalate_hours: 24,
            retention_days: 730,
            sla_validate_days: 3,
            bounds: None,
            map_tile_url: String::new(),
            smtp: Default::default(),
            message_gateway: Default::default(),
            trusted_proxies: String::new(),
            webhook_allow_private: false,
            audit_key: None,
            audit_key_file: None,
            min_free_mb: 256,
            rate_limit_reads_per_minute: 120,
            rate_limit_filings_per_hour: 20,
            messages_per_phone_per_day: 5,
            form_min_fill_seconds: 3,
            api_call_retention_days: 90,
            telegram_bot_token: None,
            telegram_secret: None,
            telegram_api_url: "https://api.telegram.org".into(),
            whatsapp_verify_token: None,
            whatsapp_app_secret: None,
            whatsapp_access_token: None,
            whatsapp_phone_number_id: None,
            whatsapp_api_url: "https://graph.facebook.com/v21.0".into(),
            sms_signing_key: None,
            sms_api_url: None,
            sms_username: None,
            sms_password: None,
            channel_messages_per_sender_per_minute: 20,
            channel_daily_cap: 5000,
        }
    }
}

/// Flags given on the command line; `None` leaves the other sources in charge.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

/// The checked settings the program runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    pub search_dir: PathBuf,
    pub admin_password: Option<Secret>,
    pub regency: RegionCode,
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    pub log: String,
    pub session_ttl_hours: i64,
    pub worker: bool,
    pub rules: kotapintar_domain::request::RequestRules,
    /// A checked tile URL template with `{z}`, `{x}` and `{y}`; `None`: no base map.
    pub map_tile_url: Option<String>,
    pub smtp: kotapintar_jobs::notify::SmtpConfig,
    pub message_gateway: kotapintar_jobs::notify::MessageGatewayConfig,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Limits against abuse of the public surface (`rate_limit_*`, `messages_per_phone_per_day`,
    /// `form_min_fill_seconds`).
    pub limits: kotapintar_web::PublicLimits,
    pub api_call_retention_days: u32,
    pub min_free_mb: u64,
    pub webhook_allow_private: bool,
    /// Where the audit chain's key comes from (see `crate::audit_key`).
    pub audit_key: AuditKeySource,
    /// The Telegram bot (the worker's half: token, API address).
    pub telegram: kotapintar_jobs::channels::TelegramConfig,
    /// The WhatsApp Business account (the worker's half).
    pub whatsapp: kotapintar_jobs::channels::WhatsAppConfig,
    /// The SMS gateway's send API.
    pub sms: kotapintar_jobs::channels::SmsConfig,
    /// The chat webhooks' secrets and limits (the web half).
    pub channels: kotapintar_web::ChannelIntake,
}

/// Where the audit chain's key comes from. It is kept outside the database, so that whoever
/// can write the database cannot recompute the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditKeySource {
    /// `KOTAPINTAR_AUDIT_KEY` (or `audit_key` in the file).
    Value(Secret),
    /// `KOTAPINTAR_AUDIT_KEY_FILE`: must exist.
    File(PathBuf),
    /// `{data_dir}/audit.key`: created on first start if the chain is not keyed yet.
    DefaultFile(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Source(#[from] Box<figment::Error>),
    #[error("configuration: {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// The sources in order of precedence, lowest first. A missing file is skipped: the file is
/// optional (the command line refuses a `--config` that names a missing file).
pub fn figment(config_file: &Path, overrides: &Overrides) -> Figment {
    let mut f = Figment::from(Serialized::defaults(RawSettings::default()));
    if config_file.exists() {
        f = f.merge(Toml::file_exact(config_file));
    }
    // Environment values are parsed as TOML values, which would read the code `51.10` as the
    // number 51.1; codes are therefore taken verbatim.
    const VERBATIM: [&str; 9] = [
        "telegram_bot_token",
        "telegram_secret",
        "whatsapp_verify_token",
        "whatsapp_app_secret",
        "whatsapp_access_token",
        "whatsapp_phone_number_id",
        "sms_signing_key",
        "sms_username",
        "sms_password",
    ];
    f = f.merge(
        Env::prefixed("KOTAPINTAR_")
            .ignore(&["regency", "audit_key"])
            .ignore(&VERBATIM),
    );
    // secrets of digits only would be read as numbers
    for key in VERBATIM {
        if let Ok(v) = std::env::var(format!("KOTAPINTAR_{}", key.to_uppercase())) {
            f = f.merge(Serialized::default(key, v));
        }
    }
    if let Ok(code) = std::env::var("KOTAPINTAR_REGENCY") {
        f = f.merge(Serialized::default("regency", code));
    }
    // A key of digits only would be read as a number, too.
    if let Ok(key) = std::env::var("KOTAPINTAR_AUDIT_KEY") {
        f = f.merge(Serialized::default("audit_key", key));
    }
    f.merge(Serialized::defaults(overrides))
}

impl Settings {
    pub fn load(config_file: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        let raw: RawSettings = figment(config_file, overrides)
            .extract()
            .map_err(Box::new)?;
        Self::check(raw)
    }

    pub fn check(raw: RawSettings) -> Result<Self, ConfigError> {
        let listen = raw.listen.parse().map_err(|_| {
            invalid(
                "listen",
                format!("'{}' is not an address like 127.0.0.1:8080", raw.listen),
            )
        })?;
        let url = raw.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", raw.data_dir.join("kotapintar.db").display())
        });
        let database_url =
            DatabaseUrl::parse(&url).map_err(|e| invalid("database_url", e.to_string()))?;
        let regency = RegionCode::parse(&raw.regency)
            .ok()
            .filter(|c| c.level() == kotapintar_domain::region::RegionLevel::Regency)
            .ok_or_else(|| {
                invalid(
                    "regency",
                    format!("'{}' is not a regency or city code like 51.03", raw.regency),
                )
            })?;
        let rules = request_rules(&raw, &regency)?;
        let map_tile_url = match raw.map_tile_url.trim() {
            "" => None,
            u => Some(check_tile_url(u).map_err(|m| invalid("map_tile_url", m))?),
        };
        let trusted_proxies = trusted_proxies(&raw.trusted_proxies)?;
        if raw.api_call_retention_days == 0 {
            return Err(invalid(
                "api_call_retention_days",
                "must be at least 1".into(),
            ));
        }
        if !(1..=24 * 30).contains(&raw.session_ttl_hours) {
            return Err(invalid(
                "session_ttl_hours",
                "must be between 1 and 720".into(),
            ));
        }
        let audit_key = match (raw.audit_key, raw.audit_key_file) {
            (Some(k), _) if !k.expose().trim().is_empty() => {
                kotapintar_domain::audit::AuditKey::parse(k.expose())
                    .map_err(|e| invalid("audit_key", e.to_string()))?;
                AuditKeySource::Value(k)
            }
            (_, Some(file)) if !file.as_os_str().is_empty() => AuditKeySource::File(file),
            _ => AuditKeySource::DefaultFile(raw.data_dir.join("audit.key")),
        };
        Ok(Self {
            audit_key,
            listen,
            database_url,
            search_dir: raw
                .search_dir
                .unwrap_or_else(|| raw.data_dir.join("search")),
            data_dir: raw.data_dir,
            admin_password: raw.admin_password,
            regency,
            public_url: raw.public_url,
            log_format: raw.log_format,
            log: raw.log,
            session_ttl_hours: raw.session_ttl_hours,
            worker: raw.worker,
            rules,
            map_tile_url,
            smtp: raw.smtp,
            message_gateway: raw.message_gateway,
            trusted_proxies,
            webhook_allow_private: raw.webhook_allow_private,
            min_free_mb: raw.min_free_mb,
            limits: kotapintar_web::PublicLimits {
                reads_per_minute: raw.rate_limit_reads_per_minute,
                filings_per_hour: raw.rate_limit_filings_per_hour,
                messages_per_phone_per_day: raw.messages_per_phone_per_day,
                form_min_fill_seconds: raw.form_min_fill_seconds,
            },
            api_call_retention_days: raw.api_call_retention_days,
            telegram: kotapintar_jobs::channels::TelegramConfig {
                bot_token: raw.telegram_bot_token.map(|s| s.expose().to_string()),
                api_url: raw.telegram_api_url,
                ..Default::default()
            },
            whatsapp: kotapintar_jobs::channels::WhatsAppConfig {
                access_token: raw.whatsapp_access_token.map(|s| s.expose().to_string()),
                phone_number_id: raw.whatsapp_phone_number_id,
                api_url: raw.whatsapp_api_url,
                ..Default::default()
            },
            sms: kotapintar_jobs::channels::SmsConfig {
                api_url: raw.sms_api_url,
                username: raw.sms_username,
                password: raw.sms_password.map(|s| s.expose().to_string()),
                ..Default::default()
            },
            channels: kotapintar_web::ChannelIntake {
                sms_signing_key: secret(raw.sms_signing_key),
                telegram_secret: secret(raw.telegram_secret),
                whatsapp_verify_token: secret(raw.whatsapp_verify_token),
                whatsapp_app_secret: secret(raw.whatsapp_app_secret),
                per_sender_per_minute: raw.channel_messages_per_sender_per_minute,
                daily_cap: raw.channel_daily_cap,
            },
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

fn invalid(key: &'static str, message: String) -> ConfigError {
    ConfigError::Invalid { key, message }
}

/// The request workflow's settings: deadlines, time zone, tracking codes, the map's bounds.
fn request_rules(
    raw: &RawSettings,
    regency: &RegionCode,
) -> Result<kotapintar_domain::request::RequestRules, ConfigError> {
    if let Some(u) = &raw.public_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(invalid(
                "public_url",
                format!("'{u}' must start with http:// or https://"),
            ));
        }
    }
    let utc_offset = chrono::FixedOffset::east_opt(raw.utc_offset_hours * 3600)
        .filter(|_| (-12..=14).contains(&raw.utc_offset_hours))
        .ok_or_else(|| {
            invalid(
                "utc_offset_hours",
                format!("{} is not an offset in hours", raw.utc_offset_hours),
            )
        })?;
    let prefix = raw.tracking_prefix.trim().to_uppercase();
    if !(2..=5).contains(&prefix.len()) || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid(
            "tracking_prefix",
            format!("'{}' must be 2 to 5 letters", raw.tracking_prefix),
        ));
    }
    if !(1..=720).contains(&raw.untaken_escalate_hours) {
        return Err(invalid(
            "untaken_escalate_hours",
            format!("{} must be 1 to 720 hours", raw.untaken_escalate_hours),
        ));
    }
    let bounds = match raw.bounds {
        Some([min_lat, min_lon, max_lat, max_lon]) => {
            if !(min_lat < max_lat && min_lon < max_lon) {
                return Err(invalid(
                    "bounds",
                    "expected [min_lat, min_lon, max_lat, max_lon]".into(),
                ));
            }
            Some(kotapintar_domain::intake::BoundingBox {
                min_lat,
                min_lon,
                max_lat,
                max_lon,
            })
        }
        None if regency.as_str() == "51.03" => Some(kotapintar_domain::intake::BoundingBox::BADUNG),
        None => None,
    };
    let public_url = raw
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", raw.listen))
        .trim_end_matches('/')
        .to_string();
    Ok(kotapintar_domain::request::RequestRules {
        verify_days: raw.sla_verify_days,
        follow_up_days: raw.sla_follow_up_days,
        default_resolve_days: raw.sla_resolve_days,
        objection_days: raw.objection_days,
        escalate_to_desk_after_days: raw.escalate_to_desk_after_days,
        retention_days: raw.retention_days,
        validate_days: raw.sla_validate_days,
        utc_offset,
        tracking_prefix: prefix,
        public_url,
        bounds,
        regency: regency.clone(),
        untaken_hours: raw.untaken_escalate_hours,
    })
}

/// The proxies whose `X-Forwarded-For` is believed: addresses and networks, comma- or
/// space-separated.
fn trusted_proxies(raw: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| {
            // a bare address is a network of one
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    invalid(
                        "trusted_proxies",
                        format!("'{p}' is not an address or network like 10.0.0.0/8"),
                    )
                })
        })
        .collect()
}

/// A tile URL template must be http(s), name `{z}`, `{x}` and `{y}`, and hold nothing that
/// could break out of an HTML attribute or the Content-Security-Policy header.
/// A secret that is set and not blank.
fn secret(s: Option<Secret>) -> Option<String> {
    s.map(|s| s.expose().trim().to_string())
        .filter(|s| !s.is_empty())
}

fn check_tile_url(u: &str) -> Result<String, String> {
    let ok_scheme = u.starts_with("https://") || u.starts_with("http://");
    let ok_parts = ["{z}", "{x}", "{y}"].iter().all(|p| u.contains(p));
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | ';' | ',' | '<' | '>' | '\\'));
    if ok_scheme && ok_parts && ok_chars {
        Ok(u.to_string())
    } else {
        Err(format!(
            "'{u}' must be an http(s) URL with {{z}}, {{x}} and {{y}}, e.g. https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
        ))
    }
}

#[cfg(test)]
// figment::Jail's closures return its large error type by design.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn later_sources_win() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "kotapintar.toml",
                r#"
                listen = "127.0.0.1:9000"
                data_dir = "/srv/file"
                regency = "51.71"
                log = "debug"
                "#,
            )?;
            jail.set_env("KOTAPINTAR_DATA_DIR", "/srv/env");
            jail.set_env("KOTAPINTAR_REGENCY", "51.10");
            let overrides = Overrides {
                data_dir: Some(PathBuf::from("/srv/flag")),
                ..Default::default()
            };
            let s = Settings::load(Path::new("kotapintar.toml"), &overrides).unwrap();
            // file beats default
            assert_eq!(s.listen.to_string(), "127.0.0.1:9000");
            assert_eq!(s.log, "debug");
            // env beats file
            assert_eq!(s.regency.as_str(), "51.10");
            // flag beats env
            assert_eq!(s.data_dir, PathBuf::from("/srv/flag"));
            // default where nobody says anything, derived from data_dir
            assert_eq!(s.session_ttl_hours, 12);
            assert_eq!(s.database_url.expose(), "sqlite:///srv/flag/kotapintar.db");
            Ok(())
        });
    }

    #[test]
    fn defaults_without_any_source() {
        Jail::expect_with(|_| {
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
            assert_eq!(s.database_url.expose(), "sqlite://data/kotapintar.db");
            assert_eq!(s.regency.as_str(), "51.03");
            assert!(!s.secure_cookies());
            assert_eq!(s.map_tile_url, None);
            Ok(())
        });
    }

    #[test]
    fn bad_values_name_the_setting() {
        Jail::expect_with(|jail| {
            jail.set_env("KOTAPINTAR_DATABASE_URL", "sqlit://data/k.db");
            let e = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("database_url"), "{e}");
            assert!(e.to_string().contains("sqlit:"), "{e}");
            jail.set_env("KOTAPINTAR_DATABASE_URL", "sqlite://data/k.db");
            jail.set_env("KOTAPINTAR_LISTEN", "localhost");
            let e = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("listen"), "{e}");
            jail.set_env("KOTAPINTAR_LISTEN", "127.0.0.1:1");
            jail.set_env("KOTAPINTAR_SESSION_TTL_HOURS", "twelve");
            let e = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap_err();
            assert!(
                e.to_string().to_lowercase().contains("session_ttl_hours"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn tile_url_is_checked() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "KOTAPINTAR_MAP_TILE_URL",
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            );
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            assert_eq!(
                s.map_tile_url.as_deref(),
                Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
            );
            for bad in [
                "ftp://tiles.example/{z}/{x}/{y}.png",
                "https://tiles.example/{z}/{x}.png",
                "https://tiles.example/{z}/{x}/{y}.png; script-src *",
            ] {
                jail.set_env("KOTAPINTAR_MAP_TILE_URL", bad);
                let e =
                    Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap_err();
                assert!(e.to_string().contains("map_tile_url"), "{e}");
            }
            Ok(())
        });
    }

    #[test]
    fn secrets_are_not_printed() {
        Jail::expect_with(|jail| {
            jail.set_env("KOTAPINTAR_ADMIN_PASSWORD", "sangat-rahasia-123");
            jail.set_env("KOTAPINTAR_DATABASE_URL", "postgres://kp:pg-secret@db/kp");
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            let shown = format!("{s:?}");
            assert!(!shown.contains("sangat-rahasia-123"), "{shown}");
            assert!(!shown.contains("pg-secret"), "{shown}");
            assert_eq!(s.admin_password.unwrap().expose(), "sangat-rahasia-123");
            Ok(())
        });
    }

    #[test]
    fn the_audit_key_comes_from_the_environment_a_file_or_the_data_directory() {
        Jail::expect_with(|jail| {
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            assert_eq!(
                s.audit_key,
                AuditKeySource::DefaultFile(PathBuf::from("data/audit.key"))
            );
            jail.set_env("KOTAPINTAR_AUDIT_KEY_FILE", "/etc/kotapintar/audit.key");
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            assert_eq!(
                s.audit_key,
                AuditKeySource::File(PathBuf::from("/etc/kotapintar/audit.key"))
            );
            // taken verbatim (digits only would otherwise be read as a number) and never printed
            let digits = "1234567890".repeat(7);
            jail.set_env("KOTAPINTAR_AUDIT_KEY", &digits);
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            match &s.audit_key {
                AuditKeySource::Value(v) => assert_eq!(v.expose(), digits),
                other => panic!("{other:?}"),
            }
            assert!(!format!("{s:?}").contains(&digits));
            jail.set_env("KOTAPINTAR_AUDIT_KEY", "too-short");
            let e = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("audit_key"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        Jail::expect_with(|jail| {
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            assert!(s.trusted_proxies.is_empty(), "none unless configured");
            jail.set_env("KOTAPINTAR_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ::1");
            let s = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap();
            let shown: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
            assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
            jail.set_env("KOTAPINTAR_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local");
            let e = Settings::load(Path::new("absent.toml"), &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("trusted_proxies"), "{e}");
            Ok(())
        });
    }
}
