use crate::client_addr::ClientAddr;
use crate::csrf::CsrfForm;
use crate::session::{clear_cookie, session_cookie, Staff, COOKIE};
use crate::view::{local_path, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kotapintar_domain::login::Subject;
use kotapintar_storage::login_throttle::{self, FailedLogin};
use kotapintar_storage::sessions;
use kotapintar_storage::users::{self, LoginOutcome};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    page: Page,
    username: String,
    next: String,
    /// A catalogue key for what went wrong, if anything.
    problem: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_form(page: Page, Query(q): Query<LoginQuery>) -> Result<Response, WebError> {
    if page.staff.is_some() {
        return Ok(Redirect::to(&local_path(q.next.as_deref(), "/staf")).into_response());
    }
    Ok(render(&LoginTemplate {
        page,
        username: String::new(),
        next: local_path(q.next.as_deref(), "/staf"),
        problem: None,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    page: Page,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let next = local_path(Some(&form.next), "/staf");
    if form.username.trim().is_empty() {
        // nothing to check and nothing to guess: not counted as a failure
        return invalid(page, form.username, next, "login.invalid");
    }
    // Without connection info (never in `kotapintar serve`) everyone shares one address.
    let from = address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let subjects = Subject::of_attempt(&form.username, from);
    // The attempt takes its place before the password is checked, or is refused without
    // checking it: a guesser sending many at once gets no more checks than the limit, and the
    // answer is the same whether or not the name belongs to an account.
    let attempt = match login_throttle::reserve(&state.store, &subjects).await? {
        Ok(attempt) => attempt,
        Err(until) => return throttled(page, form.username.clone(), next, until),
    };
    let problem = match users::authenticate(&state.store, &form.username, &form.password).await? {
        LoginOutcome::Ok(actor) => {
            login_throttle::record_success(&state.store, attempt, &form.username).await?;
            // A new session id after authentication, never the one the browser came with: a
            // token planted before the login (session fixation) or left from an earlier login
            // ends here, server-side.
            if let Some(old) = jar.get(COOKIE) {
                sessions::discard(&state.store, old.value()).await?;
            }
            let token = sessions::create(&state.store, &actor, state.config.session_ttl).await?;
            let secure = state.config.secure_cookies;
            let session = session_cookie(&token, secure, state.config.session_ttl.num_seconds());
            // the CSRF token is renewed too, so one planted before the login is worthless after it
            let csrf = crate::csrf::cookie(&kotapintar_storage::sessions::new_token(), secure);
            return Ok((
                AppendHeaders([(header::SET_COOKIE, session), (header::SET_COOKIE, csrf)]),
                Redirect::to(&next),
            )
                .into_response());
        }
        LoginOutcome::Invalid { account } => {
            let who = FailedLogin {
                account,
                address: address.map(|a| a.to_string()),
            };
            if let Some(until) = login_throttle::record_failure(&state.store, attempt, who).await? {
                return throttled(page, form.username.clone(), next, until);
            }
            "login.invalid"
        }
        LoginOutcome::Disabled => {
            // the password was right: not a guess, so it gives its place back
            login_throttle::record_success(&state.store, attempt, &form.username).await?;
            "login.disabled"
        }
    };
    invalid(page, form.username, next, problem)
}

/// The form again, with what went wrong.
fn invalid(
    page: Page,
    username: String,
    next: String,
    problem: &'static str,
) -> Result<Response, WebError> {
    let body = render(&LoginTemplate {
        page,
        username,
        next,
        problem: Some(problem),
    })?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

/// Too many failed logins: 429, the form again with the reason, and when to come back.
fn throttled(
    page: Page,
    username: String,
    next: String,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Response, WebError> {
    let wait = (until - chrono::Utc::now()).num_seconds().max(1);
    let body = render(&LoginTemplate {
        page,
        username,
        next,
        problem: Some("login.throttled"),
    })?;
    Ok((
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, wait.to_string())],
        body,
    )
        .into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    Staff(actor): Staff,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    if let Some(c) = jar.get(COOKIE) {
        sessions::delete(&state.store, &actor, c.value()).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            clear_cookie(state.config.secure_cookies),
        )],
        Redirect::to("/login?ok=logged_out"),
    )
        .into_response())
}
