//! Intake: checking a resident's request, its photos, and writing it through the group commit.

use super::*;
use crate::audit::{self, Change};
use crate::entity::{region, request, request_photo, service};
use crate::{notices, Result, StorageError, Store};
use chrono::{DateTime, Datelike, Utc};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::policy::Actor;
use kotapintar_domain::privacy::PublicText;
use kotapintar_domain::request::{tracking_code, RequestRules, Status};
use kotapintar_domain::service::{check_answers, Question};
use kotapintar_domain::working_days::Calendar;
use kotapintar_domain::FieldErrors;
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use std::path::{Path, PathBuf};

/// A cleaned photo ready to be kept (see `media::clean_photo`).
pub struct PhotoFile {
    pub extension: &'static str,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl From<crate::media::CleanPhoto> for PhotoFile {
    fn from(c: crate::media::CleanPhoto) -> Self {
        Self {
            extension: c.kind.extension(),
            mime: c.kind.mime(),
            width: c.width,
            height: c.height,
            bytes: c.bytes,
            thumbnail: c.thumbnail,
        }
    }
}

pub struct Submitted {
    pub id: RequestId,
    pub code: String,
    /// The secret of the reporter's follow-up link; only its hash is stored.
    pub token: String,
}

/// The names of a request's kecamatan and desa, copied into the request at intake: area names
/// do not change, and public pages then need no lookup for them.
#[derive(Default)]
pub(super) struct AreaNames {
    pub(super) district: Option<String>,
    pub(super) village: Option<String>,
}

/// Checks what only the database can tell: the service, its questions, the areas.
pub(super) async fn check_against_data(
    db: &impl ConnectionTrait,
    rules: &RequestRules,
    req: &NewRequest,
) -> Result<(Option<service::Model>, Vec<(String, String)>, AreaNames)> {
    let mut e = FieldErrors::new();
    let mut answers = Vec::new();
    let service = match &req.service_code {
        None => None,
        Some(code) => {
            let s = service::Entity::find()
                .filter(service::Column::Code.eq(code.as_str()))
                .filter(service::Column::Active.eq(true))
                .one(db)
                .await?;
            match &s {
                None => e.add("service_code", "unknown_service"),
                Some(s) if s.kind != req.kind.as_str() => {
                    e.add("service_code", "service_kind_mismatch")
                }
                Some(s) => {
                    let questions: Vec<Question> = serde_json::from_str(&s.questions_json)
                        .map_err(|e| {
                            StorageError::Other(format!(
                                "corrupt questions of service {}: {e}",
                                s.id
                            ))
                        })?;
                    match check_answers(&questions, &req.answers) {
                        Ok(a) => answers = a,
                        Err(fe) => e.0.extend(fe.0),
                    }
                }
            }
            s
        }
    };
    let mut names = AreaNames::default();
    for (field, code) in [
        ("district_code", &req.district_code),
        ("village_code", &req.village_code),
    ] {
        if let Some(c) = code {
            match region::Entity::find_by_id(c.as_str()).one(db).await? {
                Some(r) if c.is_within(&rules.regency) => {
                    if field == "district_code" {
                        names.district = Some(r.name);
                    } else {
                        names.village = Some(r.name);
                    }
                }
                _ => e.add(field, "unknown_region"),
            }
        }
    }
    if let (Some(lat), Some(lon), Some(b)) = (req.latitude, req.longitude, rules.bounds) {
        if !b.contains(lat, lon) {
            e.add("latitude", "outside_regency");
        }
    }
    if e.is_empty() {
        Ok((service, answers, names))
    } else {
        Err(StorageError::Invalid(e))
    }
}

/// Runs the checks that need the database, without storing anything, so a form can report
/// every problem before it offers similar requests.
pub async fn check(store: &Store, rules: &RequestRules, req: &NewRequest) -> Result<()> {
    check_against_data(&store.reader, rules, req)
        .await
        .map(|_| ())
}

/// Files written for a request that is not yet committed; removed unless `keep` is called.
pub(super) struct PendingFiles(pub(super) Vec<PathBuf>);

impl PendingFiles {
    pub(super) fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for PendingFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes cleaned photos and their thumbnails under `uploads/requests/YYYY/MM/` (removed
/// again unless `pending` is kept) and returns their records, positions from `first`,
/// without the request they belong to.
pub(super) fn write_photo_files(
    uploads: &Path,
    now: DateTime<Utc>,
    photos: &[PhotoFile],
    first: i32,
    pending: &mut PendingFiles,
) -> Result<Vec<request_photo::ActiveModel>> {
    if photos.is_empty() {
        return Ok(Vec::new());
    }
    let dir = uploads
        .join("requests")
        .join(now.format("%Y/%m").to_string());
    std::fs::create_dir_all(&dir)
        .map_err(|e| StorageError::from_io(&format!("cannot create {}", dir.display()), &e))?;
    let rel = |p: &Path| {
        p.strip_prefix(uploads)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut rows = Vec::with_capacity(photos.len());
    for (i, p) in photos.iter().enumerate() {
        let stem = random_hex(12);
        let file = dir.join(format!("{stem}.{}", p.extension));
        let thumb = dir.join(format!("{stem}.thumb.jpg"));
        for (path, bytes) in [(&file, &p.bytes), (&thumb, &p.thumbnail)] {
            // a full or read-only disk is "not now" (503), and leaves no partial file
            crate::space::write_upload(path, bytes)?;
            pending.0.push(path.clone());
        }
        rows.push(request_photo::ActiveModel {
            position: Set(first + i as i32),
            mime: Set(p.mime.into()),
            file_name: Set(rel(&file)),
            thumb_name: Set(rel(&thumb)),
            width: Set(p.width as i32),
            height: Set(p.height as i32),
            bytes: Set(p.bytes.len() as i64),
            ..Default::default()
        });
    }
    Ok(rows)
}

/// Accepts a resident's request: the request, its photos' records, the first timeline entry
/// and the notifications are committed together; photo files are removed again if it fails.
///
/// Submissions arriving together are committed together (group commit, see
/// [`IntakeQueue`]): the answer still comes only after the request's own commit.
pub async fn submit(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    uploads: &Path,
    req: NewRequest,
    photos: Vec<PhotoFile>,
) -> Result<Submitted> {
    submit_with(
        store,
        rules,
        calendar,
        uploads,
        req,
        photos,
        Origin::default(),
    )
    .await
}

/// `submit`, with an outside photo link (Open311 `media_url`, already checked by
/// `intake::media_url`) stored on the request in the same transaction.
pub async fn submit_with_link(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    uploads: &Path,
    req: NewRequest,
    photos: Vec<PhotoFile>,
    media_url: Option<String>,
) -> Result<Submitted> {
    let origin = Origin {
        media_url,
        ..Origin::default()
    };
    submit_with(store, rules, calendar, uploads, req, photos, origin).await
}

/// [`submit`] for a request a chat update (`channel_updates.id`) files: the update is marked
/// with the request in the same transaction, so that processing it again after a crash finds
/// the request instead of filing it twice (see [`reissue_link`]).
pub async fn submit_from_chat(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    uploads: &Path,
    req: NewRequest,
    photos: Vec<PhotoFile>,
    update_id: i64,
) -> Result<Submitted> {
    let origin = Origin {
        chat_update: Some(update_id),
        ..Origin::default()
    };
    submit_with(store, rules, calendar, uploads, req, photos, origin).await
}

/// A new follow-up secret for a request whose first one never reached its reporter (the
/// reply carrying it was not sent: the chat update that filed it is processed again). The
/// old secret stops working.
pub async fn reissue_link(store: &Store, id: RequestId) -> Result<Submitted> {
    let token = random_hex(24);
    let tx = store.writer.begin().await?;
    let m = crate::rows::locked::<request::Entity>(&tx, id.0).await?;
    let mut row: request::ActiveModel = m.clone().into();
    row.reporter_token_hash = Set(hash_token(&token));
    row.update(&tx).await?;
    tx.commit().await?;
    Ok(Submitted {
        id,
        code: m.tracking_code,
        token,
    })
}

/// Where a submission came from, beyond the request itself: the chat update that files it,
/// and an outside photo link (Open311 `media_url`).
#[derive(Debug, Default)]
struct Origin {
    chat_update: Option<i64>,
    media_url: Option<String>,
    /// The key the resident's browser sent with the form (see [`submit_once`]).
    form_key: Option<String>,
}

/// How [`submit_once`] ended.
pub enum Filed {
    /// A new request.
    New(Submitted),
    /// The form was sent before with this key: the request it filed, by tracking code.
    Before(String),
}

/// The request filed with a form key, by tracking code.
pub async fn filed_with_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>> {
    use crate::entity::form_key;
    let Some(k) = form_key::Entity::find()
        .filter(form_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(request::Entity::find_by_id(k.request_id)
        .one(db)
        .await?
        .map(|r| r.tracking_code))
}

/// Files a request sent with a key the resident's browser made for this draft, at most once
/// per key: a draft kept offline is sent again whenever the browser cannot tell whether the
/// last sending arrived. The key is written in the transaction that files the request
/// (unique), so of two sendings racing each other one files and the other finds it.
pub async fn submit_once(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    uploads: &Path,
    req: NewRequest,
    photos: Vec<PhotoFile>,
    key: &str,
) -> Result<Filed> {
    if let Some(code) = filed_with_key(&store.writer, key).await? {
        return Ok(Filed::Before(code));
    }
    let origin = Origin {
        form_key: Some(key.to_string()),
        ..Origin::default()
    };
    match submit_with(store, rules, calendar, uploads, req, photos, origin).await {
        Ok(s) => Ok(Filed::New(s)),
        // the other sending won the race: its request is the answer
        Err(e) => match filed_with_key(&store.writer, key).await {
            Ok(Some(code)) => Ok(Filed::Before(code)),
            _ => Err(e),
        },
    }
}

async fn submit_with(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    uploads: &Path,
    req: NewRequest,
    photos: Vec<PhotoFile>,
    origin: Origin,
) -> Result<Submitted> {
    let refused = |e: StorageError| {
        if let StorageError::Unavailable { reason } = &e {
            store.outage.refused(reason);
        }
        e
    };
    store.check_free_space().map_err(refused)?;
    let (service, answers, names) = check_against_data(&store.reader, rules, &req).await?;
    let now = Utc::now();
    let mut pending = PendingFiles(Vec::new());
    // it only writes files: any failure is the uploads directory's (full, read-only, gone)
    let stored_photos =
        write_photo_files(uploads, now, &photos, 0, &mut pending).map_err(|e| match e {
            StorageError::Other(reason) => refused(StorageError::Unavailable { reason }),
            e => e,
        })?;

    let token = random_hex(24);
    let public = PublicText::of(
        &req.title,
        &req.description,
        req.location_address.as_deref(),
        None,
        &names_of(req.contact.name.as_deref()),
    );
    let mut row = request::ActiveModel {
        kind: Set(req.kind.as_str().into()),
        service_id: Set(service.as_ref().map(|s| s.id)),
        title: Set(req.title.clone()),
        description: Set(req.description.clone()),
        status: Set(Status::Diterima.as_str().into()),
        location_address: Set(req.location_address.clone()),
        latitude: Set(req.latitude),
        longitude: Set(req.longitude),
        district_code: Set(req.district_code.as_ref().map(|c| c.to_string())),
        village_code: Set(req.village_code.as_ref().map(|c| c.to_string())),
        district_name: Set(names.district.clone()),
        village_name: Set(names.village.clone()),
        anonymous: Set(req.anonymous),
        confidential: Set(req.confidential),
        reporter_name: Set(req.contact.name.clone()),
        reporter_email: Set(req.contact.email.clone()),
        reporter_phone: Set(req.contact.phone.clone()),
        reporter_chat_channel: Set(req.chat.as_ref().map(|c| c.channel.as_str().into())),
        reporter_chat_id: Set(req.chat.as_ref().map(|c| c.id.clone())),
        reporter_token_hash: Set(hash_token(&token)),
        answers_json: Set(serde_json::to_string(&answers).unwrap_or_else(|_| "[]".into())),
        received_at: Set(now),
        stage_due_at: Set(Some(calendar.due_at(
            now,
            rules.verify_days,
            rules.utc_offset,
        ))),
        resolve_due_at: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        response: Set(None),
        reject_reason: Set(None),
        duplicate_of: Set(None),
        support_count: Set(0),
        escalation_level: Set(0),
        personal_data_erased_at: Set(None),
        updated_at: Set(now),
        media_url: Set(origin.media_url),
        ..Default::default()
    };
    set_public_text(&mut row, public);
    let submission = Submission {
        row,
        photos: stored_photos,
        year: now.year(),
        token: token.clone(),
        rules: rules.clone(),
        calendar: calendar.clone(),
        chat_update: origin.chat_update,
        form_key: origin.form_key,
    };
    // Spawned, so that a client that goes away does not cancel a write other submissions
    // share: once queued, a submission is written.
    let (queue, writer) = (store.intake.clone(), store.writer.clone());
    let m = tokio::spawn(async move {
        queue
            .write(submission, |batch: &[Submission]| {
                let writer = writer.clone();
                Box::pin(async move { write_submissions(&writer, batch).await })
            })
            .await
    })
    .await
    .map_err(|e| StorageError::Other(format!("intake writer failed: {e}")))?
    .map_err(refused)?;
    pending.keep();
    crate::health::ended(store).await;
    Ok(Submitted {
        id: RequestId(m.id),
        code: m.tracking_code,
        token,
    })
}

/// A resident's request, checked and with its photos on disk, ready to be written.
pub(crate) struct Submission {
    /// Everything but the tracking code, drawn when it is written.
    row: request::ActiveModel,
    /// Everything but the request's id.
    photos: Vec<request_photo::ActiveModel>,
    year: i32,
    /// The reporter's follow-up secret, for the notifications' link.
    token: String,
    rules: RequestRules,
    calendar: Calendar,
    /// The chat update that files it (`channel_updates.id`), marked in the same transaction.
    chat_update: Option<i64>,
    /// The form's key (`form_keys`), written in the same transaction.
    form_key: Option<String>,
}

/// The queue of residents' submissions (see [`crate::group_commit`]).
pub(crate) type IntakeQueue = crate::group_commit::GroupCommit<Submission, request::Model>;

/// At most this many submissions in one transaction.
pub(super) const INTAKE_BATCH: usize = 64;

/// A store's queue of submissions.
pub(crate) fn intake_queue() -> std::sync::Arc<IntakeQueue> {
    std::sync::Arc::new(IntakeQueue::new(INTAKE_BATCH))
}

/// Writes submissions in one transaction: all of them or none; Ok only once it committed.
///
/// A failure before the `COMMIT` was sent committed nothing, so when it is the connection's
/// or the disk's (`Unavailable`: a database server restarted, a connection dropped) the batch
/// is written once more, on a new connection. A failed `COMMIT` is not retried: whether it
/// committed is unknown, and a retry could file the same requests twice.
pub(super) async fn write_submissions(
    writer: &sea_orm::DatabaseConnection,
    batch: &[Submission],
) -> Result<Vec<request::Model>> {
    let mut retry = true;
    loop {
        let attempt = async {
            let tx = writer.begin().await?;
            let mut written = Vec::with_capacity(batch.len());
            for s in batch {
                written.push(write_submission(&tx, s).await?);
            }
            Ok::<_, StorageError>((tx, written))
        }
        .await;
        match attempt {
            Ok((tx, written)) => {
                tx.commit().await?;
                return Ok(written);
            }
            Err(StorageError::Unavailable { reason }) if retry => {
                tracing::warn!(%reason, "an intake write failed before its commit; trying once more");
                retry = false;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Inserts a request row under a fresh random tracking code, drawing again when the code is
/// taken (imports of years of history make a collision likely, not rare).
pub(super) async fn insert_with_free_code(
    tx: &DatabaseTransaction,
    rules: &RequestRules,
    year: i32,
    row: request::ActiveModel,
) -> Result<request::Model> {
    for _ in 0..8 {
        let mut random = [0u8; 5];
        rand::thread_rng().fill_bytes(&mut random);
        let mut row = row.clone();
        row.tracking_code = Set(tracking_code(&rules.tracking_prefix, year, random));
        // A duplicate code inserts nothing instead of failing, so the transaction goes on
        // with another code (no savepoint: two statements fewer on the intake path).
        let res = request::Entity::insert(row)
            .on_conflict(
                OnConflict::column(request::Column::TrackingCode)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning(tx)
            .await;
        match res {
            Ok(m) => return Ok(m),
            // what sea-orm answers when the RETURNING of a "do nothing" insert is empty
            Err(DbErr::RecordNotFound(_) | DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(StorageError::Other(
        "could not find a free tracking code".into(),
    ))
}

/// The statements of one submission, in the caller's transaction.
pub(super) async fn write_submission(
    tx: &DatabaseTransaction,
    s: &Submission,
) -> Result<request::Model> {
    let m = insert_with_free_code(tx, &s.rules, s.year, s.row.clone()).await?;
    if let Some(update) = s.chat_update {
        use crate::entity::channel_update;
        channel_update::Entity::update_many()
            .col_expr(
                channel_update::Column::FiledRequestId,
                sea_orm::sea_query::Expr::value(m.id),
            )
            .filter(channel_update::Column::Id.eq(update))
            .exec(tx)
            .await?;
    }
    if let Some(key) = &s.form_key {
        crate::entity::form_key::ActiveModel {
            key: Set(key.clone()),
            request_id: Set(m.id),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    for p in &s.photos {
        let mut p = p.clone();
        p.request_id = Set(m.id);
        p.insert(tx).await?;
    }
    add_event(
        tx,
        &m,
        "pelapor",
        None,
        RequestStep::Created,
        None,
        Status::Diterima,
        None,
        false,
        None,
    )
    .await?;
    crate::performance::record_new(tx, &m, &s.calendar, s.rules.utc_offset).await?;
    let link = follow_link(&s.rules, &m.tracking_code, &s.token);
    if let Some(email) = &m.reporter_email {
        let (subject, body) = notices::received(&m.tracking_code, &link);
        notices::email(tx, email, &subject, &body).await?;
    }
    if !m.confidential && crate::alerts::anyone_follows(tx, &m).await? {
        // its area's subscribers are told by a job: their number has no bound, intake's
        // transaction must stay short
        let alert = kotapintar_domain::job::Job::AreaAlert(kotapintar_domain::job::AreaAlert {
            request_id: m.id,
        });
        crate::jobs::enqueue(tx, &alert, Utc::now()).await?;
    }
    if let Some(phone) = &m.reporter_phone {
        notices::message(
            tx,
            phone,
            &format!("kotapintar: laporan {} diterima. {}", m.tracking_code, link),
        )
        .await?;
    }
    // Kominfo's routing rules dispatch at once what they match: after the reporter's receipt,
    // as the desk's own steps would follow it
    by_rule::route(tx, &m, &s.rules, &s.calendar).await?;
    Ok(m)
}

/// Writes the files of photos staff add to request `id` (a follow-up, the result of a repair),
/// as the rows to insert and the files to remove if the transaction that inserts them fails.
/// Bounded as the API's attach is: the reporter's photos and as many again; refused before
/// the disk is full, not after (KOTAPINTAR_MIN_FREE_MB). `field` is the form's or the API's
/// name for the photos, for the error.
pub(super) async fn write_staff_photos(
    store: &Store,
    uploads: &Path,
    id: i64,
    photos: &[PhotoFile],
    field: &str,
) -> Result<(Vec<request_photo::ActiveModel>, PendingFiles)> {
    let existing = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(id))
        .count(&store.reader)
        .await?;
    if existing as usize + photos.len() > crate::drafts::MAX_PHOTOS * 2 {
        return Err(StorageError::field(field, "too_many_photos"));
    }
    let bytes: usize = photos
        .iter()
        .map(|p| p.bytes.len() + p.thumbnail.len())
        .sum();
    crate::space::check_upload(store, uploads, bytes as u64)?;
    let mut pending = PendingFiles(Vec::new());
    let rows = write_photo_files(uploads, Utc::now(), photos, existing as i32, &mut pending)?;
    Ok((rows, pending))
}

/// Adds photos to a request its handling unit is working on (e.g. the repair done). Files
/// are removed again if the database part fails.
pub async fn attach_photos(
    store: &Store,
    uploads: &Path,
    actor: &Actor,
    id: RequestId,
    photos: Vec<PhotoFile>,
) -> Result<usize> {
    let id = id.0;
    let row = request::Entity::find_by_id(id)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let handling = handling_units(&store.reader, id).await?;
    if !actor.can_work_on(&handling) {
        return Err(refusal(&row, actor, &handling));
    }
    let (rows, pending) = write_staff_photos(store, uploads, id, &photos, "photo").await?;
    let tx = store.writer.begin().await?;
    for mut p in rows {
        p.request_id = Set(id);
        p.insert(&tx).await?;
    }
    let status = status_of(&row.status)?;
    let note = format!("{} foto ditambahkan", photos.len());
    add_event(
        &tx,
        &row,
        actor.username.as_str(),
        (actor.user_id.0 > 0).then_some(actor.user_id.0),
        RequestStep::Attach,
        Some(status),
        status,
        Some(&note),
        true,
        actor.units().find(|u| handling.contains(u)).map(|u| u.0),
    )
    .await?;
    audit::append(
        &tx,
        &actor.into(),
        Change::new("request.attach", "request", id)
            .after(&serde_json::json!({ "photos": photos.len() })),
    )
    .await?;
    tx.commit().await?;
    pending.keep();
    Ok(photos.len())
}
