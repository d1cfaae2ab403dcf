use crate::csrf::CsrfForm;
use crate::session::{clear_cookie, session_cookie, Staff, COOKIE};
use crate::view::{local_path, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kotapintar_storage::sessions;
use kotapintar_storage::users::{self, LoginOutcome};
use serde::Deserialize;

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
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let next = local_path(Some(&form.next), "/staf");
    let problem = match users::authenticate(&state.store, &form.username, &form.password).await? {
        LoginOutcome::Ok(actor) => {
            let token = sessions::create(&state.store, &actor, state.config.session_ttl).await?;
            let cookie = session_cookie(
                &token,
                state.config.secure_cookies,
                state.config.session_ttl.num_seconds(),
            );
            return Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response());
        }
        LoginOutcome::Invalid => "login.invalid",
        LoginOutcome::Locked => "login.locked",
        LoginOutcome::Disabled => "login.disabled",
    };
    let body = render(&LoginTemplate {
        page,
        username: form.username,
        next,
        problem: Some(problem),
    })?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
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
