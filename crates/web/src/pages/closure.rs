//! Validated closure (issue 21), the web half that is not a workflow step: the handling unit
//! adds photos of the result to a request from its page (the desk checks them before it
//! accepts the follow-up; some services require them). The steps themselves go through
//! `inbox::act` like every other.

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
use kotapintar_storage::{drafts::MAX_PHOTOS, media, StorageError};

/// `POST /staf/laporan/{id}/foto-hasil`: photos of the result, checked by content like a
/// resident's (metadata removed); at most five at a time.
pub async fn result_photos(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Path(id): Path<RequestId>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    // the permission before the photos are decoded: an outsider's upload costs nothing
    requests::check_may_work_on(&state.store, &actor, id).await?;
    let mut photos = Vec::new();
    let mut errors = FieldErrors::new();
    let files: Vec<_> = form
        .files
        .into_iter()
        .filter(|f| f.field == "photo")
        .collect();
    if files.len() > MAX_PHOTOS {
        errors.add("photo", "too_many_photos");
    }
    for f in files.into_iter().take(MAX_PHOTOS) {
        let bytes = f.bytes;
        match tokio::task::spawn_blocking(move || media::clean_photo(&bytes)).await {
            Ok(Ok(c)) => photos.push(PhotoFile::from(c)),
            Ok(Err(e)) => errors.add("photo", e.code()),
            Err(_) => errors.add("photo", "photo_corrupt"),
        }
    }
    if photos.is_empty() && errors.is_empty() {
        errors.add("photo", "required");
    }
    if !errors.is_empty() {
        return detail_page(
            &state,
            &actor,
            page,
            id,
            SentBack::Invalid(errors),
            Vec::new(),
        )
        .await;
    }
    let uploads = &state.config.uploads;
    match requests::attach_photos(&state.store, uploads, &actor, id, photos).await {
        Ok(_) => Ok(Redirect::to(&format!("/staf/laporan/{id}?ok=photos_added")).into_response()),
        Err(StorageError::Invalid(e)) => {
            detail_page(&state, &actor, page, id, SentBack::Invalid(e), Vec::new()).await
        }
        Err(e) => Err(e.into()),
    }
}
