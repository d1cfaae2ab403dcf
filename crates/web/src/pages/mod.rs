//! Routes and their handlers. Public addresses are Indonesian and stable; the staff area
//! lives under `/staf`.

mod auth;
mod catalog;
mod health;
mod home;
mod ikuti;
mod inbox;
pub(crate) mod kinerja;
mod lapor;
mod laporan;
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
        .route(
            "/lapor",
            get(lapor::form)
                .post(lapor::submit)
                // five photos of up to 10 MB, plus the text
                .layer(axum::extract::DefaultBodyLimit::max(52 * 1024 * 1024)),
        )
        .route("/laporan", get(laporan::list))
        .route("/laporan/{code}", get(laporan::detail))
        .route("/laporan/{code}/dukung", post(laporan::support))
        .route("/laporan/{code}/ikuti/{token}", get(ikuti::view))
        .route(
            "/laporan/{code}/ikuti/{token}/konfirmasi",
            post(ikuti::confirm),
        )
        .route(
            "/laporan/{code}/ikuti/{token}/buka-kembali",
            post(ikuti::reopen),
        )
        .route("/laporan/{code}/ikuti/{token}/survei", post(ikuti::survey))
        .route("/laporan/{code}/ikuti/{token}/data", post(ikuti::correct))
        .route(
            "/laporan/{code}/ikuti/{token}/hapus-data",
            post(ikuti::erase),
        )
        .route("/foto/{name}", get(laporan::photo))
        .route("/staf/laporan", get(inbox::list))
        .route("/staf/laporan/massal", post(inbox::bulk))
        .route("/staf/laporan/{id}", get(inbox::detail))
        .route("/staf/laporan/{id}/aksi", post(inbox::act))
        .route("/kinerja", get(kinerja::regency))
        .route("/kinerja/{slug}", get(kinerja::unit))
        .route("/staf/pimpinan", get(kinerja::leadership))
        .route("/staf/pimpinan/ringkasan", get(kinerja::weekly))
        .route("/layanan", get(catalog::public_catalog))
        .route("/staf/layanan", get(catalog::list))
        .route(
            "/staf/layanan/baru",
            get(catalog::new_form).post(catalog::create),
        )
        .route(
            "/staf/layanan/{id}",
            get(catalog::edit_form).post(catalog::update),
        )
        .route(
            "/staf/libur",
            get(catalog::holidays_list).post(catalog::holidays_add),
        )
        .route("/staf/libur/hapus", post(catalog::holidays_remove))
        .route("/staf/ikm", get(catalog::ikm_page))
        .route(
            "/staf/templat",
            get(catalog::templates_list).post(catalog::templates_add),
        )
        .route(
            "/staf/klien",
            get(catalog::clients_list).post(catalog::clients_create),
        )
        .route("/staf/klien/rotasi", post(catalog::clients_rotate))
        .route("/staf/klien/cabut", post(catalog::clients_revoke))
        .route("/staf/klien/{id}", get(catalog::client_detail))
        .route("/staf/klien/{id}/webhook", post(catalog::client_subscribe))
        .route("/staf/klien/{id}/ulang", post(catalog::delivery_replay))
        .route(
            "/staf/aplikasi",
            get(catalog::applications_list).post(catalog::applications_add),
        )
        .fallback(|| async { crate::WebError::NotFound })
}
