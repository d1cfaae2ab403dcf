//! Routes and their handlers. Public addresses are Indonesian and stable; the staff area
//! lives under `/staf`.

mod auth;
mod health;
mod home;
mod staff;
mod units;
mod users;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/bahasa/{lang}", get(home::switch_language))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/staf", get(staff::dashboard))
        .route("/staf/audit", get(staff::audit_log))
        .route("/staf/unit", get(units::list))
        .route("/staf/unit/baru", get(units::new_form).post(units::create))
        .route("/staf/unit/{id}", get(units::edit_form).post(units::update))
        .route("/staf/pengguna", get(users::list))
        .route(
            "/staf/pengguna/baru",
            get(users::new_form).post(users::create),
        )
        .route(
            "/staf/pengguna/{id}",
            get(users::edit_form).post(users::update),
        )
        .fallback(|| async { crate::WebError::NotFound })
}
