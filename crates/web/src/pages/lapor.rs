//! The public request form (`/lapor`): no account needed, works without JavaScript, keeps
//! everything typed (photos included) when something must be corrected.

use crate::csrf::{CsrfMultipart, Upload};
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use kotapintar_domain::intake::{self, form_stamp, RequestInput};
use kotapintar_domain::privacy::PublicRequest;
use kotapintar_domain::request::RequestKind;
use kotapintar_domain::service::Service;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::drafts::{self, DraftPhoto, MAX_PHOTOS};
use kotapintar_storage::media;
use kotapintar_storage::requests::{self, PhotoFile};
use kotapintar_storage::{regions, services, StorageError};
use serde::Deserialize;

pub struct Area {
    pub code: String,
    pub name: String,
    pub villages: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "lapor.html")]
struct FormTemplate {
    page: Page,
    input: RequestInput,
    answers: Vec<(String, String)>,
    errors: FieldErrors,
    kinds: [RequestKind; 4],
    services: Vec<Service>,
    service: Option<Service>,
    areas: Vec<Area>,
    /// Photos already received (kept in a draft), by their original names.
    draft_id: String,
    draft_photos: Vec<DraftPhoto>,
    /// Photos refused: file name and reason key.
    photo_problems: Vec<(String, String)>,
    similar: Vec<PublicRequest>,
    /// Storage cannot be written now: the form is shown again with a message to send it later.
    unavailable: bool,
    /// When this form was shown, signed (`intake::form_stamp`).
    started: String,
}

impl FormTemplate {
    pub fn answer(&self, code: &str) -> &str {
        let key = format!("q_{code}");
        self.answers
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn chosen(&self, code: &str, option: &str) -> bool {
        let key = format!("q_{code}");
        self.answers.iter().any(|(k, v)| *k == key && v == option)
    }
}

async fn areas(state: &AppState) -> Result<Vec<Area>, WebError> {
    let mut out = Vec::new();
    for d in regions::children(&state.store, &state.config.regency).await? {
        let code = kotapintar_domain::region::RegionCode::parse(&d.code)
            .map_err(|e| WebError::Internal(e.into()))?;
        let villages = regions::children(&state.store, &code)
            .await?
            .into_iter()
            .map(|v| (v.code, v.name))
            .collect();
        out.push(Area {
            code: d.code,
            name: d.name,
            villages,
        });
    }
    Ok(out)
}

/// Reads what the form shows, trying three more times when the database connection was lost
/// (a database server restarting): a read has nothing to undo, and the form, with what the
/// resident typed, is what must reach them.
async fn read_again_if_unavailable<T, E, F, Fut>(read: F) -> Result<T, WebError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    WebError: From<E>,
{
    let mut tries = 0;
    loop {
        match read().await.map_err(WebError::from) {
            Err(WebError::Unavailable(_)) if tries < 3 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
            }
            r => return r,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    layanan: String,
    #[serde(default)]
    jenis: String,
}

#[allow(clippy::too_many_arguments)]
async fn show(
    state: &AppState,
    page: Page,
    status: StatusCode,
    input: RequestInput,
    answers: Vec<(String, String)>,
    errors: FieldErrors,
    draft: Option<String>,
    photo_problems: Vec<(String, String)>,
    similar: Vec<PublicRequest>,
) -> Result<Response, WebError> {
    let all = read_again_if_unavailable(|| services::list(&state.store, true)).await?;
    let service = all
        .iter()
        .find(|s| s.draft.code == input.service_code.trim().to_lowercase())
        .cloned();
    let draft_photos = draft
        .as_deref()
        .map(|d| {
            drafts::load(&state.config.uploads, d)
                .into_iter()
                .map(|(m, _)| m)
                .collect()
        })
        .unwrap_or_default();
    let started = form_stamp::sign(form_key(state).await?, Utc::now().timestamp());
    let body = render(&FormTemplate {
        page,
        input,
        answers,
        errors,
        kinds: RequestKind::ALL,
        services: all,
        service,
        areas: read_again_if_unavailable(|| areas(state)).await?,
        draft_id: draft.unwrap_or_default(),
        draft_photos,
        photo_problems,
        similar,
        unavailable: status == StatusCode::SERVICE_UNAVAILABLE,
        started,
    })?;
    let mut res = (status, body).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        crate::error::retry_later(&mut res);
    }
    Ok(res)
}

/// The form again, with everything typed (and the photos kept so far), when the request could
/// not be stored because storage cannot be written now: 503, "try again in a moment".
async fn not_now(
    state: &AppState,
    page: Page,
    input: RequestInput,
    answers: Vec<(String, String)>,
    draft: Option<String>,
    reason: &str,
) -> Result<Response, WebError> {
    tracing::warn!(
        reason,
        "a request could not be accepted: storage cannot be written"
    );
    show(
        state,
        page,
        StatusCode::SERVICE_UNAVAILABLE,
        input,
        answers,
        FieldErrors::new(),
        draft.filter(|d| !d.is_empty()),
        vec![],
        vec![],
    )
    .await
}

pub async fn form(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<FormQuery>,
) -> Result<Response, WebError> {
    let mut input = RequestInput {
        service_code: q.layanan.clone(),
        kind: q.jenis.clone(),
        ..Default::default()
    };
    if let Some(s) = services::find_by_code(&state.store, &q.layanan).await? {
        input.kind = s.draft.kind.as_str().into();
    }
    show(
        &state,
        page,
        StatusCode::OK,
        input,
        vec![],
        FieldErrors::new(),
        None,
        vec![],
        vec![],
    )
    .await
}

/// The key that signs the form's start time and hashes phone numbers for their quota: made
/// once for the deployment and kept in the database, so every node accepts another's form.
async fn form_key(state: &AppState) -> Result<&[u8], WebError> {
    state
        .form_key
        .get_or_try_init(|| async {
            kotapintar_storage::limits::server_key(&state.store, "lapor-form")
                .await
                .map_err(WebError::from)
        })
        .await
        .map(Vec::as_slice)
}

/// The bot checks of the public form, which needs no account: a field people cannot see
/// (`website`) left empty, and a form not sent sooner than a person could fill it. Both are
/// answered with the form again, everything typed kept, and a message saying what to do.
fn bot_check(state: &AppState, key: &[u8], form: &CsrfMultipart, errors: &mut FieldErrors) {
    if !form.get("website").trim().is_empty() {
        errors.add("form", "honeypot_filled");
        return;
    }
    let min = i64::from(state.limits.form_min_fill_seconds);
    if min > 0 {
        if let Err(code) = form_stamp::check(key, form.get("started"), Utc::now().timestamp(), min)
        {
            errors.add("form", code);
        }
    }
}

/// Counts a request filed with this phone number today; `false` past the day's quota. The
/// number is counted under a keyed hash: the counter table holds no phone numbers.
async fn phone_within_quota(state: &AppState, key: &[u8], phone: &str) -> Result<bool, WebError> {
    let limit = state.limits.messages_per_phone_per_day;
    if limit == 0 {
        return Ok(true);
    }
    let hits = kotapintar_storage::limits::hit(
        &state.store,
        "phone",
        &form_stamp::phone_subject(key, phone),
        kotapintar_storage::limits::LONGEST_WINDOW_SECS,
        Utc::now(),
    )
    .await?;
    Ok(hits.count <= i64::from(limit))
}

/// Cleans each new upload (type by content, size, metadata) off the async threads, at most
/// one per core at a time across the server.
async fn clean_uploads(
    state: &AppState,
    files: Vec<Upload>,
) -> (Vec<(String, PhotoFile)>, Vec<(String, String)>) {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for f in files.into_iter().filter(|f| f.field == "photos") {
        let name = f.file_name.clone();
        let Ok(_slot) = state.decode_slots.clone().acquire_owned().await else {
            problems.push((name, "error.photo_corrupt".into()));
            continue;
        };
        let result = tokio::task::spawn_blocking(move || media::clean_photo(&f.bytes)).await;
        match result {
            Ok(Ok(c)) => ok.push((
                name,
                PhotoFile {
                    extension: c.kind.extension(),
                    mime: c.kind.mime(),
                    width: c.width,
                    height: c.height,
                    bytes: c.bytes,
                    thumbnail: c.thumbnail,
                },
            )),
            Ok(Err(e)) => problems.push((name, format!("error.{}", e.code()))),
            Err(_) => problems.push((name, "error.photo_corrupt".into())),
        }
    }
    (ok, problems)
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    let input: RequestInput = serde_urlencoded::from_str(&form.as_urlencoded()).unwrap_or_default();
    let answers: Vec<(String, String)> = form
        .fields
        .iter()
        .filter(|(k, _)| k.starts_with("q_"))
        .cloned()
        .collect();
    let uploads = &state.config.uploads;
    let old_draft = form.get("draft_id").to_string();
    // Refused before anything is written when the disk is nearly full.
    if let Err(StorageError::Unavailable { reason }) = state.store.check_free_space() {
        return not_now(&state, page, input, answers, Some(old_draft), &reason).await;
    }

    // Photos: those kept from an earlier attempt (minus any the resident removed), then new ones.
    let removed: Vec<usize> = form
        .fields
        .iter()
        .filter(|(k, _)| k == "remove_photo")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let mut photos: Vec<(String, PhotoFile)> = drafts::load(uploads, &old_draft)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, (m, f))| (m.original_name, f))
        .collect();
    let confirm_new = form.get("confirm_new") == "1";
    let key = form_key(&state).await?.to_vec();
    let mut errors = FieldErrors::new();
    bot_check(&state, &key, &form, &mut errors);
    let (new_photos, photo_problems) = if errors.is_empty() {
        clean_uploads(&state, form.files).await
    } else {
        // refused as a bot: its uploads are not worth decoding
        (Vec::new(), Vec::new())
    };
    photos.extend(new_photos);

    if photos.len() > MAX_PHOTOS {
        errors.add("photos", "too_many_photos");
        photos.truncate(MAX_PHOTOS);
    }
    if !photo_problems.is_empty() {
        errors.add("photos", "photo_rejected");
    }
    let parsed = input.parse(answers.clone());
    if let Err(e) = &parsed {
        errors.0.extend(e.0.clone());
    }
    // messages go to the number given here: an Indonesian mobile number only
    let message_phone = match intake::message_phone(&input.phone) {
        Ok(p) => p,
        Err(code) => {
            if errors.for_field("phone").is_none() {
                errors.add("phone", code);
            }
            None
        }
    };

    // A draft that cannot be written (a full disk) leaves the earlier one in place.
    let keep_draft = |photos: &[(String, PhotoFile)]| -> Result<Option<String>, StorageError> {
        let refs: Vec<(String, &PhotoFile)> = photos.iter().map(|(n, p)| (n.clone(), p)).collect();
        let draft = drafts::save(uploads, &refs)
            .map_err(|e| StorageError::from_io("cannot keep the photos of a form", &e))?;
        drafts::remove(uploads, &old_draft);
        Ok(draft)
    };
    let draft_or_not_now = |r: Result<Option<String>, StorageError>| match r {
        Ok(d) => Ok(d),
        Err(StorageError::Unavailable { reason }) => Err(Some(reason)),
        Err(e) => {
            tracing::error!(error = %e, "draft");
            Err(None)
        }
    };

    // `submit` makes the checks only the database can make; they are made here first only
    // when the form would be shown again anyway (refused photos, or similar requests to
    // offer), so that every problem is named at once
    if let (Ok(r), true) = (&parsed, !errors.is_empty() || !confirm_new) {
        match requests::check(&state.store, &state.config.rules, r).await {
            Ok(()) => {}
            Err(StorageError::Invalid(e)) => errors.0.extend(e.0),
            Err(StorageError::Unavailable { reason }) => {
                return not_now(&state, page, input, answers, Some(old_draft), &reason).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    let new_request = match parsed {
        Ok(r) if errors.is_empty() => r,
        _ => {
            let draft = match draft_or_not_now(keep_draft(&photos)) {
                Ok(d) => d,
                Err(Some(reason)) => {
                    return not_now(&state, page, input, answers, Some(old_draft), &reason).await
                }
                Err(None) => return Err(WebError::Internal("draft".into())),
            };
            return show(
                &state,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                answers,
                errors,
                draft,
                photo_problems,
                vec![],
            )
            .await;
        }
    };

    // Before filing, offer to support a similar open request instead.
    if !confirm_new {
        let district = new_request.district_code.as_ref().map(|c| c.to_string());
        let text = format!("{} {}", new_request.title, new_request.description);
        let similar = match requests::similar_open(
            &state.store,
            &text,
            new_request.latitude,
            new_request.longitude,
            district.as_deref(),
        )
        .await
        {
            Ok(similar) => similar,
            Err(StorageError::Unavailable { reason }) => {
                return not_now(&state, page, input, answers, Some(old_draft), &reason).await
            }
            Err(e) => return Err(e.into()),
        };
        if !similar.is_empty() {
            let draft = match draft_or_not_now(keep_draft(&photos)) {
                Ok(d) => d,
                Err(Some(reason)) => {
                    return not_now(&state, page, input, answers, Some(old_draft), &reason).await
                }
                Err(None) => return Err(WebError::Internal("draft".into())),
            };
            return show(
                &state,
                page,
                StatusCode::OK,
                input,
                answers,
                FieldErrors::new(),
                draft,
                vec![],
                similar,
            )
            .await;
        }
    }

    // Kept as a draft first: if a check only the database can make fails, the resident
    // corrects the form without choosing the photos again.
    let draft = if photos.is_empty() {
        None
    } else {
        match draft_or_not_now(keep_draft(&photos)) {
            Ok(d) => d,
            Err(Some(reason)) => {
                return not_now(&state, page, input, answers, Some(old_draft), &reason).await
            }
            Err(None) => return Err(WebError::Internal("draft".into())),
        }
    };
    let calendar = match state.calendar().await {
        Ok(c) => c,
        Err(WebError::Unavailable(reason)) => {
            return not_now(&state, page, input, answers, draft, &reason).await
        }
        Err(e) => return Err(e),
    };
    // At most a few requests a day with one number: past that the form says so and keeps
    // everything, and the resident may send it without the number (or with an email).
    // Refusing beats filing silently without messages: the resident would wait for a
    // WhatsApp that never comes.
    if let Some(phone) = &message_phone {
        if !phone_within_quota(&state, &key, phone).await? {
            return show(
                &state,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                answers,
                FieldErrors::single("phone", "phone_quota_reached"),
                draft,
                vec![],
                vec![],
            )
            .await;
        }
    }
    let files: Vec<PhotoFile> = photos.into_iter().map(|(_, p)| p).collect();
    match requests::submit(
        &state.store,
        &state.config.rules,
        &calendar,
        uploads,
        new_request,
        files,
    )
    .await
    {
        Ok(done) => {
            if let Some(d) = &draft {
                drafts::remove(uploads, d);
            }
            Ok(Redirect::to(&format!(
                "/laporan/{}/ikuti/{}?baru=1",
                done.code, done.token
            ))
            .into_response())
        }
        Err(StorageError::Invalid(e)) => {
            show(
                &state,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                answers,
                e,
                draft,
                vec![],
                vec![],
            )
            .await
        }
        Err(StorageError::Unavailable { reason }) => {
            not_now(&state, page, input, answers, draft, &reason).await
        }
        Err(e) => Err(e.into()),
    }
}
