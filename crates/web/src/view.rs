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
            manage_services: a.is_admin() || a.administered_units().next().is_some(),
            holidays: a.can(Permission::ManagePlatform),
            ikm: a.can(Permission::ViewSatisfaction),
            content: kotapintar_domain::content::is_editor(a),
            leadership: a.can(Permission::ViewLeadership),
            data: a.is_admin()
                || a.roles.iter().any(|r| {
                    matches!(
                        r.role,
                        kotapintar_domain::user::Role::Editor
                            | kotapintar_domain::user::Role::UnitAdmin
                    )
                }),
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
        status.val().is_open() && due.val().is_some_and(|d| d < chrono::Utc::now())
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

pub fn render(t: &impl Template) -> Result<Html<String>, WebError> {
    t.render()
        .map(Html)
        .map_err(|e| WebError::Internal(format!("template: {e}")))
}

/// Turns a `next=` value into a safe local path: never another site.
pub fn local_path(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(super::local_path(Some("/staf/unit"), "/staf"), "/staf/unit");
        assert_eq!(super::local_path(Some("//evil.example"), "/staf"), "/staf");
        assert_eq!(
            super::local_path(Some("https://evil.example"), "/staf"),
            "/staf"
        );
        assert_eq!(super::local_path(Some("/\\evil.example"), "/staf"), "/staf");
        assert_eq!(super::local_path(None, "/staf"), "/staf");
    }
}
