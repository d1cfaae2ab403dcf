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

/// At most this many requests in one CSV of the queue: a month of a busy unit's work. A view
/// holding more says so in its last line, and is narrowed with the filters.
pub const MAX_CSV_ROWS: u64 = 5_000;

/// `GET /staf/laporan.csv?<the queue's filters>`: the requests of a view of the queue, as the
/// viewer may see them (the same scope and filters as the list), for a spreadsheet. Every cell
/// goes through `csv_cell` so a title typed as a formula stays text. No contact details: the
/// reporter's data are read on the request's page, where reading them is audited.
pub async fn queue_csv(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    axum::extract::Query(f): axum::extract::Query<super::inbox::InboxQuery>,
) -> Result<Response, WebError> {
    use axum::http::header;
    use kotapintar_domain::csv_cell::write_record;
    let offset = state.config.rules.utc_offset;
    let filter = super::inbox::inbox_filter(&f, &actor, offset);
    let per_page = 500;
    // flexible: the last line may be the one-cell note that the view held more
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let head = [
        "laporan.code",
        "laporan.subject",
        "laporan.kind",
        "laporan.status",
        "laporan.received",
        "laporan.due",
        "laporan.overdue",
        "laporan.units",
        "lapor.district",
    ]
    .map(|k| page.t(k));
    let failed = |e: csv::Error| WebError::Internal(format!("writing the queue's CSV: {e}"));
    write_record(&mut w, head.iter().copied()).map_err(failed)?;
    let (mut written, mut total, mut page_no) = (0u64, 0u64, 0u64);
    while written < MAX_CSV_ROWS {
        let (rows, n) = requests::inbox(&state.store, &actor, &filter, page_no, per_page).await?;
        total = n;
        if rows.is_empty() {
            break;
        }
        for row in rows.iter().take((MAX_CSV_ROWS - written) as usize) {
            let r = &row.record;
            let cells = [
                r.tracking_code.clone(),
                r.title.clone(),
                page.tk("kind", r.kind.as_str()).to_string(),
                page.tk("status", r.status.as_str()).to_string(),
                page.time(r.received_at),
                r.due_at.map(|d| page.time(d)).unwrap_or_default(),
                if row.overdue {
                    page.t("desk.yes")
                } else {
                    page.t("desk.no")
                }
                .to_string(),
                r.unit_names.join("; "),
                r.district_name.clone().unwrap_or_default(),
            ];
            write_record(&mut w, cells.iter()).map_err(failed)?;
            written += 1;
        }
        page_no += 1;
    }
    if total > written {
        let note = format!("{} {written} / {total}", page.t("desk.csv_cut"));
        write_record(&mut w, [note].iter()).map_err(failed)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| WebError::Internal(format!("writing the queue's CSV: {e}")))?;
    let name = format!(
        "antrean-laporan-{}.csv",
        chrono::Utc::now().format("%Y%m%d-%H%M")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
