//! Notifications to people: email over SMTP, and WhatsApp/SMS through an HTTP gateway. Each
//! message is a job (`Job::SendEmail`, `Job::SendMessage`) enqueued in the transaction that
//! makes it necessary, so a mail server or gateway that is down delays a message instead of
//! losing it or failing the request that caused it: the sender returns `JobError::Retry` and
//! the queue retries with back-off.
//!
//! A message that can never be delivered (an address or phone number that does not parse, a
//! channel that is switched off) is logged and answered with `Ok`: retrying cannot fix it, and
//! the address is the resident's own input, not a fault an operator could mend. (A payload
//! that does not parse at all is refused by the worker before it gets here, as a permanent
//! failure.)
//!
//! Delivery is at least once: if the worker dies after the server took a message but before
//! the job is marked done, the message is sent again. Neither SMTP nor the gateway gives us a
//! way to make that exactly once.

use kotapintar_domain::job::JobError;
use kotapintar_domain::mail;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The job kinds, their payloads and how often they are tried are defined once, in
/// `kotapintar_domain::job` (see `RetryPolicy::NOTIFICATION`).
pub use kotapintar_domain::job::{Email as EmailPayload, Message as MessagePayload};

/// Longest a single delivery attempt may take. The worker leases a job for 5 minutes; an
/// attempt that outlived its lease could run twice in parallel on another node.
const MAX_TIMEOUT_SECS: u64 = 120;

// ---------------------------------------------------------------------------------------------
// Configuration

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: for a relay on the same host or a test sink. Refuses credentials unless the
    /// host is a loopback address, so a password never crosses a network unencrypted.
    #[default]
    None,
    /// `starttls`: plain connection upgraded with STARTTLS, which is required (usually port
    /// 587). A server that does not offer it is an error, never a silent downgrade.
    StartTls,
    /// `tls`: TLS from the first byte (usually port 465).
    Tls,
}

/// The SMTP server that sends email.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    /// `None` (or empty) switches email off: email jobs are then dropped with a log line.
    pub host: Option<String>,
    /// 25 by default; a relay with `tls` usually wants 587 (`starttls`) or 465 (`tls`).
    pub port: u16,
    /// The sender, e.g. `Pemkab Badung <noreply@badungkab.go.id>`; its domain also names
    /// the `Message-ID`s.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
    /// How long one delivery attempt may take in all (connect, TLS, every command); 1-120.
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 25,
            from: "kotapintar <noreply@localhost>".into(),
            username: None,
            password: None,
            tls: SmtpTls::None,
            timeout_secs: 20,
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("tls", &self.tls)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// The HTTP gateway that sends WhatsApp/SMS messages: `POST {url}` with the JSON body
/// `{"to": "+6281234567890", "message": "..."}` and `Authorization: Bearer {bearer_token}`
/// when a token is set. Any 2xx answer means sent; anything else is retried.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageGatewayConfig {
    /// `None` (or empty) switches the channel off: message jobs are then dropped with a log
    /// line.
    pub url: Option<String>,
    pub bearer_token: Option<String>,
    /// How long one request may take in all; 1-120.
    pub timeout_secs: u64,
}

impl Default for MessageGatewayConfig {
    fn default() -> Self {
        Self {
            url: None,
            bearer_token: None,
            timeout_secs: 20,
        }
    }
}

impl fmt::Debug for MessageGatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageGatewayConfig")
            // Several gateways take their API key in the query string or the user part.
            .field("url", &self.url.as_deref().map(redact_url))
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "***"))
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// A notification setting that cannot work; reported at start-up rather than at the first
/// send, when nobody is watching.
#[derive(Debug, thiserror::Error)]
pub enum NotifyConfigError {
    #[error("configuration: {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> NotifyConfigError {
    NotifyConfigError::Invalid {
        key,
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Email

/// Sends `Job::SendEmail` jobs through the configured SMTP server.
///
/// When SMTP is not configured (`host` is `None`), every email job is logged and completed
/// without sending: there is nothing to send it with, and retrying would keep the job failing
/// until its attempts ran out without ever delivering it.
pub struct EmailSender {
    smtp: Option<SmtpClient>,
}

struct SmtpClient {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// For log and error lines, which should say which server failed.
    server: String,
    timeout: Duration,
}

impl EmailSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, NotifyConfigError> {
        let Some(host) = non_empty(&config.host) else {
            tracing::info!("email notifications are off: no SMTP host configured");
            return Ok(Self { smtp: None });
        };
        let from: Mailbox = config.from.trim().parse().map_err(|e| {
            invalid(
                "smtp.from",
                format!(
                    "'{}' is not a sender like 'kotapintar <noreply@example.go.id>': {e}",
                    config.from
                ),
            )
        })?;
        let timeout = check_timeout("smtp.timeout_secs", config.timeout_secs)?;
        // `builder_dangerous` only means "no TLS unless asked"; TLS is set just below.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(config.port)
            .timeout(Some(timeout));
        let tls_parameters = || {
            TlsParameters::new(host.to_owned())
                .map_err(|e| invalid("smtp.tls", format!("cannot set up TLS for '{host}': {e}")))
        };
        match config.tls {
            SmtpTls::None => {}
            SmtpTls::StartTls => builder = builder.tls(Tls::Required(tls_parameters()?)),
            SmtpTls::Tls => builder = builder.tls(Tls::Wrapper(tls_parameters()?)),
        }
        match (non_empty(&config.username), non_empty(&config.password)) {
            (Some(_), _) if config.tls == SmtpTls::None && !is_loopback(host) => {
                return Err(invalid(
                    "smtp.tls",
                    "a username is set but tls is 'none': the password would cross the network \
                     in clear text; use 'starttls' or 'tls'",
                ));
            }
            (Some(user), password) => {
                builder = builder.credentials(Credentials::new(
                    user.to_owned(),
                    password.unwrap_or_default().to_owned(),
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "smtp.username",
                    "a password is set but no username",
                ));
            }
            (None, None) => {}
        }
        if config.tls != SmtpTls::None && config.port == 25 {
            tracing::warn!(
                "smtp.tls is set but smtp.port is 25; submission servers usually listen on 587 \
                 (starttls) or 465 (tls)"
            );
        }
        let server = format!("{host}:{}", config.port);
        tracing::info!(%server, tls = ?config.tls, "email notifications are on");
        Ok(Self {
            smtp: Some(SmtpClient {
                transport: builder.build(),
                from,
                server,
                timeout,
            }),
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.smtp.is_some()
    }

    /// Sends one email. A message that can never be sent is logged and answered with `Ok`
    /// (see the module documentation).
    pub async fn send(&self, mail: &EmailPayload) -> Result<(), JobError> {
        let Some(smtp) = &self.smtp else {
            tracing::info!("email notifications are off; email dropped");
            return Ok(());
        };
        let to: Mailbox = match mail.to.trim().parse() {
            Ok(to) => to,
            Err(e) => {
                tracing::warn!(to = %mask_email(&mail.to), error = %e, "email not sent: the address is invalid");
                return Ok(());
            }
        };
        let masked_to = mask_email(to.email.as_ref());
        let message = Message::builder()
            .from(smtp.from.clone())
            .to(to)
            .subject(one_line(&mail.subject))
            .date_now()
            .message_id(Some(message_id(
                mail::message_id_local(&mail.subject).as_deref(),
                smtp.from.email.domain(),
            )))
            .header(AutoSubmitted)
            .header(AutoResponseSuppress)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body_text.clone());
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                // Only a missing From or recipient fails here, and both are set above: a bug,
                // which a retry would repeat.
                tracing::error!(to = %masked_to, error = %e, "email not sent: could not build it");
                return Ok(());
            }
        };
        // lettre's timeout bounds each step; this bounds the attempt as a whole, so a server
        // that answers slowly but steadily cannot hold the job past its lease.
        match tokio::time::timeout(smtp.timeout, smtp.transport.send(message)).await {
            Ok(Ok(_)) => {
                tracing::info!(to = %masked_to, server = %smtp.server, "email sent");
                Ok(())
            }
            Ok(Err(e)) => Err(JobError::Retry(format!("SMTP server {}: {e}", smtp.server))),
            Err(_) => Err(JobError::Retry(format!(
                "SMTP server {}: no answer within {} s",
                smtp.server,
                smtp.timeout.as_secs()
            ))),
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells vacation responders and mailing lists
/// not to answer, so a resident's out-of-office reply does not bounce off `noreply`.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// Exchange and Outlook ignore `Auto-Submitted` and read this instead.
#[derive(Clone)]
struct AutoResponseSuppress;

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "All".into())
    }
}

/// A unique `Message-ID` under the sender's domain. lettre's own uses the machine's host name,
/// which in a container is a random string that spam filters hold against the message. A
/// message about a request starts with its code, so that a reply's `In-Reply-To` leads
/// `kotapintar intake email` to the request (`domain::mail`).
fn message_id(code: Option<&str>, domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // RandomState is seeded randomly per process: it keeps two nodes that start in the same
    // nanosecond apart without a dependency on a random-number crate.
    let random = std::hash::RandomState::new().build_hasher().finish();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let prefix = code.map(|c| format!("{c}.")).unwrap_or_default();
    format!("<{prefix}{nanos:x}.{n:x}.{random:016x}@{domain}>")
}

/// Line breaks in a subject would end the header early; they are never meant, so they become
/// spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// WhatsApp/SMS

/// Sends `Job::SendMessage` jobs through the HTTP gateway.
///
/// When no gateway is configured (`url` is `None`), every message job is logged and completed
/// without sending, for the same reason as [`EmailSender`]: retrying cannot make it deliverable.
pub struct MessageSender {
    gateway: Option<Gateway>,
}

struct Gateway {
    client: reqwest::Client,
    url: reqwest::Url,
    /// Printable form of `url` for logs and errors.
    shown_url: String,
    authorization: Option<reqwest::header::HeaderValue>,
}

impl MessageSender {
    pub fn new(config: &MessageGatewayConfig) -> Result<Self, NotifyConfigError> {
        let Some(raw_url) = non_empty(&config.url) else {
            tracing::info!("WhatsApp/SMS notifications are off: no gateway URL configured");
            return Ok(Self { gateway: None });
        };
        let shown_url = redact_url(raw_url);
        let url = reqwest::Url::parse(raw_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                invalid(
                    "message_gateway.url",
                    format!("'{shown_url}' is not an http:// or https:// URL"),
                )
            })?;
        let timeout = check_timeout("message_gateway.timeout_secs", config.timeout_secs)?;
        let authorization = match non_empty(&config.bearer_token) {
            None => None,
            Some(_) if url.scheme() == "http" && !url.host_str().is_some_and(is_loopback) => {
                return Err(invalid(
                    "message_gateway.url",
                    "a bearer token is set but the URL is http://: the token would cross the \
                     network in clear text; use https://",
                ));
            }
            Some(token) => {
                let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| {
                        invalid(
                            "message_gateway.bearer_token",
                            "contains characters that cannot go in an HTTP header",
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirected POST turns into a GET and loses its Authorization header; better a
            // visible failure than a message silently not sent.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kotapintar/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid("message_gateway", format!("cannot set up HTTP client: {e}")))?;
        tracing::info!(url = %shown_url, "WhatsApp/SMS notifications are on");
        Ok(Self {
            gateway: Some(Gateway {
                client,
                url,
                shown_url,
                authorization,
            }),
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.gateway.is_some()
    }

    /// Sends one message. A message that can never be sent is logged and answered with `Ok`
    /// (see the module documentation).
    pub async fn send(&self, message: &MessagePayload) -> Result<(), JobError> {
        let Some(gateway) = &self.gateway else {
            tracing::info!("WhatsApp/SMS notifications are off; message dropped");
            return Ok(());
        };
        let Some(to) = normalise_phone(&message.to) else {
            tracing::warn!(to = %mask_tail(&message.to, 2), "message not sent: not a phone number");
            return Ok(());
        };
        let mut request = gateway
            .client
            .post(gateway.url.clone())
            .json(&serde_json::json!({ "to": to, "message": message.body_text }));
        if let Some(authorization) = &gateway.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        // reqwest puts the URL in its errors, and the URL may hold the gateway's API key.
        let response = request.send().await.map_err(|e| {
            JobError::Retry(format!(
                "message gateway {}: {}",
                gateway.shown_url,
                error_chain(&e.without_url())
            ))
        })?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(to = %mask_tail(&to, 4), "message sent");
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(JobError::Retry(format!(
            "message gateway {} answered {status}: {}",
            gateway.shown_url,
            body.chars().take(300).collect::<String>()
        )))
    }
}

/// A phone number as people type it, in E.164 form (`+6281234567890`), or `None` when it is
/// not one.
///
/// Indonesian numbers may be written nationally (`0812-3456-7890`), without the trunk zero
/// (`812 3456 7890`), with the country code but no plus (`62812...`), with `00` or `+`, and
/// with the `(0)` that people add after `+62`. Spaces, dashes, dots and brackets are
/// separators. Numbers with another country code (`+61 4...`) are kept as they are: visitors
/// file complaints too.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (plus, rest) = match raw.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | '.' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let national = match international {
        Some(number) => match number.strip_prefix("62") {
            Some(national) => national.strip_prefix('0').unwrap_or(national),
            None => {
                // E.164 allows at most 15 digits, and no country code starts with 0.
                let valid = (8..=15).contains(&number.len()) && !number.starts_with('0');
                return valid.then(|| format!("+{number}"));
            }
        },
        None => {
            if let Some(national) = digits.strip_prefix('0') {
                national
            } else if let Some(national) = digits.strip_prefix("62") {
                national
            } else if digits.starts_with('8') {
                digits.as_str()
            } else {
                return None;
            }
        }
    };
    // Indonesian subscriber numbers, mobile (8xx) or fixed (area code 2x-9xx), have 8 to 12
    // digits after the country code.
    let valid = (8..=12).contains(&national.len())
        && national.starts_with(['2', '3', '4', '5', '6', '7', '8', '9']);
    valid.then(|| format!("+62{national}"))
}

// ---------------------------------------------------------------------------------------------
// Helpers

pub(crate) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn check_timeout(key: &'static str, secs: u64) -> Result<Duration, NotifyConfigError> {
    if (1..=MAX_TIMEOUT_SECS).contains(&secs) {
        Ok(Duration::from_secs(secs))
    } else {
        Err(invalid(
            key,
            format!("must be between 1 and {MAX_TIMEOUT_SECS} seconds"),
        ))
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The URL without what may be a credential: the user part and the query.
fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((before, _)) => (before, "?***"),
        None => (url, ""),
    };
    let shown = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[authority_end..]),
                None => before_query.to_owned(),
            }
        }
        None => before_query.to_owned(),
    };
    format!("{shown}{query}")
}

/// Residents' addresses and numbers are personal data; logs get enough to match a complaint,
/// not to contact the person.
fn mask_email(address: &str) -> String {
    match address.trim().rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => mask_tail(address, 2),
    }
}

fn mask_tail(s: &str, keep: usize) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let hidden = chars.len().saturating_sub(keep);
    std::iter::repeat_n('*', hidden)
        .chain(chars[hidden..].iter().copied())
        .collect()
}

/// reqwest's Display stops at the outermost error ("error sending request"); the cause
/// (refused, timed out, certificate) is what an operator needs.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::normalise_phone;

    fn n(s: &str) -> Option<String> {
        normalise_phone(s)
    }

    #[test]
    fn national_forms_become_e164() {
        for typed in [
            "0812-3456-7890",
            "0812 3456 7890",
            "081234567890",
            "(0812) 3456.7890",
            "812 3456 7890",
            "  0812 3456 7890\n",
        ] {
            assert_eq!(n(typed).as_deref(), Some("+6281234567890"), "{typed:?}");
        }
    }

    #[test]
    fn country_code_forms_become_e164() {
        for typed in [
            "6281234567890",
            "62 812 3456 7890",
            "+6281234567890",
            "+62 812 3456 7890",
            "+62 812-3456-7890",
            "+62 (0)812 3456 7890",
            "+62\u{a0}812\u{a0}3456\u{a0}7890",
            "006281234567890",
        ] {
            assert_eq!(n(typed).as_deref(), Some("+6281234567890"), "{typed:?}");
        }
    }

    #[test]
    fn landlines_are_numbers_too() {
        assert_eq!(n("(0361) 222 333").as_deref(), Some("+62361222333"));
        assert_eq!(n("021-1234-5678").as_deref(), Some("+622112345678"));
    }

    #[test]
    fn other_countries_are_kept() {
        assert_eq!(n("+61 412 345 678").as_deref(), Some("+61412345678"));
        assert_eq!(n("0061 412 345 678").as_deref(), Some("+61412345678"));
    }

    #[test]
    fn invalid_numbers_are_refused() {
        for typed in [
            "",
            "   ",
            "+",
            "0812",                  // too short
            "08123456789012345",     // too long
            "+62 0",                 // nothing after the trunk zero
            "0812-3456-789O",        // letter O, not zero
            "0812 3456 7890 ext 12", // extension
            "0812+3456+7890",        // plus inside
            "++6281234567890",
            "1234567890",        // no trunk zero, not a mobile number
            "+0 812 3456 7890",  // no country code starts with 0
            "+1234567",          // too short for E.164 in practice
            "+1234567890123456", // longer than E.164 allows
            "warga@example.com",
            "０８１２３４５６７８９０", // full-width digits
        ] {
            assert_eq!(n(typed), None, "{typed:?}");
        }
    }
}
