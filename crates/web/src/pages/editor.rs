//! The staff side of the portal: units' editors write news, announcements, agenda items and
//! projects; unit admins (and Kominfo) review and publish them; projects get progress reports.
//! Who may do what is decided by the policy (`Permission::{EditContent, PublishContent, ContentStep}`).

use crate::csrf::{CsrfForm, CsrfMultipart, Upload};
use crate::pages::portal;
use crate::session::{Staff, StaffPage};
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kotapintar_domain::content::{
    check_attachment, Attachment, ContentInput, ContentItem, ContentKind, EditorialStatus,
    EditorialStep, FundSource, ProgressInput, ProjectStatus, MAX_ATTACHMENTS,
};
use kotapintar_domain::ids::{ContentId, UnitId};
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::unit::Unit;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::content::{self, Revision, StoredProgress};
use kotapintar_storage::{media, units, StorageError};
use serde::Deserialize;

/// The units whose content this person may edit (all active ones for Kominfo).
async fn editable_units(state: &AppState, actor: &Actor) -> Result<Vec<Unit>, WebError> {
    Ok(units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| u.active && actor.can(Permission::EditContent { unit: u.id }))
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    jenis: String,
}

#[derive(Template)]
#[template(path = "staff/content_list.html")]
struct ListTemplate {
    page: Page,
    items: Vec<ContentItem>,
    q: ListQuery,
    kinds: [ContentKind; 4],
    statuses: [EditorialStatus; 3],
    may_publish_any: bool,
}

pub async fn list(
    StaffPage { state, actor, page }: StaffPage,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let units = editable_units(&state, &actor).await?;
    if units.is_empty() {
        return Err(WebError::Forbidden);
    }
    let ids: Vec<UnitId> = units.iter().map(|u| u.id).collect();
    let scope = if actor.is_admin() {
        None
    } else {
        Some(ids.as_slice())
    };
    let items = content::staff_list(
        &state.store,
        scope,
        EditorialStatus::parse(&q.status).ok(),
        ContentKind::parse(&q.jenis).ok(),
        200,
    )
    .await?;
    let may_publish_any = units
        .iter()
        .any(|u| actor.can(Permission::PublishContent { unit: u.id }));
    Ok(render(&ListTemplate {
        page,
        items,
        q,
        kinds: ContentKind::ALL,
        statuses: [
            EditorialStatus::Draft,
            EditorialStatus::Review,
            EditorialStatus::Published,
        ],
        may_publish_any,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "staff/content_form.html")]
struct FormTemplate {
    page: Page,
    item: Option<ContentItem>,
    input: ContentInput,
    unit_id: i64,
    cover_photo: String,
    attachments: Vec<Attachment>,
    errors: FieldErrors,
    units: Vec<Unit>,
    districts: Vec<(String, String)>,
    fund_sources: [FundSource; 4],
    project_statuses: [ProjectStatus; 5],
    steps: Vec<EditorialStep>,
    revisions: Vec<Revision>,
    progress: Vec<StoredProgress>,
    progress_input: ProgressInput,
    progress_errors: FieldErrors,
    zone: String,
}

#[allow(clippy::too_many_arguments)]
async fn form(
    state: &AppState,
    page: Page,
    actor: &Actor,
    item: Option<ContentItem>,
    input: ContentInput,
    unit_id: i64,
    cover_photo: String,
    attachments: Vec<Attachment>,
    errors: FieldErrors,
    progress_input: ProgressInput,
    progress_errors: FieldErrors,
) -> Result<Response, WebError> {
    let units = editable_units(state, actor).await?;
    let districts = portal::district_names(state).await?;
    let (steps, revisions, progress) = match &item {
        Some(i) => {
            let steps = [
                EditorialStep::Submit,
                EditorialStep::Publish,
                EditorialStep::Return,
                EditorialStep::Unpublish,
            ]
            .into_iter()
            .filter(|s| {
                kotapintar_domain::content::next_status(i.status, *s).is_ok()
                    && actor.can(Permission::ContentStep {
                        unit: i.unit_id,
                        step: *s,
                    })
            })
            .collect();
            (
                steps,
                content::revisions(&state.store, i.id).await?,
                content::progress(&state.store.reader, i.id).await?,
            )
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let status = if !errors.is_empty() || !progress_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        form_status(&errors)
    };
    let zone = page.zone();
    form_page(
        status,
        &FormTemplate {
            page,
            item,
            input,
            unit_id,
            cover_photo,
            attachments,
            errors,
            units,
            districts,
            fund_sources: FundSource::ALL,
            project_statuses: ProjectStatus::ALL,
            steps,
            revisions,
            progress,
            progress_input,
            progress_errors,
            zone,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    jenis: String,
}

pub async fn new_form(
    StaffPage { state, actor, page }: StaffPage,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let units = editable_units(&state, &actor).await?;
    let Some(first) = units.first() else {
        return Err(WebError::Forbidden);
    };
    // no `jenis` is news (the documented default); one that names no kind is a bad link,
    // not news
    let kind = if q.jenis.trim().is_empty() {
        ContentKind::Berita
    } else {
        ContentKind::parse(&q.jenis)
            .map_err(|_| WebError::BadRequest(format!("unknown content kind '{}'", q.jenis)))?
    };
    let input = ContentInput {
        kind: kind.as_str().into(),
        fund_source: "apbd".into(),
        project_status: "planned".into(),
        ..Default::default()
    };
    let unit_id = first.id.0;
    form(
        &state,
        page,
        &actor,
        None,
        input,
        unit_id,
        String::new(),
        Vec::new(),
        FieldErrors::new(),
        ProgressInput::default(),
        FieldErrors::new(),
    )
    .await
}

/// `file|bytes|name`: how a kept attachment travels through the form.
fn decode_attachment(raw: &str) -> Option<Attachment> {
    let mut parts = raw.splitn(3, '|');
    let file = stored_name(parts.next()?)?;
    let bytes = parts.next()?.parse().ok()?;
    let name = parts.next()?.to_string();
    (file.ends_with(".pdf") && !name.is_empty()).then_some(Attachment { file, bytes, name })
}

/// The documents kept from before (unticked ones dropped) plus the new uploads, each checked
/// by content; problems are reported on the `attachments` field.
async fn accept_attachments(
    state: &AppState,
    fields: &[(String, String)],
    files: Vec<Upload>,
    errors: &mut FieldErrors,
) -> Result<Vec<Attachment>, WebError> {
    let mut out: Vec<Attachment> = fields
        .iter()
        .filter(|(k, _)| k == "keep_attachment")
        .filter_map(|(_, v)| decode_attachment(v))
        .collect();
    for f in files {
        if f.bytes.is_empty() && f.file_name.is_empty() {
            continue;
        }
        match check_attachment(&f.file_name, &f.bytes) {
            Ok(name) => {
                let (store, uploads) = (state.store.clone(), state.config.uploads.clone());
                let bytes = f.bytes;
                let len = bytes.len() as u64;
                let file = tokio::task::spawn_blocking(move || {
                    content::save_attachment(&store, &uploads, &bytes)
                })
                .await
                .map_err(|e| WebError::Internal(e.to_string()))??;
                out.push(Attachment {
                    name,
                    file,
                    bytes: len,
                });
            }
            Err(code) => errors.add("attachments", code),
        }
    }
    if out.len() > MAX_ATTACHMENTS {
        errors.add("attachments", "too_many_attachments");
        out.truncate(MAX_ATTACHMENTS);
    }
    Ok(out)
}

/// Checks an uploaded image the way residents' photos are checked (content, size, pixels;
/// metadata removed) and stores it. `Ok(None)` when no file was chosen.
async fn accept_image(
    state: &AppState,
    files: Vec<Upload>,
    field: &str,
    errors: &mut FieldErrors,
) -> Result<Option<String>, WebError> {
    let Some(upload) = files.into_iter().find(|f| f.field == field) else {
        return Ok(None);
    };
    if upload.bytes.is_empty() {
        return Ok(None);
    }
    let bytes = upload.bytes;
    let cleaned = tokio::task::spawn_blocking(move || media::clean_photo(&bytes))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    match cleaned {
        Ok(photo) => {
            let (store, uploads) = (state.store.clone(), state.config.uploads.clone());
            let name =
                tokio::task::spawn_blocking(move || content::save_image(&store, &uploads, &photo))
                    .await
                    .map_err(|e| WebError::Internal(e.to_string()))??;
            Ok(Some(name))
        }
        Err(e) => {
            errors.add(field, e.code());
            Ok(None)
        }
    }
}

/// A stored file's name as a form or address gives it back (an image or document accepted
/// earlier): only the random names we make pass, so no path can leave the upload directory.
fn stored_name(raw: &str) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.len() < 60
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !raw.contains("..");
    ok.then(|| raw.to_string())
}

struct Submitted {
    input: ContentInput,
    unit_id: Option<i64>,
    cover: Option<String>,
    attachments: Vec<Attachment>,
    errors: FieldErrors,
}

async fn read_form(state: &AppState, form: CsrfMultipart) -> Result<Submitted, WebError> {
    // every field is text: a form that does not decode was not sent by our page
    let input: ContentInput = serde_urlencoded::from_str(&form.as_urlencoded())
        .map_err(|e| WebError::BadRequest(format!("the form does not decode: {e}")))?;
    // absent when editing (an item stays with its unit; the field is disabled)
    let unit_id: Option<i64> = form.get("unit_id").trim().parse().ok();
    let kept = stored_name(form.get("cover_photo"));
    let mut errors = FieldErrors::new();
    let (documents, images): (Vec<Upload>, Vec<Upload>) = form
        .files
        .into_iter()
        .partition(|f| f.field == "attachments");
    let attachments = accept_attachments(state, &form.fields, documents, &mut errors).await?;
    let cover = accept_image(state, images, "cover", &mut errors)
        .await?
        .or(kept);
    Ok(Submitted {
        input,
        unit_id,
        cover,
        attachments,
        errors,
    })
}

pub async fn create(
    StaffPage { state, actor, page }: StaffPage,
    form_data: CsrfMultipart,
) -> Result<Response, WebError> {
    // Someone who may write for no unit at all is refused before the form (and its uploads)
    // is even looked at, as the empty form is.
    if editable_units(&state, &actor).await?.is_empty() {
        return Err(WebError::Forbidden);
    }
    let Submitted {
        input,
        unit_id,
        cover,
        attachments,
        mut errors,
    } = read_form(&state, form_data).await?;
    // a new item needs a unit: none (or not a number) is a field error, never unit 0
    let unit_id = match unit_id {
        Some(id) => {
            if !actor.can(Permission::EditContent { unit: UnitId(id) }) {
                errors.add("unit_id", "not_permitted_for_role");
            }
            id
        }
        None => {
            errors.add("unit_id", "required");
            0
        }
    };
    let unit = UnitId(unit_id);
    let offset = state.config.rules.utc_offset;
    let kept = Kept {
        cover: cover.clone(),
        attachments: attachments.clone(),
    };
    let mut draft = match errors.join(input.parse(unit, offset)) {
        Ok(d) => d,
        Err(errors) => {
            return again(&state, page, &actor, None, input, unit_id, kept, errors).await;
        }
    };
    draft.attachments = attachments;
    match content::create(
        &state.store,
        &AuditActor::from(&actor),
        actor.user_id.0,
        draft,
        cover.clone(),
    )
    .await
    {
        Ok(item) => {
            Ok(Redirect::to(&format!("/staf/konten/{}?ok=content_saved", item.id)).into_response())
        }
        Err(StorageError::Invalid(e)) => {
            again(&state, page, &actor, None, input, unit_id, kept, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What a form sent back keeps of its uploads, so nothing is uploaded twice.
struct Kept {
    cover: Option<String>,
    attachments: Vec<Attachment>,
}

#[allow(clippy::too_many_arguments)]
async fn again(
    state: &AppState,
    page: Page,
    actor: &Actor,
    item: Option<ContentItem>,
    input: ContentInput,
    unit_id: i64,
    kept: Kept,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    form(
        state,
        page,
        actor,
        item,
        input,
        unit_id,
        kept.cover.unwrap_or_default(),
        kept.attachments,
        errors,
        ProgressInput::default(),
        FieldErrors::new(),
    )
    .await
}

async fn editable_item(
    state: &AppState,
    actor: &Actor,
    id: ContentId,
) -> Result<ContentItem, WebError> {
    let item = content::get(&state.store, id).await?;
    actor.require(Permission::EditContent { unit: item.unit_id })?;
    Ok(item)
}

pub async fn edit_form(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<ContentId>,
) -> Result<Response, WebError> {
    let item = editable_item(&state, &actor, id).await?;
    let input = item.to_input(state.config.rules.utc_offset);
    let unit_id = item.unit_id.0;
    let cover = item.cover_photo.clone().unwrap_or_default();
    let attachments = item.attachments.clone();
    let today = portal::today(&page).to_string();
    form(
        &state,
        page,
        &actor,
        Some(item),
        input,
        unit_id,
        cover,
        attachments,
        FieldErrors::new(),
        ProgressInput {
            reported_on: today,
            ..Default::default()
        },
        FieldErrors::new(),
    )
    .await
}

pub async fn update(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<ContentId>,
    form_data: CsrfMultipart,
) -> Result<Response, WebError> {
    let item = editable_item(&state, &actor, id).await?;
    let Submitted {
        input,
        cover,
        attachments,
        errors,
        ..
    } = read_form(&state, form_data).await?;
    // an item stays with its unit
    let unit_id = item.unit_id.0;
    let kept = Kept {
        cover: cover.clone(),
        attachments: attachments.clone(),
    };
    let mut draft = match errors.join(input.parse(item.unit_id, state.config.rules.utc_offset)) {
        Ok(d) => d,
        Err(errors) => {
            return again(
                &state,
                page,
                &actor,
                Some(item),
                input,
                unit_id,
                kept,
                errors,
            )
            .await;
        }
    };
    draft.attachments = attachments;
    match content::update(&state.store, &AuditActor::from(&actor), id, draft, cover).await {
        Ok(_) => Ok(Redirect::to(&format!("/staf/konten/{id}?ok=content_saved")).into_response()),
        Err(StorageError::Invalid(e)) => {
            again(&state, page, &actor, Some(item), input, unit_id, kept, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    step: String,
}

pub async fn step(
    State(state): State<AppState>,
    Staff(actor): Staff,
    Path(id): Path<ContentId>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let item = editable_item(&state, &actor, id).await?;
    let step =
        EditorialStep::parse(&f.step).map_err(|_| WebError::BadRequest("unknown step".into()))?;
    actor.require(Permission::ContentStep {
        unit: item.unit_id,
        step,
    })?;
    content::step(&state.store, &AuditActor::from(&actor), id, step).await?;
    let ok = match step {
        EditorialStep::Submit => "content_submitted",
        EditorialStep::Publish => "content_published",
        EditorialStep::Return => "content_returned",
        EditorialStep::Unpublish => "content_unpublished",
    };
    Ok(Redirect::to(&format!("/staf/konten/{id}?ok={ok}")).into_response())
}

pub async fn add_progress(
    StaffPage { state, actor, page }: StaffPage,
    Path(id): Path<ContentId>,
    form_data: CsrfMultipart,
) -> Result<Response, WebError> {
    let item = editable_item(&state, &actor, id).await?;
    let input: ProgressInput =
        serde_urlencoded::from_str(&form_data.as_urlencoded()).unwrap_or_default();
    let mut errors = FieldErrors::new();
    let photo = accept_image(&state, form_data.files, "photo", &mut errors).await?;
    let today = portal::today(&page);
    let result = if errors.is_empty() {
        content::add_progress(
            &state.store,
            &AuditActor::from(&actor),
            actor.user_id.0,
            id,
            &input,
            today,
            photo,
        )
        .await
    } else {
        Err(StorageError::Invalid(errors))
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/staf/konten/{id}?ok=progress_saved#kemajuan")).into_response(),
        ),
        Err(StorageError::Invalid(e)) => {
            let content_input = item.to_input(state.config.rules.utc_offset);
            let unit_id = item.unit_id.0;
            let cover = item.cover_photo.clone().unwrap_or_default();
            let attachments = item.attachments.clone();
            form(
                &state,
                page,
                &actor,
                Some(item),
                content_input,
                unit_id,
                cover,
                attachments,
                FieldErrors::new(),
                input,
                e,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `/gambar/{name}`: a portal image (`-kecil` for its thumbnail). Names are random and only
/// ever made by `content::save_image`, so a path can never leave the image directory.
pub async fn image(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let (stem, thumb) = match name.strip_suffix("-kecil") {
        Some(s) => (s, true),
        None => (name.as_str(), false),
    };
    let stem = stored_name(stem).ok_or(WebError::NotFound)?;
    let (file, mime) = if thumb {
        let base = stem.split('.').next().unwrap_or_default();
        (format!("{base}.thumb.jpg"), "image/jpeg")
    } else {
        let mime = match stem.rsplit('.').next() {
            Some("jpg") => "image/jpeg",
            Some("png") => "image/png",
            Some("webp") => "image/webp",
            _ => return Err(WebError::NotFound),
        };
        (stem.clone(), mime)
    };
    let path = state.config.uploads.join(content::IMAGE_DIR).join(&file);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `/lampiran/{name}`: an attached document, shown in the browser's PDF viewer. Names are
/// random and made only by `content::save_attachment`.
pub async fn attachment(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let name = stored_name(&name)
        .filter(|n| n.ends_with(".pdf"))
        .ok_or(WebError::NotFound)?;
    let path = state
        .config
        .uploads
        .join(content::ATTACHMENT_DIR)
        .join(&name);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
