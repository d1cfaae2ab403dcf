use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kotapintar_storage::StorageError;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers and can be written, and the disks have the
/// free space kept in reserve. Fails (503) with the reason otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let ready = match state.store.ping().await {
        Ok(()) => state.store.probe_write().await,
        Err(e) => Err(e),
    };
    match ready {
        Ok(()) => "ready".into_response(),
        Err(StorageError::Unavailable { reason }) => crate::error::not_ready(&reason),
        Err(e) => crate::error::not_ready(&e.to_string()),
    }
}
