//! Who is signed in: the `kp_session` cookie, looked up in the database once per request.

use crate::{AppState, WebError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_storage::sessions;

pub const COOKIE: &str = "kp_session";

/// The signed-in staff member, if any.
#[derive(Clone)]
pub struct MaybeStaff(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if let Some(cached) = parts.extensions.get::<MaybeStaff>() {
            return Ok(cached.clone());
        }
        let token = CookieJar::from_headers(&parts.headers)
            .get(COOKIE)
            .map(|c| c.value().to_string());
        let actor = match token {
            Some(t) => sessions::lookup(&state.store, &t, state.config.session_ttl).await?,
            None => None,
        };
        let found = MaybeStaff(actor);
        parts.extensions.insert(found.clone());
        Ok(found)
    }
}

/// A signed-in staff member who may enter the staff area. Anyone else is sent to the login
/// page, and comes back here afterwards.
pub struct Staff(pub Actor);

impl FromRequestParts<AppState> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        match MaybeStaff::from_request_parts(parts, state).await?.0 {
            Some(a) if a.can(Permission::StaffArea) => Ok(Staff(a)),
            Some(_) => Err(WebError::Forbidden),
            None => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/staf".into());
                Err(WebError::LoginRequired { next: here })
            }
        }
    }
}

/// What every staff page starts from: the application, the staff member (as [`Staff`]: anyone
/// else is sent to log in, or refused) and the page being drawn, read in that order.
pub struct StaffPage {
    pub state: AppState,
    pub actor: Actor,
    pub page: crate::view::Page,
}

impl FromRequestParts<AppState> for StaffPage {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let Staff(actor) = Staff::from_request_parts(parts, state).await?;
        let page = crate::view::Page::from_request_parts(parts, state).await?;
        Ok(Self {
            state: state.clone(),
            actor,
            page,
        })
    }
}

pub fn session_cookie(token: &str, secure: bool, max_age_secs: i64) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    session_cookie("", secure, 0)
}
