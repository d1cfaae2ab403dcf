//! Routes and their handlers. Public addresses are Indonesian and stable; the staff area
//! lives under `/staf`.

mod agencies;
mod alerts;
mod auth;
mod bimtek;
mod catalog;
mod closure;
mod data;
mod desk;
mod editor;
mod feeds;
mod health;
mod home;
mod ikuti;
mod inbox;
pub(crate) mod kinerja;
pub(crate) mod lapor;
mod laporan;
mod masterplan;
mod merge;
mod portal;
mod routing;
mod routing_rules;
mod staff;
mod thread;
mod units;
mod users;

pub use home::HomeCache;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(site())
        .merge(requests())
        .merge(performance())
        .merge(portal())
        .merge(data())
        .merge(catalog())
        .merge(masterplan())
        .merge(bimtek())
        .fallback(|| async { crate::WebError::NotFound })
}

/// The home page, health checks, signing in, and the staff area's dashboard, units and users.
fn site() -> Router<AppState> {
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
}

/// The public request form, the public list, the reporter's tracking link and the staff inbox.
fn requests() -> Router<AppState> {
    Router::new()
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
        .route("/langganan", get(alerts::form).post(alerts::subscribe))
        .route("/langganan/{token}", get(alerts::manage))
        .route("/langganan/{token}/konfirmasi", post(alerts::confirm))
        .route("/langganan/{token}/berhenti", post(alerts::stop))
        .route("/wilayah/{code}/laporan.atom", get(alerts::atom))
        .route("/staf/laporan", get(inbox::list))
        .route("/staf/laporan/massal", post(inbox::bulk))
        .route("/staf/laporan.csv", get(desk::queue_csv))
        .route("/staf/laporan/{id}", get(inbox::detail))
        .route("/staf/laporan/{id}/aksi", post(inbox::act))
        .route(
            "/staf/laporan/{id}/selesai",
            post(desk::resolve)
                // five photos of the result of up to 10 MB each, plus the response
                .layer(axum::extract::DefaultBodyLimit::max(52 * 1024 * 1024)),
        )
        .route("/staf/laporan/{id}/balas", post(thread::staff_reply))
        .route("/staf/laporan/{id}/gabung", post(merge::merge))
        .route("/staf/laporan/{id}/pisahkan", post(merge::unmerge))
        .route(
            "/staf/laporan/{id}/foto-hasil",
            post(closure::result_photos)
                // five photos of up to 10 MB, plus the token
                .layer(axum::extract::DefaultBodyLimit::max(52 * 1024 * 1024)),
        )
        .route(
            "/staf/laporan/{id}/utas/foto/{name}",
            get(thread::staff_photo),
        )
        .route(
            "/laporan/{code}/ikuti/{token}/balas",
            post(thread::reporter_reply),
        )
}

/// Service performance: public per regency and unit, and the leadership's views.
fn performance() -> Router<AppState> {
    Router::new()
        .route("/kinerja", get(kinerja::regency))
        .route("/kinerja/{slug}", get(kinerja::unit))
        .route("/staf/pimpinan", get(kinerja::leadership))
        .route("/staf/rute", get(routing::show))
        .route("/staf/rute/latih", post(routing::train))
        .route(
            "/staf/rute/aturan",
            get(routing_rules::list).post(routing_rules::create),
        )
        .route(
            "/staf/rute/aturan/{id}",
            get(routing_rules::edit_form).post(routing_rules::update),
        )
        .route("/staf/pimpinan/ringkasan", get(kinerja::weekly))
        // no wrong door: the outside agencies "bukan wewenang" requests go to
        .route(
            "/staf/instansi-luar",
            get(agencies::list).post(agencies::create),
        )
        .route(
            "/staf/instansi-luar/{id}",
            get(agencies::edit_form).post(agencies::update),
        )
}

/// The public portal (news, agenda, projects, units, search, feeds) and its editor.
fn portal() -> Router<AppState> {
    Router::new()
        .route("/layanan", get(catalog::public_catalog))
        .route("/berita", get(portal::news))
        .route("/berita.atom", get(feeds::atom_news))
        .route("/berita/{slug}", get(portal::news_item))
        .route("/agenda", get(portal::agenda))
        .route("/agenda.atom", get(feeds::atom_agenda))
        .route("/agenda.ics", get(feeds::ical_all))
        .route("/agenda/{slug}", get(portal::agenda_item))
        .route("/proyek", get(portal::projects))
        .route("/proyek.atom", get(feeds::atom_projects))
        .route("/proyek/{slug}", get(portal::project_item))
        .route("/unit/{slug}", get(portal::unit_profile))
        .route("/unit/{slug}/{file}", get(feeds::atom_unit))
        .route("/cari", get(portal::search))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/gambar/{name}", get(editor::image))
        .route("/staf/konten", get(editor::list))
        .route(
            "/staf/konten/baru",
            get(editor::new_form)
                .post(editor::create)
                .layer(axum::extract::DefaultBodyLimit::max(62 * 1024 * 1024)),
        )
        .route(
            "/staf/konten/{id}",
            get(editor::edit_form)
                .post(editor::update)
                .layer(axum::extract::DefaultBodyLimit::max(62 * 1024 * 1024)),
        )
        .route("/staf/konten/{id}/langkah", post(editor::step))
        .route(
            "/staf/konten/{id}/kemajuan",
            post(editor::add_progress)
                .layer(axum::extract::DefaultBodyLimit::max(12 * 1024 * 1024)),
        )
        .route("/lampiran/{name}", get(editor::attachment))
}

/// Open data: the public catalogue and the staff's datasets.
fn data() -> Router<AppState> {
    Router::new()
        .route("/data", get(data::public_list))
        .route("/data/{name}", get(data::public_item))
        .route("/staf/data", get(data::staff_list))
        .route("/staf/data/baru", get(data::new_form).post(data::create))
        .route("/staf/data/{id}", get(data::edit_form).post(data::update))
        .route("/staf/data/{id}/langkah", post(data::step))
        .route(
            "/staf/data/{id}/sumber",
            post(data::add_resource)
                // a resource of up to 20 MB (checked with a clear message), plus the text;
                // anything far larger is cut off here
                .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route(
            "/staf/data/{id}/sumber/{rid}/hapus",
            post(data::remove_resource),
        )
}

/// The service catalogue and its settings: holidays, survey, templates, API clients, applications.
fn catalog() -> Router<AppState> {
    Router::new()
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
            "/staf/layanan/{id}/penutupan",
            axum::routing::post(catalog::closure_update),
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
}

/// The smart-city masterplan: public pages and the staff's programmes.
fn masterplan() -> Router<AppState> {
    Router::new()
        .route("/masterplan", get(masterplan::public_index))
        .route(
            "/masterplan/program/{id}",
            get(masterplan::public_programme),
        )
        .route("/masterplan/bukti/{key}", get(masterplan::evidence))
        .route("/masterplan/laporan", get(masterplan::report_page))
        .route("/masterplan/laporan.pdf", get(masterplan::report_pdf))
        .route("/masterplan/laporan.xlsx", get(masterplan::report_xlsx))
        .route("/staf/masterplan", get(masterplan::staff_list))
        .route(
            "/staf/masterplan/program/baru",
            get(masterplan::new_form).post(masterplan::create),
        )
        .route(
            "/staf/masterplan/program/{id}",
            get(masterplan::staff_programme),
        )
        .route(
            "/staf/masterplan/program/{id}/ubah",
            get(masterplan::edit_form).post(masterplan::update),
        )
        .route(
            "/staf/masterplan/program/{id}/indikator",
            post(masterplan::add_indicator),
        )
        .route(
            "/staf/masterplan/program/{id}/kemajuan",
            post(masterplan::add_update)
                // five evidence files of up to 10 MB, plus the text
                .layer(axum::extract::DefaultBodyLimit::max(52 * 1024 * 1024)),
        )
        .route(
            "/staf/masterplan/indikator/{id}/nilai",
            post(masterplan::set_values),
        )
        .route(
            "/staf/masterplan/dimensi",
            get(masterplan::taxonomy).post(masterplan::taxonomy_add),
        )
        .route(
            "/staf/masterplan/dimensi/{kind}/{id}",
            post(masterplan::taxonomy_update),
        )
        .route(
            "/staf/masterplan/kesiapan",
            get(masterplan::readiness).post(masterplan::readiness_add),
        )
}

/// Training (bimtek) and its certificates.
fn bimtek() -> Router<AppState> {
    Router::new()
        .route("/staf/bimtek", get(bimtek::list))
        .route(
            "/staf/bimtek/baru",
            get(bimtek::new_form).post(bimtek::create),
        )
        .route("/staf/bimtek/rekap", get(bimtek::per_unit))
        .route("/staf/bimtek/{id}", get(bimtek::detail))
        .route(
            "/staf/bimtek/{id}/ubah",
            get(bimtek::edit_form).post(bimtek::update),
        )
        .route("/staf/bimtek/{id}/undang", post(bimtek::invite))
        .route("/staf/bimtek/{id}/daftar", post(bimtek::register))
        .route("/staf/bimtek/{id}/materi", post(bimtek::add_material))
        .route(
            "/staf/bimtek/{id}/hadir",
            get(bimtek::checkin_form).post(bimtek::checkin),
        )
        .route(
            "/staf/bimtek/pendaftaran/{id}/evaluasi",
            post(bimtek::evaluate),
        )
        .route("/sertifikat", get(bimtek::lookup))
        .route("/sertifikat/{code}", get(bimtek::verify))
        .route("/sertifikat/{code}/pdf", get(bimtek::certificate_pdf))
}
