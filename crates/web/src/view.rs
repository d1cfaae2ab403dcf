//! What every page template gets: the language, the CSRF token, who is signed in, and
//! helpers to translate texts and field errors.

use crate::csrf::CsrfToken;
use crate::i18n::{self, Lang};
use crate::session::MaybeStaff;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::response::Html;
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::FieldErrors;

pub struct StaffView {
    pub username: String,
    pub full_name: String,
    pub manage_units: bool,
    pub list_users: bool,
    pub view_audit: bool,
    pub manage_services: bool,
    pub holidays: bool,
    pub ikm: bool,
    pub content: bool,
    pub leadership: bool,
    /// The routing model and its accuracy (the desk, the leadership, Kominfo).
    pub routing: bool,
    /// Producers' datasets, and the walidata's approvals.
    pub data: bool,
}

impl From<&Actor> for StaffView {
    fn from(a: &Actor) -> Self {
        Self {
            username: a.username.to_string(),
            full_name: a.full_name.clone(),
            manage_units: a.can(Permission::ManageUnits),
            list_users: a.can(Permission::ListUsers),
            view_audit: a.can(Permission::ViewAudit),
            manage_services: a.manages_some_services(),
            holidays: a.can(Permission::ManagePlatform),
            ikm: a.can(Permission::ViewSatisfaction),
            content: a.works_on_content(),
            leadership: a.can(Permission::ViewLeadership),
            routing: a.can(Permission::ViewRouting),
            data: a.works_on_content(),
        }
    }
}

pub struct Page {
    pub lang: Lang,
    pub csrf: String,
    pub staff: Option<StaffView>,
    /// The current path and query, for the language switch and `next=` after login.
    pub here: String,
    /// A one-line confirmation after a redirect (`?ok=saved`), as a catalogue key.
    pub notice: Option<String>,
    pub regency_name: String,
    pub utc_offset: chrono::FixedOffset,
}

/// Templates hand values to helper methods by reference, sometimes twice over; this lets the
/// helpers take a value however deeply it is borrowed.
pub trait Val<T> {
    fn val(&self) -> T;
}

macro_rules! val_for {
    ($($t:ty),*) => {$(
        impl Val<$t> for $t {
            fn val(&self) -> $t {
                *self
            }
        }
    )*};
}
val_for!(
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
    kotapintar_domain::request::Status
);

impl<T, U: Val<T> + ?Sized> Val<T> for &U {
    fn val(&self) -> T {
        (**self).val()
    }
}

const MONTHS_ID: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Page {
    /// A moment in the deployment's local time, e.g. `28 Nov 2026 14:05 (UTC+8)`.
    pub fn time(&self, t: impl Val<chrono::DateTime<chrono::Utc>>) -> String {
        use chrono::{Datelike, Timelike};
        let l = t.val().with_timezone(&self.utc_offset);
        let months = if self.lang == Lang::En {
            MONTHS_EN
        } else {
            MONTHS_ID
        };
        format!(
            "{} {} {} {:02}:{:02} {}",
            l.day(),
            months[l.month0() as usize],
            l.year(),
            l.hour(),
            l.minute(),
            self.zone()
        )
    }

    pub fn date(&self, t: impl Val<chrono::DateTime<chrono::Utc>>) -> String {
        use chrono::Datelike;
        let l = t.val().with_timezone(&self.utc_offset);
        let months = if self.lang == Lang::En {
            MONTHS_EN
        } else {
            MONTHS_ID
        };
        format!("{} {} {}", l.day(), months[l.month0() as usize], l.year())
    }

    /// Indonesia's three zones by name; any other offset as UTC±h.
    pub fn zone(&self) -> String {
        match self.utc_offset.local_minus_utc() {
            25200 => "WIB".into(),
            28800 => "WITA".into(),
            32400 => "WIT".into(),
            s => format!("UTC{:+}", s / 3600),
        }
    }

    pub fn is_overdue(
        &self,
        due: impl Val<Option<chrono::DateTime<chrono::Utc>>>,
        status: impl Val<kotapintar_domain::request::Status>,
    ) -> bool {
        // a deferred request's clock is suspended: never shown late
        status.val().can_be_late() && due.val().is_some_and(|d| d < chrono::Utc::now())
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// Translates a key made of two parts, such as `role` and `unit_admin`.
    pub fn tk(&self, prefix: &str, suffix: &str) -> &'static str {
        i18n::t(self.lang, &format!("{prefix}.{suffix}"))
    }

    pub fn error_text(&self, code: &str) -> &'static str {
        self.tk("error", code)
    }

    /// A line of a form's error summary, which names the field: "Isi judul laporan" where
    /// the catalogue has a sentence for the field and the problem (`summary.<code>.<field>`),
    /// else "Judul laporan: <the problem>" (`summary_field.<field>`), else the problem alone.
    pub fn summary_text(&self, field: &str, code: &str) -> String {
        if let Some(s) = i18n::lookup(self.lang, &format!("summary.{code}.{field}")) {
            return s.to_string();
        }
        match i18n::lookup(self.lang, &format!("summary_field.{field}")) {
            Some(name) => format!("{name}: {}", self.error_text(code)),
            None => self.error_text(code).to_string(),
        }
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn field_error(&self, errors: &FieldErrors, field: &str) -> Option<&'static str> {
        errors
            .for_field(field)
            .map(|code| i18n::t(self.lang, &format!("error.{code}")))
    }

    pub fn has_error(&self, errors: &FieldErrors, field: &str) -> bool {
        errors.for_field(field).is_some()
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let lang = Lang::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let csrf = CsrfToken::from_request_parts(parts, state).await?.0;
        let MaybeStaff(actor) = MaybeStaff::from_request_parts(parts, state).await?;
        let uri = OriginalUri::from_request_parts(parts, state)
            .await
            .map(|u| u.0)
            .unwrap_or_else(|_| parts.uri.clone());
        let here = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let notice = uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "ok")
                .map(|(_, v)| format!("notice.{v}"))
        });
        Ok(Page {
            lang,
            csrf,
            staff: actor.as_ref().map(StaffView::from),
            here,
            notice,
            regency_name: state.regency_name().await,
            utc_offset: state.config.rules.utc_offset,
        })
    }
}

/// A form shown again because of errors answers 422, so clients and tests can tell it from a
/// first showing.
pub fn form_status(errors: &FieldErrors) -> axum::http::StatusCode {
    if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A form page drawn with the status [`form_status`] chose for it.
pub fn form_page(
    status: axum::http::StatusCode,
    t: &impl Template,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    Ok((status, render(t)?).into_response())
}

pub fn render(t: &impl Template) -> Result<Html<String>, WebError> {
    t.render()
        .map(Html)
        .map_err(|e| WebError::Internal(format!("template: {e}")))
}

/// Turns a `next=` value into a safe local path: never another site, and always a valid
/// `Location` header. Anything else gives `fallback`.
///
/// A browser removes tabs and newlines from a URL before reading it and treats `\` like `/`,
/// so `/<TAB>/evil.example` is `//evil.example` to it: another site. The value is therefore
/// checked as typed and once more after percent-decoding, and accepted only as visible ASCII
/// (what a header may hold) starting with one `/` and holding no backslash.
pub fn local_path(next: Option<&str>, fallback: &str) -> String {
    match next {
        // decoded, a space is fine (`q=jalan%20rusak`), a control character is not
        Some(n)
            if n.bytes().all(|b| b.is_ascii_graphic())
                && is_local_path(n)
                && is_local_path(&percent_decoded(n)) =>
        {
            n.to_string()
        }
        _ => fallback.to_string(),
    }
}

fn is_local_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !p.chars().any(|c| c == '\\' || c.is_control())
}

/// `%XX` sequences decoded to bytes (invalid ones kept as they are; bytes that are not
/// UTF-8 become U+FFFD).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(super::local_path(Some("/staf/unit"), "/staf"), "/staf/unit");
        assert_eq!(
            super::local_path(Some("/laporan?q=jalan%20rusak&hal=2"), "/"),
            "/laporan?q=jalan%20rusak&hal=2"
        );
        assert_eq!(super::local_path(Some("/"), "/staf"), "/");
        assert_eq!(super::local_path(None, "/staf"), "/staf");
        // the value as the handler gets it, after the query string's own decoding
        for evil in [
            "",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\tevil",
            "/\t/evil.example",
            "\t//evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\r\n/evil.example",
            "/\0/evil.example",
            "/\x7f/evil.example",
            "/\u{85}/evil.example",
            " //evil.example",
            "/ /evil.example",
            "/é",
            // encoded once more: what a browser or proxy might decode on the way
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D/evil.example",
            "/%00/evil.example",
            "/%7f/evil.example",
            "/%c2%85/evil.example",
        ] {
            assert_eq!(super::local_path(Some(evil), "/staf"), "/staf", "{evil:?}");
        }
        // a lone or broken percent sign is not an encoding, and harmless
        assert_eq!(super::local_path(Some("/a%"), "/"), "/a%");
        assert_eq!(super::local_path(Some("/a%zz"), "/"), "/a%zz");
        // every accepted value is a valid Location header
        for ok in ["/staf", "/a%", "/x?y=%41"] {
            let v = super::local_path(Some(ok), "/");
            assert!(axum::http::HeaderValue::from_str(&v).is_ok(), "{v}");
        }
    }
}
