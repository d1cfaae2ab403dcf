use crate::{AppState, WebError};
use axum::extract::State;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, WebError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    Ok("ready")
}
