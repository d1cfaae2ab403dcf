//! Merged cases on the staff request page: merge this request into a primary case (typed, or
//! one of the likely duplicates with one click), and unmerge it. The rules and the saving are
//! the domain's and storage's (`request::merge`, `requests::merge_into`).

use super::inbox::{detail_page, SentBack};
use crate::csrf::CsrfForm;
use crate::session::Staff;
use crate::view::Page;
use crate::{AppState, WebError};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::policy::Actor;
use kotapintar_storage::requests::{self, DuplicateSuggestion, Merges};
use kotapintar_storage::StorageError;

/// What the staff page shows of merges: the request's links, and for the desk the likely
/// duplicates (other requests' titles, so only for those who see every request).
pub(super) async fn view(
    state: &AppState,
    actor: &Actor,
    id: RequestId,
) -> Result<(Merges, Vec<DuplicateSuggestion>), WebError> {
    let merges = requests::merges_of(&state.store, id).await?;
    let suggestions = if actor.can_triage() && merges.merged_into.is_none() {
        requests::duplicate_suggestions(&state.store, id).await?
    } else {
        Vec::new()
    };
    Ok((merges, suggestions))
}

pub async fn merge(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Path(id): Path<RequestId>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let primary = fields
        .iter()
        .find(|(k, _)| k == "primary")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let cal = state.calendar().await?;
    let rules = &state.config.rules;
    match requests::merge_into(&state.store, rules, &cal, &actor, id, &primary).await {
        Ok(()) => Ok(Redirect::to(&format!("/staf/laporan/{id}?ok=step_done")).into_response()),
        Err(StorageError::Invalid(e)) => {
            detail_page(&state, &actor, page, id, SentBack::Invalid(e), fields).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn unmerge(
    State(state): State<AppState>,
    Staff(actor): Staff,
    Path(id): Path<RequestId>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let cal = state.calendar().await?;
    requests::unmerge(&state.store, &state.config.rules, &cal, &actor, id).await?;
    Ok(Redirect::to(&format!("/staf/laporan/{id}?ok=step_done")).into_response())
}
