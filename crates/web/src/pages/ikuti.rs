//! The reporter's private page, reached by the secret link: follow the request, accept or
//! reopen its resolution, answer the satisfaction survey, see, correct or erase one's data.

use crate::csrf::CsrfForm;
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ikm::Unsur;
use kotapintar_domain::privacy::{PublicEvent, ReporterContact, RequestRecord};
use kotapintar_domain::validation::{optional_email, optional_phone, optional_text};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::requests::{self, ReporterAction};
use kotapintar_storage::StorageError;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "ikuti.html")]
struct FollowTemplate {
    page: Page,
    r: RequestRecord,
    timeline: Vec<PublicEvent>,
    token: String,
    fresh: bool,
    survey_done: bool,
    erased: bool,
    unsur: Vec<Unsur>,
    errors: FieldErrors,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
    survey_values: HashMap<String, String>,
    can_reopen: bool,
    /// The messages between staff and the reporter (their own thread).
    thread: Vec<requests::ThreadMessage>,
}

impl FollowTemplate {
    pub fn picked(&self, unsur: &str, score: usize) -> bool {
        self.survey_values
            .get(unsur)
            .is_some_and(|v| v == &score.to_string())
    }
}

pub(super) async fn show(
    state: &AppState,
    page: Page,
    code: &str,
    token: &str,
    fresh: bool,
    errors: FieldErrors,
    survey_values: HashMap<String, String>,
) -> Result<Response, WebError> {
    let v = requests::reporter_view(&state.store, code, token).await?;
    let thread = requests::reporter_thread(&state.store, code, token).await?;
    let status = crate::view::form_status(&errors);
    let can_reopen = v.record.status == kotapintar_domain::request::Status::Selesai
        && v.record.due_at.is_none_or(|d| d > chrono::Utc::now());
    let body = render(&FollowTemplate {
        page,
        contact_name: v.record.contact.name.clone().unwrap_or_default(),
        contact_email: v.record.contact.email.clone().unwrap_or_default(),
        contact_phone: v.record.contact.phone.clone().unwrap_or_default(),
        r: v.record,
        timeline: v.timeline,
        token: token.to_string(),
        fresh,
        survey_done: v.survey_done,
        erased: v.erased,
        unsur: Unsur::ALL.to_vec(),
        errors,
        survey_values,
        can_reopen,
        thread,
    })?;
    Ok((status, body).into_response())
}

pub async fn view(
    State(state): State<AppState>,
    page: Page,
    Path((code, token)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    show(
        &state,
        page,
        &code,
        &token,
        q.contains_key("baru"),
        FieldErrors::new(),
        HashMap::new(),
    )
    .await
}

fn back(code: &str, token: &str, ok: &str) -> Response {
    Redirect::to(&format!("/laporan/{code}/ikuti/{token}?ok={ok}")).into_response()
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    reason: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    Path((code, token)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let cal = state.calendar().await?;
    requests::reporter_act(
        &state.store,
        &state.config.rules,
        &cal,
        &code,
        &token,
        ReporterAction::Confirm,
    )
    .await?;
    Ok(back(&code, &token, "confirmed"))
}

pub async fn reopen(
    State(state): State<AppState>,
    page: Page,
    Path((code, token)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let cal = state.calendar().await?;
    match requests::reporter_act(
        &state.store,
        &state.config.rules,
        &cal,
        &code,
        &token,
        ReporterAction::Reopen { reason: f.reason },
    )
    .await
    {
        Ok(_) => Ok(back(&code, &token, "reopened")),
        Err(StorageError::Invalid(e)) => {
            show(&state, page, &code, &token, false, e, HashMap::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn survey(
    State(state): State<AppState>,
    page: Page,
    Path((code, token)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let mut errors = FieldErrors::new();
    let mut scores: [Option<i16>; 9] = [None; 9];
    for (i, u) in Unsur::ALL.iter().enumerate() {
        match f.get(u.code()).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => errors.add(u.code(), "required"),
            Some(v) => match v.parse::<i16>() {
                Ok(n) if (1..=4).contains(&n) => scores[i] = Some(n),
                _ => errors.add(u.code(), "invalid_score"),
            },
        }
    }
    let comment = optional_text(f.get("comment").map(String::as_str).unwrap_or(""), 2000)
        .ok()
        .flatten();
    if !errors.is_empty() {
        return show(&state, page, &code, &token, false, errors, f).await;
    }
    match requests::submit_survey(
        &state.store,
        &state.config.rules,
        &code,
        &token,
        scores,
        comment,
    )
    .await
    {
        Ok(()) => Ok(back(&code, &token, "survey_thanks")),
        Err(StorageError::Invalid(e)) => show(&state, page, &code, &token, false, e, f).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

pub async fn correct(
    State(state): State<AppState>,
    page: Page,
    Path((code, token)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<ContactForm>,
) -> Result<Response, WebError> {
    let mut e = FieldErrors::new();
    let name = e.check("name", optional_text(&f.name, 100)).flatten();
    let email = e.check("email", optional_email(&f.email)).flatten();
    let phone = e.check("phone", optional_phone(&f.phone)).flatten();
    if !e.is_empty() {
        return show(&state, page, &code, &token, false, e, HashMap::new()).await;
    }
    requests::correct_contact(
        &state.store,
        &code,
        &token,
        ReporterContact { name, email, phone },
    )
    .await?;
    Ok(back(&code, &token, "data_saved"))
}

pub async fn erase(
    State(state): State<AppState>,
    Path((code, token)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let photos = requests::erase_contact(&state.store, &code, &token).await?;
    let uploads = state.config.uploads.clone();
    // after the commit; a file left by a failure here is referred to by nothing
    let _ = tokio::task::spawn_blocking(move || photos.remove(&uploads)).await;
    Ok(back(&code, &token, "data_erased"))
}
