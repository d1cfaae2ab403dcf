//! The public request form (`/lapor`): no account needed, works without JavaScript, keeps
//! everything typed (photos included) when something must be corrected.

use crate::csrf::{CsrfMultipart, Upload};
use crate::i18n;
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use kotapintar_domain::intake::{self, form_stamp, NewRequest, RequestInput};
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
    map: crate::map::MapView,
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

    /// Whether `code` is the service whose questions the page shows.
    pub fn is_shown(&self, code: &str) -> bool {
        self.service.as_ref().is_some_and(|s| s.draft.code == code)
    }

    /// A line of the error summary: it names the field, a service's question by its label.
    pub fn summary_text(&self, field: &str, code: &str) -> String {
        let question = self
            .service
            .as_ref()
            .and_then(|s| s.draft.questions.iter().find(|q| q.field_name() == field));
        if let Some(q) = question {
            return format!("{}: {}", q.label, self.page.error_text(code));
        }
        let lang = self.page.lang;
        if let Some(s) = i18n::lookup(lang, &format!("summary_lapor.{code}.{field}")) {
            return s.to_string();
        }
        match i18n::lookup(lang, &format!("summary_lapor_field.{field}")) {
            Some(name) => format!("{name}: {}", self.page.error_text(code)),
            None => self.page.summary_text(field, code),
        }
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
    let mut input = input;
    if let (Some(s), true) = (&service, input.kind.is_empty()) {
        input.kind = s.draft.kind.as_str().into();
    }
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
        map: crate::map::MapView::of(state),
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
pub(crate) async fn form_key(state: &AppState) -> Result<&[u8], WebError> {
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
            Ok(Ok(c)) => ok.push((name, PhotoFile::from(c))),
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
    let questions_seen = !answers.is_empty()
        || input.service_code.trim().to_lowercase()
            == form.get("questions_for").trim().to_lowercase();
    let attempt = Attempt {
        state: &state,
        input,
        answers,
        old_draft: form.get("draft_id").to_string(),
        questions_seen,
    };
    // "Show the service's questions" without JavaScript: the form comes back with everything
    // typed (the photos kept as a draft) and the chosen service's questions.
    let result = if form.get("pilih") == "1" {
        attempt.choose(form).await
    } else {
        attempt.file(form).await
    };
    match result {
        Ok(filed) => Ok(filed),
        Err(stop) => attempt.answer(page, stop).await,
    }
}

/// How a sending of the form ends when no request is filed: the form again, with what the
/// resident typed (and the photos kept as a draft), or an error page.
enum Stop {
    /// Storage cannot be written now (503).
    NotNow {
        draft: Option<String>,
        reason: String,
    },
    /// The form again: problems to correct (422), or similar requests to support (200).
    Again {
        status: StatusCode,
        errors: FieldErrors,
        draft: Option<String>,
        photo_problems: Vec<(String, String)>,
        similar: Vec<PublicRequest>,
    },
    /// The form was sent before with the same key (a draft kept offline, sent again): the
    /// request it filed, by tracking code.
    SentBefore(String),
    Failed(WebError),
}

impl From<WebError> for Stop {
    fn from(e: WebError) -> Self {
        Self::Failed(e)
    }
}

impl Stop {
    /// The form again with `errors` to correct.
    fn invalid(errors: FieldErrors, draft: Option<String>) -> Self {
        Self::Again {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            draft,
            photo_problems: vec![],
            similar: vec![],
        }
    }
}

/// One sending of the form: what the resident typed, kept to show the form again.
struct Attempt<'a> {
    state: &'a AppState,
    input: RequestInput,
    answers: Vec<(String, String)>,
    /// The draft of an earlier sending (its photos), replaced when this one keeps photos.
    old_draft: String,
    /// Whether the form showed the chosen service's questions: a question never shown is
    /// not held against the resident, the form comes back with it instead.
    questions_seen: bool,
}

/// A form that passed every check but the ones made while filing.
struct Checked {
    request: NewRequest,
    photos: Vec<(String, PhotoFile)>,
    message_phone: Option<String>,
    key: Vec<u8>,
    /// The key the browser made for this draft (`intake::form_key`).
    form_key: Option<String>,
}

impl Attempt<'_> {
    /// Storage cannot be written now: the earlier draft still holds the photos.
    fn not_now(&self, reason: String) -> Stop {
        Stop::NotNow {
            draft: Some(self.old_draft.clone()),
            reason,
        }
    }

    async fn answer(self, page: Page, stop: Stop) -> Result<Response, WebError> {
        let Attempt {
            state,
            input,
            answers,
            questions_seen,
            ..
        } = self;
        match stop {
            Stop::NotNow { draft, reason } => {
                not_now(state, page, input, answers, draft, &reason).await
            }
            Stop::Again {
                status,
                mut errors,
                draft,
                photo_problems,
                similar,
            } => {
                if !questions_seen {
                    unseen_questions(&mut errors);
                }
                let (problems, similar) = (photo_problems, similar);
                show(
                    state, page, status, input, answers, errors, draft, problems, similar,
                )
                .await
            }
            Stop::SentBefore(code) => sent_before(page, code),
            Stop::Failed(e) => Err(e),
        }
    }

    /// Keeps the photos as a draft in place of the earlier one. A draft that cannot be
    /// written (a full disk) leaves the earlier one in place.
    fn keep(&self, photos: &[(String, PhotoFile)]) -> Result<Option<String>, Stop> {
        let uploads = &self.state.config.uploads;
        let refs: Vec<(String, &PhotoFile)> = photos.iter().map(|(n, p)| (n.clone(), p)).collect();
        match drafts::save(uploads, &refs)
            .map_err(|e| StorageError::from_io("cannot keep the photos of a form", &e))
        {
            Ok(draft) => {
                drafts::remove(uploads, &self.old_draft);
                Ok(draft)
            }
            Err(StorageError::Unavailable { reason }) => Err(self.not_now(reason)),
            Err(e) => {
                tracing::error!(error = %e, "draft");
                Err(Stop::Failed(WebError::Internal("draft".into())))
            }
        }
    }

    /// The form again with the chosen service's questions, nothing checked yet: the photos
    /// sent so far are kept as a draft, so they are not chosen again.
    async fn choose(&self, form: CsrfMultipart) -> Result<Response, Stop> {
        let photos = self.photos(&form);
        let (new_photos, photo_problems) = clean_uploads(self.state, form.files).await;
        let mut photos = photos;
        photos.extend(new_photos);
        photos.truncate(MAX_PHOTOS);
        Err(Stop::Again {
            status: StatusCode::OK,
            errors: FieldErrors::new(),
            draft: self.keep(&photos)?,
            photo_problems,
            similar: vec![],
        })
    }

    /// The photos kept from an earlier sending, minus those the resident removed.
    fn photos(&self, form: &CsrfMultipart) -> Vec<(String, PhotoFile)> {
        let removed: Vec<usize> = form
            .fields
            .iter()
            .filter(|(k, _)| k == "remove_photo")
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        drafts::load(&self.state.config.uploads, &self.old_draft)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !removed.contains(i))
            .map(|(_, (m, f))| (m.original_name, f))
            .collect()
    }

    async fn file(&self, form: CsrfMultipart) -> Result<Response, Stop> {
        let state = self.state;
        // Refused before anything is written when the disk is nearly full.
        if let Err(StorageError::Unavailable { reason }) = state.store.check_free_space() {
            return Err(self.not_now(reason));
        }
        let Checked {
            request,
            photos,
            message_phone,
            key,
            form_key,
        } = self.check(form).await?;
        // Kept as a draft first: if a check only the database can make fails, the resident
        // corrects the form without choosing the photos again.
        let draft = if photos.is_empty() {
            None
        } else {
            self.keep(&photos)?
        };
        let calendar = match state.calendar().await {
            Ok(c) => c,
            Err(WebError::Unavailable(reason)) => return Err(Stop::NotNow { draft, reason }),
            Err(e) => return Err(e.into()),
        };
        // At most a few requests a day with one number: past that the form says so and keeps
        // everything, and the resident may send it without the number (or with an email).
        // Refusing beats filing silently without messages: the resident would wait for a
        // WhatsApp that never comes.
        if let Some(phone) = &message_phone {
            if !phone_within_quota(state, &key, phone).await? {
                let errors = FieldErrors::single("phone", "phone_quota_reached");
                return Err(Stop::invalid(errors, draft));
            }
        }
        let uploads = &state.config.uploads;
        let files: Vec<PhotoFile> = photos.into_iter().map(|(_, p)| p).collect();
        let rules = &state.config.rules;
        let filed = match &form_key {
            Some(k) => {
                let store = &state.store;
                requests::submit_once(store, rules, &calendar, uploads, request, files, k).await
            }
            None => requests::submit(&state.store, rules, &calendar, uploads, request, files)
                .await
                .map(requests::Filed::New),
        };
        if filed.is_ok() {
            if let Some(d) = &draft {
                drafts::remove(uploads, d);
            }
        }
        match filed {
            Ok(requests::Filed::New(done)) => {
                let to = format!("/laporan/{}/ikuti/{}?baru=1", done.code, done.token);
                Ok(Redirect::to(&to).into_response())
            }
            Ok(requests::Filed::Before(code)) => Err(Stop::SentBefore(code)),
            Err(StorageError::Invalid(e)) => Err(Stop::invalid(e, draft)),
            Err(StorageError::Unavailable { reason }) => Err(Stop::NotNow { draft, reason }),
            Err(e) => Err(Stop::Failed(e.into())),
        }
    }

    /// Every check before filing: the photos, the bot check, the form's rules, the checks
    /// only the database can make, and the offer of similar open requests.
    async fn check(&self, form: CsrfMultipart) -> Result<Checked, Stop> {
        let state = self.state;
        // Photos: those kept from an earlier attempt, then new ones.
        let mut photos = self.photos(&form);
        let confirm_new = form.get("confirm_new") == "1";
        let key = form_key(state).await?.to_vec();
        let mut errors = FieldErrors::new();
        let draft_key = match intake::form_key(form.get("form_key")) {
            Ok(k) => k,
            Err(code) => {
                errors.add("form", code);
                None
            }
        };
        bot_check(state, &key, &form, &mut errors);
        let (new_photos, photo_problems) = if errors.is_empty() {
            clean_uploads(state, form.files).await
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
        let parsed = self.input.parse(self.answers.clone());
        if let Err(e) = &parsed {
            errors.0.extend(e.0.clone());
        }
        // messages go to the number given here: an Indonesian mobile number only
        let message_phone = match intake::message_phone(&self.input.phone) {
            Ok(p) => p,
            Err(code) => {
                if errors.for_field("phone").is_none() {
                    errors.add("phone", code);
                }
                None
            }
        };
        // `submit` makes the checks only the database can make; they are made here first
        // only when the form would be shown again anyway (refused photos, or similar
        // requests to offer), so that every problem is named at once
        if let (Ok(r), true) = (&parsed, !errors.is_empty() || !confirm_new) {
            match requests::check(&state.store, &state.config.rules, r).await {
                Ok(()) => {}
                Err(StorageError::Invalid(e)) => errors.0.extend(e.0),
                Err(StorageError::Unavailable { reason }) => return Err(self.not_now(reason)),
                Err(e) => return Err(Stop::Failed(e.into())),
            }
        }
        let request = match parsed {
            Ok(r) if errors.is_empty() => r,
            _ => {
                let draft = self.keep(&photos)?;
                return Err(Stop::Again {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    errors,
                    draft,
                    photo_problems,
                    similar: vec![],
                });
            }
        };
        if !confirm_new {
            self.offer_similar(&request, &photos).await?;
        }
        Ok(Checked {
            request,
            photos,
            message_phone,
            key,
            form_key: draft_key,
        })
    }

    /// Before filing, offers to support a similar open request instead.
    async fn offer_similar(
        &self,
        request: &NewRequest,
        photos: &[(String, PhotoFile)],
    ) -> Result<(), Stop> {
        let district = request.district_code.as_ref().map(|c| c.to_string());
        let text = format!("{} {}", request.title, request.description);
        let (lat, lon) = (request.latitude, request.longitude);
        let store = &self.state.store;
        let similar =
            match requests::similar_open(store, &text, lat, lon, district.as_deref()).await {
                Ok(similar) => similar,
                Err(StorageError::Unavailable { reason }) => return Err(self.not_now(reason)),
                Err(e) => return Err(Stop::Failed(e.into())),
            };
        if similar.is_empty() {
            return Ok(());
        }
        Err(Stop::Again {
            status: StatusCode::OK,
            errors: FieldErrors::new(),
            draft: self.keep(photos)?,
            photo_problems: vec![],
            similar,
        })
    }
}

/// A form sent without the chosen service's questions on it (a service chosen, the page not
/// sent back to show them): no error on a question the resident never saw; one message asks
/// them to answer the questions now shown.
fn unseen_questions(errors: &mut FieldErrors) {
    let before = errors.0.len();
    errors.0.retain(|e| !e.field.starts_with("q_"));
    if errors.0.len() < before {
        errors.add("questions", "answer_questions");
    }
}

#[derive(Template)]
#[template(path = "lapor_sent.html")]
struct SentBeforeTemplate {
    page: Page,
    code: String,
}

/// The answer to a draft sent again after it was filed: the tracking code, not the private
/// follow-up link (only its hash is stored; the first answer carried it). The header lets the
/// page's script that sent the draft know it arrived.
fn sent_before(page: Page, code: String) -> Result<Response, WebError> {
    let header = axum::http::HeaderValue::from_str(&code)
        .map_err(|_| WebError::Internal("tracking code".into()))?;
    let mut res = render(&SentBeforeTemplate { page, code })?.into_response();
    res.headers_mut().insert("x-kotapintar-filed", header);
    Ok(res)
}
