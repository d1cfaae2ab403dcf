//! `/staf/rute`: the routing suggestions' model (when it was trained, on how much), how often
//! the desk took its suggestions over the last 90 days, and Kominfo's button to train it again
//! now (it is trained nightly anyway).

use crate::csrf::CsrfForm;
use crate::session::Staff;
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use kotapintar_domain::policy::Permission;
use kotapintar_storage::routing::{self, Accuracy, ModelInfo};

/// The window the accuracy is counted over.
pub const ACCURACY_DAYS: i64 = 90;

#[derive(Template)]
#[template(path = "staff/routing.html")]
struct RoutingTemplate {
    page: Page,
    model: Option<ModelInfo>,
    accuracy: Accuracy,
    can_manage: bool,
    training_queued: bool,
}

pub async fn show(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
) -> Result<Html<String>, WebError> {
    actor.require(Permission::ViewRouting)?;
    let since = Utc::now() - Duration::days(ACCURACY_DAYS);
    render(&RoutingTemplate {
        model: routing::latest_info(&state.store).await?,
        accuracy: routing::accuracy(&state.store, since).await?,
        can_manage: actor.can(Permission::ManageRouting),
        training_queued: routing::training_due(&state.store).await?,
        page,
    })
}

/// Kominfo's "train now": queues a training in the job queue.
pub async fn train(
    State(state): State<AppState>,
    Staff(actor): Staff,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    actor.require(Permission::ManageRouting)?;
    routing::request_training(&state.store, &actor).await?;
    Ok(Redirect::to("/staf/rute?ok=training_queued").into_response())
}
