//! The request's thread in the web: staff write to the reporter from the request's page
//! ("Balas pelapor"), staff open the photos the reporter sent, and the reporter answers on
//! their private link. Nothing here is public: the staff routes need a session that may see
//! the request, the reporter's needs the secret link.

use super::ikuti;
use super::inbox::{self, SentBack};
use crate::csrf::CsrfForm;
use crate::session::Staff;
use crate::view::Page;
use crate::{AppState, WebError};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::ids::RequestId;
use kotapintar_storage::{requests, StorageError};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct MessageForm {
    #[serde(default)]
    message: String,
}

/// `POST /staf/laporan/{id}/balas`: a message to the reporter, by the request's channel.
pub async fn staff_reply(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Path(id): Path<RequestId>,
    CsrfForm(f): CsrfForm<MessageForm>,
) -> Result<Response, WebError> {
    let typed = vec![
        ("action".to_string(), "reply".to_string()),
        ("message".to_string(), f.message.clone()),
    ];
    let rules = &state.config.rules;
    match requests::reply(&state.store, rules, &actor, id, &f.message).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/staf/laporan/{id}?ok=reply_sent#utas")).into_response())
        }
        Err(StorageError::Invalid(e)) => {
            inbox::detail_page(&state, &actor, page, id, SentBack::Invalid(e), typed).await
        }
        Err(StorageError::Unavailable { .. }) => {
            inbox::detail_page(&state, &actor, page, id, SentBack::Unavailable, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /staf/laporan/{id}/utas/foto/{name}`: a photo the reporter sent on the thread
/// (`{photo}` or `{photo}-kecil` for its thumbnail), to staff who may see the request.
pub async fn staff_photo(
    State(state): State<AppState>,
    Staff(actor): Staff,
    Path((id, name)): Path<(RequestId, String)>,
) -> Result<Response, WebError> {
    let (photo, thumb) = match name.strip_suffix("-kecil") {
        Some(p) => (p, true),
        None => (name.as_str(), false),
    };
    let photo: i64 = photo.parse().map_err(|_| WebError::NotFound)?;
    let (mime, file) = requests::thread_photo(&state.store, &actor, id, photo, thumb).await?;
    let bytes = tokio::fs::read(state.config.uploads.join(&file))
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            // staff only: no shared cache may keep it
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /laporan/{code}/ikuti/{token}/balas`: the reporter answers on their private link.
pub async fn reporter_reply(
    State(state): State<AppState>,
    page: Page,
    Path((code, token)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<MessageForm>,
) -> Result<Response, WebError> {
    let rules = &state.config.rules;
    match requests::reporter_reply(&state.store, rules, &code, &token, &f.message).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/laporan/{code}/ikuti/{token}?ok=answer_sent#pesan"
        ))
        .into_response()),
        Err(StorageError::Invalid(e)) => {
            ikuti::show(&state, page, &code, &token, false, e, HashMap::new()).await
        }
        Err(e) => Err(e.into()),
    }
}
