//! The desk and the inbox at volume (issue 24): resolving a request with photos of the
//! result, which show on its public page as the reporter's photos do.

use super::inbox::{detail_page, SentBack};
use crate::csrf::CsrfMultipart;
use crate::session::Staff;
use crate::view::Page;
use crate::{AppState, WebError};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::requests::{self, PhotoFile};
use kotapintar_storage::{media, StorageError};

/// Photos of the result sent with one resolve step (the form's `photos`, as on `/lapor`).
pub const MAX_RESULT_PHOTOS: usize = 5;

/// `POST /staf/laporan/{id}/selesai` (multipart): the resolve step with its response and up to
/// [`MAX_RESULT_PHOTOS`] photos of the result. A photo that cannot be used sends the form back
/// with the response as typed and nothing stored; the step and the photos commit together.
pub async fn resolve(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Path(id): Path<RequestId>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    let response = form.get("response").to_string();
    // what was typed comes back in the resolve form (the template matches on `action`)
    let typed = vec![
        ("action".to_string(), "resolve".to_string()),
        ("response".to_string(), response.clone()),
    ];
    let uploads: Vec<_> = form
        .files
        .into_iter()
        .filter(|f| f.field == "photos")
        .collect();
    let mut errors = FieldErrors::new();
    if uploads.len() > MAX_RESULT_PHOTOS {
        errors.add("photos", "too_many_photos");
    }
    let mut photos = Vec::new();
    for u in uploads.into_iter().take(MAX_RESULT_PHOTOS) {
        // decoding and re-encoding is CPU work: off the async threads
        match tokio::task::spawn_blocking(move || media::clean_photo(&u.bytes)).await {
            Ok(Ok(clean)) => photos.push(PhotoFile::from(clean)),
            Ok(Err(e)) => errors.add("photos", e.code()),
            Err(_) => errors.add("photos", "photo_corrupt"),
        }
    }
    if !errors.is_empty() {
        return detail_page(&state, &actor, page, id, SentBack::Invalid(errors), typed).await;
    }
    let cal = state.calendar().await?;
    let done = requests::resolve_with_photos(
        &state.store,
        &state.config.uploads,
        &state.config.rules,
        &cal,
        &actor,
        id,
        response,
        photos,
    )
    .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/staf/laporan/{id}?ok=step_done")).into_response()),
        Err(StorageError::Invalid(e)) => {
            detail_page(&state, &actor, page, id, SentBack::Invalid(e), typed).await
        }
        Err(StorageError::Unavailable { .. }) => {
            detail_page(&state, &actor, page, id, SentBack::Unavailable, typed).await
        }
        Err(e) => Err(e.into()),
    }
}
