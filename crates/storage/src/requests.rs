//! Requests (laporan): intake, the workflow steps, the reporter's own actions, the public and
//! staff views, and the periodic sweep (escalation, automatic closing, retention).

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    region, request, request_event, request_photo, request_support, request_unit, service, survey,
    unit, user_role,
};
use crate::{notices, Result, StorageError, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::ids::{UnitId, UserId};
use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::policy::Actor;
use kotapintar_domain::privacy::{
    self, EventRecord, PublicRequest, PublicText, ReporterContact, RequestRecord,
};
use kotapintar_domain::request::{
    next_status, tracking_code, RejectReason, RequestKind, RequestRules, Status, Step,
};
use kotapintar_domain::service::{check_answers, Question};
use kotapintar_domain::working_days::Calendar;
use kotapintar_domain::FieldErrors;
use rand::RngCore;
use sea_orm::sea_query::{Expr, Func, OnConflict, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A cleaned photo ready to be kept (see `media::clean_photo`).
pub struct PhotoFile {
    pub extension: &'static str,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub struct Submitted {
    pub id: i64,
    pub code: String,
    /// The secret of the reporter's follow-up link; only its hash is stored.
    pub token: String,
}

fn parse_status(s: &str) -> Status {
    Status::parse(s).unwrap_or(Status::Diterima)
}

pub fn follow_link(rules: &RequestRules, code: &str, token: &str) -> String {
    format!(
        "{}/laporan/{code}/ikuti/{token}",
        rules.public_url.trim_end_matches('/')
    )
}

pub fn public_link(rules: &RequestRules, code: &str) -> String {
    format!("{}/laporan/{code}", rules.public_url.trim_end_matches('/'))
}

fn staff_link(rules: &RequestRules, id: i64) -> String {
    format!(
        "{}/staf/laporan/{id}",
        rules.public_url.trim_end_matches('/')
    )
}

/// The names of a request's kecamatan and desa, copied into the request at intake: area names
/// do not change, and public pages then need no lookup for them.
#[derive(Default)]
struct AreaNames {
    district: Option<String>,
    village: Option<String>,
}

/// Checks what only the database can tell: the service, its questions, the areas.
async fn check_against_data(
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
                    let questions: Vec<Question> =
                        serde_json::from_str(&s.questions_json).unwrap_or_default();
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
struct PendingFiles(Vec<PathBuf>);

impl PendingFiles {
    fn keep(mut self) {
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
fn write_photo_files(
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
        .map_err(|e| StorageError::Other(format!("cannot create {}: {e}", dir.display())))?;
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
            std::fs::write(path, bytes).map_err(|e| {
                StorageError::Other(format!("cannot write {}: {e}", path.display()))
            })?;
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
        ..Default::default()
    };
    set_public_text(&mut row, public);
    let submission = Submission {
        row,
        photos: stored_photos,
        year: now.format("%Y").to_string().parse().unwrap_or(2026),
        token: token.clone(),
        rules: rules.clone(),
        calendar: calendar.clone(),
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
        id: m.id,
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
}

/// The queue of residents' submissions (see [`crate::group_commit`]).
pub(crate) type IntakeQueue = crate::group_commit::GroupCommit<Submission, request::Model>;

/// At most this many submissions in one transaction.
const INTAKE_BATCH: usize = 64;

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
async fn write_submissions(
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

/// The statements of one submission, in the caller's transaction.
async fn write_submission(tx: &DatabaseTransaction, s: &Submission) -> Result<request::Model> {
    let mut inserted = None;
    for _ in 0..8 {
        let mut random = [0u8; 5];
        rand::thread_rng().fill_bytes(&mut random);
        let code = tracking_code(&s.rules.tracking_prefix, s.year, random);
        let mut row = s.row.clone();
        row.tracking_code = Set(code);
        // A (rare) duplicate code inserts nothing instead of failing, so the transaction
        // goes on with another code (no savepoint: two statements fewer on the intake path).
        let res = request::Entity::insert(row)
            .on_conflict(
                OnConflict::column(request::Column::TrackingCode)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning(tx)
            .await;
        match res {
            Ok(m) => {
                inserted = Some(m);
                break;
            }
            // what sea-orm answers when the RETURNING of a "do nothing" insert is empty
            Err(DbErr::RecordNotFound(_) | DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let m = inserted
        .ok_or_else(|| StorageError::Other("could not find a free tracking code".into()))?;
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
        Step::Comment,
        None,
        Status::Diterima,
        None,
        false,
        None,
        Some("submit"),
    )
    .await?;
    crate::performance::record_new(tx, &m, &s.calendar, s.rules.utc_offset).await?;
    let link = follow_link(&s.rules, &m.tracking_code, &s.token);
    if let Some(email) = &m.reporter_email {
        let (subject, body) = notices::received(&m.tracking_code, &link);
        notices::email(tx, email, &subject, &body).await?;
    }
    if let Some(phone) = &m.reporter_phone {
        notices::message(
            tx,
            phone,
            &format!("kotapintar: laporan {} diterima. {}", m.tracking_code, link),
        )
        .await?;
    }
    Ok(m)
}

/// Writes one timeline entry, and the same step to the event outbox (in the caller's
/// transaction). The outbox carries no personal data and only public notes.
#[allow(clippy::too_many_arguments)]
async fn add_event(
    db: &impl ConnectionTrait,
    row: &request::Model,
    actor: &str,
    actor_user_id: Option<i64>,
    step: Step,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
    note_public: bool,
    unit_id: Option<i64>,
    step_name: Option<&str>,
) -> Result<()> {
    let request_id = row.id;
    let public_note =
        privacy::public_note(note, note_public, &names_of(row.reporter_name.as_deref()));
    request_event::ActiveModel {
        request_id: Set(request_id),
        at: Set(Utc::now()),
        actor: Set(actor.into()),
        actor_user_id: Set(actor_user_id),
        step: Set(step_name.unwrap_or(step.as_str()).into()),
        from_status: Set(from.map(|s| s.as_str().into())),
        to_status: Set(to.as_str().into()),
        note: Set(note.map(str::to_string)),
        note_public: Set(note_public),
        unit_id: Set(unit_id),
        public_note: Set(public_note.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let step_name = step_name.unwrap_or(step.as_str());
    // a request just filed has no units yet: spare the intake path a query
    let units = if step_name == "submit" {
        Vec::new()
    } else {
        handling_units(db, request_id).await?
    };
    let kind = if step_name == "submit" {
        "request.created".to_string()
    } else {
        format!("request.{step_name}")
    };
    crate::events::append(
        db,
        &kind,
        "request",
        &row.tracking_code,
        &units,
        row.confidential,
        &serde_json::json!({
            "tracking_code": row.tracking_code,
            "kind": row.kind,
            "step": step_name,
            "from_status": from.map(|s| s.as_str()),
            "status": to.as_str(),
            // the public copy: unit applications and webhook receivers are outside parties
            "note": public_note,
            "units": units.iter().map(|u| u.0).collect::<Vec<_>>(),
            "confidential": row.confidential,
        }),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reading

/// Builds full records for a batch of rows with a fixed number of queries.
async fn records(
    db: &impl ConnectionTrait,
    rows: Vec<request::Model>,
) -> Result<Vec<RequestRecord>> {
    let service_ids: Vec<i64> = rows.iter().filter_map(|r| r.service_id).collect();
    let services: HashMap<i64, (String, String)> = if service_ids.is_empty() {
        HashMap::new()
    } else {
        service::Entity::find()
            .filter(service::Column::Id.is_in(service_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, (s.code, s.name)))
            .collect()
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let s = r.service_id.and_then(|id| services.get(&id).cloned());
            (r, s)
        })
        .collect();
    records_with_services(db, rows).await
}

/// The units holding each request (names, in the order they took it) and its photos (ids,
/// in order), in one statement: the two lists joined with `UNION ALL` and told apart by
/// their first column. Every list and page of requests reads these, and on SQLite each
/// statement is a hand-off to the connection's thread and back.
async fn holders_and_photos(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<(HashMap<i64, Vec<String>>, HashMap<i64, Vec<i64>>)> {
    use sea_orm::sea_query::{Query, UnionType};
    let mut unit_names: HashMap<i64, Vec<String>> = HashMap::new();
    let mut photos: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok((unit_names, photos));
    }
    // (what: 0 a holder, 1 a photo; request; unit name; photo id; order)
    let holders = Query::select()
        .expr(Expr::cust("0"))
        .column((request_unit::Entity, request_unit::Column::RequestId))
        .column((unit::Entity, unit::Column::Name))
        .expr(Expr::cust("NULL"))
        .column((request_unit::Entity, request_unit::Column::Id))
        .from(request_unit::Entity)
        .inner_join(
            unit::Entity,
            Expr::col((unit::Entity, unit::Column::Id))
                .equals((request_unit::Entity, request_unit::Column::UnitId)),
        )
        .and_where(request_unit::Column::RequestId.is_in(ids.clone()))
        .and_where(request_unit::Column::Active.eq(true))
        .to_owned();
    let mut both = Query::select()
        .expr(Expr::cust("1"))
        .column((request_photo::Entity, request_photo::Column::RequestId))
        .expr(Expr::cust("NULL"))
        .column((request_photo::Entity, request_photo::Column::Id))
        .column((request_photo::Entity, request_photo::Column::Position))
        .from(request_photo::Entity)
        .and_where(request_photo::Column::RequestId.is_in(ids))
        .to_owned();
    // by the fifth column: a holder's disposition id, a photo's position
    both.union(UnionType::All, holders)
        .order_by_expr(Expr::cust("5"), sea_orm::Order::Asc);
    let stmt = db.get_database_backend().build(&both);
    for row in db.query_all(stmt).await? {
        let what: i32 = row.try_get_by_index(0)?;
        let request_id: i64 = row.try_get_by_index(1)?;
        if what == 0 {
            let name: String = row.try_get_by_index(2)?;
            unit_names.entry(request_id).or_default().push(name);
        } else {
            let photo: i64 = row.try_get_by_index(3)?;
            photos.entry(request_id).or_default().push(photo);
        }
    }
    Ok((unit_names, photos))
}

/// `records`, for rows read with their service's code and name.
async fn records_with_services(
    db: &impl ConnectionTrait,
    rows: Vec<(request::Model, Option<(String, String)>)>,
) -> Result<Vec<RequestRecord>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let (mut unit_names, mut photos) = holders_and_photos(db, ids).await?;
    Ok(rows
        .into_iter()
        .map(|(r, service)| RequestRecord {
            id: r.id,
            tracking_code: r.tracking_code,
            kind: RequestKind::parse(&r.kind).unwrap_or(RequestKind::Pengaduan),
            service_code: service.as_ref().map(|(code, _)| code.clone()),
            service_name: service.map(|(_, name)| name),
            title: r.title,
            description: r.description,
            status: parse_status(&r.status),
            location_address: r.location_address,
            latitude: r.latitude,
            longitude: r.longitude,
            district_name: r.district_name,
            village_name: r.village_name,
            anonymous: r.anonymous,
            confidential: r.confidential,
            contact: ReporterContact {
                name: r.reporter_name,
                email: r.reporter_email,
                phone: r.reporter_phone,
            },
            received_at: r.received_at,
            due_at: r.stage_due_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            updated_at: r.updated_at,
            response: r.response,
            public: PublicText {
                title: r.public_title,
                description: r.public_description,
                location_address: r.public_location_address,
                response: r.public_response,
            },
            support_count: r.support_count,
            unit_names: unit_names.remove(&r.id).unwrap_or_default(),
            photo_ids: photos.remove(&r.id).unwrap_or_default(),
        })
        .collect())
}

async fn find_row_by_code(db: &impl ConnectionTrait, code: &str) -> Result<request::Model> {
    request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code))
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)
}

async fn events_of(
    db: &impl ConnectionTrait,
    request_id: i64,
) -> Result<Vec<(request_event::Model, Option<String>)>> {
    events_of_many(db, vec![request_id]).await
}

/// The timelines of several requests in one query, each in order, with the unit of each
/// step.
async fn events_of_many(
    db: &impl ConnectionTrait,
    request_ids: Vec<i64>,
) -> Result<Vec<(request_event::Model, Option<String>)>> {
    Ok(request_event::Entity::find()
        .filter(request_event::Column::RequestId.is_in(request_ids))
        .order_by_asc(request_event::Column::Id)
        .find_also_related(unit::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(e, u)| (e, u.map(|u| u.name)))
        .collect())
}

fn event_records(events: &[(request_event::Model, Option<String>)]) -> Vec<EventRecord> {
    events
        .iter()
        .map(|(e, unit_name)| EventRecord {
            id: e.id,
            at: e.at,
            step: e.step.clone(),
            to_status: parse_status(&e.to_status),
            note: e.note.clone(),
            note_public: e.note_public,
            public_note: e.public_note.clone(),
            unit_name: unit_name.clone(),
        })
        .collect()
}

/// The public page of a request: `None` when it does not exist or is `rahasia` (the two
/// are indistinguishable from outside, on purpose).
pub async fn public_by_code(store: &Store, code: &str) -> Result<Option<PublicRequest>> {
    // the busiest public page: its service comes in the same query
    let Some((row, service)) = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code))
        .find_also_related(service::Entity)
        .one(&store.reader)
        .await?
    else {
        return Ok(None);
    };
    if row.confidential {
        return Ok(None);
    }
    let events = events_of(&store.reader, row.id).await?;
    let rec = records_with_services(
        &store.reader,
        vec![(row, service.map(|s| (s.code, s.name)))],
    )
    .await?
    .remove(0);
    Ok(privacy::publish(&rec, &event_records(&events)))
}

#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub status: Option<Status>,
    pub kind: Option<RequestKind>,
    pub district_code: Option<String>,
    pub text: Option<String>,
    /// Only these tracking codes (Open311 `service_request_id`); empty: any.
    pub codes: Vec<String>,
    /// Only these services, by code; empty: any.
    pub service_codes: Vec<String>,
    /// Any of these statuses; empty: any (`status` above narrows further).
    pub statuses: Vec<Status>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Load each request's public timeline too (one more query per page), for feeds that
    /// show the latest public note.
    pub with_timeline: bool,
    /// Only requests a unit holds now (by its slug): the unit a performance figure counts.
    pub unit_slug: Option<String>,
    /// Only requests that reached a stage between two local dates, as the performance
    /// figures count them (see `kotapintar_domain::performance`).
    pub stage: Option<(FigureStage, String, String)>,
    /// Only requests overdue at this moment.
    pub overdue_at: Option<DateTime<Utc>>,
}

/// The stages the performance figures count, by the date they happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureStage {
    Received,
    Verified,
    Resolved,
    Rejected,
}

impl FigureStage {
    /// From the public list's `tahap=` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "diterima" => Some(Self::Received),
            "diverifikasi" => Some(Self::Verified),
            "selesai" => Some(Self::Resolved),
            "ditolak" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// The public keyword filter: on the stored public text only, never on what was typed
/// (see `privacy::PublicText`).
fn text_condition(text: &str) -> Condition {
    let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
    Condition::any()
        .add(Expr::expr(Func::lower(Expr::col(request::Column::PublicTitle))).like(pattern.clone()))
        .add(Expr::expr(Func::lower(Expr::col(request::Column::PublicDescription))).like(pattern))
        .add(request::Column::TrackingCode.eq(text.trim().to_uppercase()))
}

/// A page of the public list (newest first) and the total number of matches. Confidential
/// requests are excluded in the query itself.
pub async fn public_list(
    store: &Store,
    f: &PublicFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<PublicRequest>, u64)> {
    let mut q = request::Entity::find().filter(request::Column::Confidential.eq(false));
    if let Some(s) = f.status {
        q = q.filter(request::Column::Status.eq(s.as_str()));
    }
    if let Some(k) = f.kind {
        q = q.filter(request::Column::Kind.eq(k.as_str()));
    }
    if let Some(d) = &f.district_code {
        q = q.filter(request::Column::DistrictCode.eq(d.as_str()));
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        q = q.filter(text_condition(t));
    }
    if !f.codes.is_empty() {
        q = q.filter(request::Column::TrackingCode.is_in(f.codes.clone()));
    }
    if !f.service_codes.is_empty() {
        let ids: Vec<i64> = service::Entity::find()
            .filter(service::Column::Code.is_in(f.service_codes.clone()))
            .all(&store.reader)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        q = q.filter(request::Column::ServiceId.is_in(ids));
    }
    if !f.statuses.is_empty() {
        q = q.filter(request::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(t) = f.received_from {
        q = q.filter(request::Column::ReceivedAt.gte(t));
    }
    if let Some(t) = f.received_to {
        q = q.filter(request::Column::ReceivedAt.lte(t));
    }
    if let Some(t) = f.updated_from {
        q = q.filter(request::Column::UpdatedAt.gte(t));
    }
    if let Some(t) = f.updated_to {
        q = q.filter(request::Column::UpdatedAt.lte(t));
    }
    if let Some(slug) = &f.unit_slug {
        let unit_id = unit::Entity::find()
            .filter(unit::Column::Slug.eq(slug.as_str()))
            .one(&store.reader)
            .await?
            .map_or(-1, |u| u.id);
        q = q.filter(
            request::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(request_unit::Column::RequestId)
                    .from(request_unit::Entity)
                    .and_where(request_unit::Column::UnitId.eq(unit_id))
                    .and_where(request_unit::Column::Active.eq(true))
                    .to_owned(),
            ),
        );
    }
    if let Some((stage, from, to)) = &f.stage {
        use crate::entity::request_fact;
        let col = match stage {
            FigureStage::Received => request_fact::Column::ReceivedOn,
            FigureStage::Verified => request_fact::Column::VerifiedOn,
            FigureStage::Resolved => request_fact::Column::ResolvedOn,
            FigureStage::Rejected => request_fact::Column::RejectedOn,
        };
        q = q.filter(
            request::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(request_fact::Column::RequestId)
                    .from(request_fact::Entity)
                    .and_where(col.between(from.as_str(), to.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(now) = f.overdue_at {
        let open: Vec<&str> = Status::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect();
        q = q
            .filter(request::Column::Status.is_in(open))
            .filter(request::Column::StageDueAt.lt(now));
    }
    let total = q.clone().count(&store.reader).await?;
    let rows = q
        .order_by_desc(request::Column::ReceivedAt)
        .order_by_desc(request::Column::Id)
        .offset(page * per_page)
        .limit(per_page)
        .all(&store.reader)
        .await?;
    let mut timelines: HashMap<i64, Vec<EventRecord>> = HashMap::new();
    if f.with_timeline && !rows.is_empty() {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for (e, unit_name) in events_of_many(&store.reader, ids).await? {
            timelines
                .entry(e.request_id)
                .or_default()
                .extend(event_records(&[(e, unit_name)]));
        }
    }
    let recs = records(&store.reader, rows).await?;
    Ok((
        recs.iter()
            .filter_map(|r| {
                privacy::publish(r, timelines.get(&r.id).map(Vec::as_slice).unwrap_or(&[]))
            })
            .collect(),
        total,
    ))
}

/// Open, public requests near a place or with similar words, for "saya juga" before filing
/// a duplicate. Scored by shared words (4 letters or more) in title and description.
pub async fn similar_open(
    store: &Store,
    text: &str,
    lat: Option<f64>,
    lon: Option<f64>,
    district: Option<&str>,
) -> Result<Vec<PublicRequest>> {
    let words = significant_words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let mut q = request::Entity::find()
        .filter(request::Column::Confidential.eq(false))
        .filter(request::Column::Status.is_in(open))
        .filter(request::Column::ReceivedAt.gt(Utc::now() - Duration::days(180)));
    let mut near = Condition::any();
    if let (Some(lat), Some(lon)) = (lat, lon) {
        // about 700 m around the point
        near = near.add(
            Condition::all()
                .add(request::Column::Latitude.between(lat - 0.0065, lat + 0.0065))
                .add(request::Column::Longitude.between(lon - 0.0065, lon + 0.0065)),
        );
    }
    if let Some(d) = district {
        near = near.add(request::Column::DistrictCode.eq(d));
    }
    if lat.is_some() || district.is_some() {
        q = q.filter(near);
    }
    let rows = q
        .order_by_desc(request::Column::ReceivedAt)
        .limit(300)
        .all(&store.reader)
        .await?;
    let mut scored: Vec<(f64, request::Model)> = rows
        .into_iter()
        .filter_map(|r| {
            // the public text only: what is offered to a stranger may not depend on raw text
            let theirs = significant_words(&format!("{} {}", r.public_title, r.public_description));
            let shared = words.iter().filter(|w| theirs.contains(*w)).count();
            let score = shared as f64 / words.len().min(theirs.len().max(1)) as f64;
            (shared >= 2 || (shared >= 1 && score >= 0.5)).then_some((score, r))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let rows: Vec<request::Model> = scored.into_iter().take(5).map(|(_, r)| r).collect();
    let recs = records(&store.reader, rows).await?;
    Ok(recs
        .iter()
        .filter_map(|r| privacy::publish(r, &[]))
        .collect())
}

const STOPWORDS: &[&str] = &[
    "yang", "dengan", "untuk", "dari", "pada", "sudah", "belum", "tidak", "akan", "juga", "sejak",
    "karena", "saya", "kami", "mohon", "tolong", "segera", "sangat", "sekali", "dalam", "atau",
    "this", "that", "with", "from", "have", "there",
];

fn significant_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= 4 && !STOPWORDS.contains(&w.as_str()))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// "Saya juga": counts one support per supporter (a hash of a device cookie). Returns
/// whether this one was new.
pub async fn support(store: &Store, code: &str, supporter: &str) -> Result<bool> {
    let tx = store.writer.begin().await?;
    let row = find_row_by_code(&tx, code).await?;
    if row.confidential || !parse_status(&row.status).is_open() {
        return Err(StorageError::NotFound);
    }
    let res = request_support::ActiveModel {
        request_id: Set(row.id),
        supporter_hash: Set(hash_token(supporter)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await;
    match res {
        Ok(_) => {
            request::Entity::update_many()
                .col_expr(
                    request::Column::SupportCount,
                    Expr::col(request::Column::SupportCount).add(1),
                )
                .filter(request::Column::Id.eq(row.id))
                .exec(&tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        }
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// A photo's file, for serving. Photos of confidential requests are served to staff only
/// (`staff_may_see`), never to the public.
pub async fn photo(
    store: &Store,
    id: i64,
    thumb: bool,
    staff: Option<&Actor>,
) -> Result<(String, String)> {
    let p = request_photo::Entity::find_by_id(id)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let r = request::Entity::find_by_id(p.request_id)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    if r.confidential {
        let handling = handling_units(&store.reader, r.id).await?;
        if !staff.is_some_and(|a| a.can_view_request(&handling)) {
            return Err(StorageError::NotFound);
        }
    }
    Ok((
        if thumb { "image/jpeg".into() } else { p.mime },
        if thumb { p.thumb_name } else { p.file_name },
    ))
}

// ---------------------------------------------------------------------------------------
// Staff side

async fn handling_units(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<UnitId>> {
    Ok(request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(request_id))
        .filter(request_unit::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|d| UnitId(d.unit_id))
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub status: Option<Status>,
    pub overdue: bool,
    pub service_id: Option<i64>,
    pub district_code: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub text: Option<String>,
    /// Only the ones assigned to this officer.
    pub assigned_to: Option<i64>,
    /// Restrict to one unit (a desk member or admin looking at a unit's queue).
    pub unit_id: Option<i64>,
    /// Cursor paging (newest first): only requests with a smaller id.
    pub before_id: Option<i64>,
}

pub struct InboxRow {
    pub record: RequestRecord,
    pub overdue: bool,
}

/// From how many requests a unit's list is paged along the date index (see `inbox`).
const WALK_DATE_INDEX_FROM: u64 = 2_000;

/// The requests this staff member may work on or watch, newest first, with filters.
pub async fn inbox(
    store: &Store,
    actor: &Actor,
    f: &InboxFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<InboxRow>, u64)> {
    let now = Utc::now();
    let sees_all = actor.can_triage() || actor.has_role(kotapintar_domain::user::Role::Leader);
    let mut q = request::Entity::find();
    let mut unit_scope: Option<Vec<i64>> = if sees_all {
        None
    } else {
        Some(actor.request_units().map(|u| u.0).collect())
    };
    if let Some(u) = f.unit_id {
        unit_scope = Some(match unit_scope {
            Some(s) if !s.contains(&u) => vec![],
            _ => vec![u],
        });
    }
    let mut dispositions = None;
    if unit_scope.is_some() || f.assigned_to.is_some() {
        let mut sub = request_unit::Entity::find().filter(request_unit::Column::Active.eq(true));
        if let Some(units) = &unit_scope {
            sub = sub.filter(request_unit::Column::UnitId.is_in(units.clone()));
        }
        if let Some(officer) = f.assigned_to {
            sub = sub.filter(request_unit::Column::OfficerId.eq(officer));
        }
        dispositions = Some(sub);
    }
    let mut narrowed = false;
    if let Some(s) = f.status {
        q = q.filter(request::Column::Status.eq(s.as_str()));
        narrowed = true;
    }
    if f.overdue {
        let open: Vec<&str> = Status::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect();
        q = q
            .filter(request::Column::Status.is_in(open))
            .filter(request::Column::StageDueAt.lt(now));
        narrowed = true;
    }
    if let Some(s) = f.service_id {
        q = q.filter(request::Column::ServiceId.eq(s));
        narrowed = true;
    }
    if let Some(d) = &f.district_code {
        q = q.filter(request::Column::DistrictCode.eq(d.as_str()));
        narrowed = true;
    }
    if let Some(t) = f.from {
        q = q.filter(request::Column::ReceivedAt.gte(t));
        narrowed = true;
    }
    if let Some(t) = f.to {
        q = q.filter(request::Column::ReceivedAt.lt(t));
        narrowed = true;
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        q = q.filter(text_condition(t));
        narrowed = true;
    }
    let held = |sub: &sea_orm::Select<request_unit::Entity>| {
        sea_orm::QueryTrait::into_query(
            sub.clone()
                .select_only()
                .column(request_unit::Column::RequestId),
        )
    };
    // A unit's whole inbox (what its application pages through) is counted from the
    // dispositions' index alone, without reading each request's row.
    let total = match &dispositions {
        Some(sub) if !narrowed => sub
            .clone()
            .select_only()
            .column_as(
                SimpleExpr::from(Func::count_distinct(Expr::col(
                    request_unit::Column::RequestId,
                ))),
                "n",
            )
            .into_tuple::<i64>()
            .one(&store.reader)
            .await?
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)),
        Some(sub) => {
            q.clone()
                .filter(request::Column::Id.in_subquery(held(sub)))
                .count(&store.reader)
                .await?
        }
        None => q.clone().count(&store.reader).await?,
    };
    if let Some(sub) = &dispositions {
        // Two ways to find a page of a unit's requests, newest first: from its dispositions
        // (each request's row read for its date, then sorted), or along the date index,
        // keeping the unit's. The first suits a unit holding a few requests, the second one
        // holding thousands. The unary `+` (an expression, no longer the bare id column)
        // keeps both SQLite and PostgreSQL from driving the search from the dispositions.
        let id = if total > WALK_DATE_INDEX_FROM && f.before_id.is_none() {
            Expr::expr(Expr::cust("+requests.id"))
        } else {
            Expr::col((request::Entity, request::Column::Id))
        };
        q = q.filter(id.in_subquery(held(sub)));
    }
    // The page is chosen by sorting ids and dates only, then only its rows are read: sorting
    // whole rows (descriptions, answers) cost ten times more.
    let page_ids = match f.before_id {
        // cursor paging: stable under new arrivals, by id
        Some(before) => q
            .filter(request::Column::Id.lt(before))
            .order_by_desc(request::Column::Id),
        None => q
            .order_by_desc(request::Column::ReceivedAt)
            .order_by_desc(request::Column::Id)
            .offset(page * per_page),
    };
    let ids: Vec<i64> = page_ids
        .select_only()
        .column(request::Column::Id)
        .limit(per_page)
        .into_tuple()
        .all(&store.reader)
        .await?;
    let mut rows: HashMap<i64, request::Model> = request::Entity::find()
        .filter(request::Column::Id.is_in(ids.clone()))
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let rows: Vec<request::Model> = ids.iter().filter_map(|id| rows.remove(id)).collect();
    let recs = records(&store.reader, rows).await?;
    Ok((
        recs.into_iter()
            .map(|record| {
                let overdue = record.status.is_open() && record.due_at.is_some_and(|d| d < now);
                InboxRow { record, overdue }
            })
            .collect(),
        total,
    ))
}

/// A timeline entry as staff see it: who did it, internal notes included.
#[derive(Debug, Clone)]
pub struct StaffEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub to_status: Status,
    pub note: Option<String>,
    pub note_public: bool,
    pub unit_name: Option<String>,
}

pub struct StaffView {
    pub record: RequestRecord,
    pub events: Vec<StaffEvent>,
    pub handling: Vec<(UnitId, String, Option<i64>)>,
    pub answers: Vec<(String, String)>,
    /// Whether this viewer may see the contact (the record's contact is blanked otherwise).
    pub contact_visible: bool,
    pub reject_reason: Option<String>,
}

/// One request for a staff member, if they may see it. The reporter's contact is included
/// only if they may see it, and that view is audited.
pub async fn staff_view(store: &Store, actor: &Actor, id: i64) -> Result<StaffView> {
    let row = request::Entity::find_by_id(id)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let handling_rows = request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(id))
        .filter(request_unit::Column::Active.eq(true))
        .all(&store.reader)
        .await?;
    let handling_ids: Vec<UnitId> = handling_rows.iter().map(|d| UnitId(d.unit_id)).collect();
    if !actor.can_view_request(&handling_ids) {
        return Err(refusal(&row, actor, &handling_ids));
    }
    let unit_names: HashMap<i64, String> = unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let handling = handling_rows
        .iter()
        .map(|d| {
            (
                UnitId(d.unit_id),
                unit_names.get(&d.unit_id).cloned().unwrap_or_default(),
                d.officer_id,
            )
        })
        .collect();
    let answers: Vec<(String, String)> =
        serde_json::from_str(&row.answers_json).unwrap_or_default();
    let reject_reason = row.reject_reason.clone();
    let anonymous = row.anonymous;
    let has_contact =
        row.reporter_name.is_some() || row.reporter_email.is_some() || row.reporter_phone.is_some();
    let events = events_of(&store.reader, id).await?;
    let mut record = records(&store.reader, vec![row]).await?.remove(0);
    let contact_visible = actor.can_see_contact(&handling_ids, anonymous);
    if contact_visible && has_contact {
        audit::append(
            &store.writer,
            &actor.into(),
            Change::new("request.view_contact", "request", id),
        )
        .await?;
    } else {
        record.contact = ReporterContact::default();
    }
    Ok(StaffView {
        record,
        events: events
            .into_iter()
            .map(|(e, unit_name)| StaffEvent {
                at: e.at,
                actor: e.actor,
                step: e.step,
                to_status: parse_status(&e.to_status),
                note: e.note,
                note_public: e.note_public,
                unit_name,
            })
            .collect(),
        handling,
        answers,
        contact_visible,
        reject_reason,
    })
}

/// A step taken by staff.
#[derive(Debug, Clone)]
pub enum StaffAction {
    Verify {
        note: Option<String>,
    },
    Reject {
        reason: RejectReason,
        note: String,
        duplicate_of: Option<String>,
    },
    Dispatch {
        units: Vec<UnitId>,
        note: Option<String>,
    },
    Forward {
        to: UnitId,
        reason: String,
    },
    StartWork {
        note: Option<String>,
    },
    Resolve {
        response: String,
    },
    Comment {
        note: String,
        public: bool,
    },
    Assign {
        officer: UserId,
    },
}

impl StaffAction {
    fn step(&self) -> Step {
        match self {
            Self::Verify { .. } => Step::Verify,
            Self::Reject { .. } => Step::Reject,
            Self::Dispatch { .. } => Step::Dispatch,
            Self::Forward { .. } => Step::Forward,
            Self::StartWork { .. } => Step::StartWork,
            Self::Resolve { .. } => Step::Resolve,
            Self::Comment { .. } | Self::Assign { .. } => Step::Comment,
        }
    }
}

async fn unit_row(db: &impl ConnectionTrait, id: UnitId) -> Result<unit::Model> {
    unit::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::field("units", "unknown_unit"))
}

/// Applies a staff step: checks who may, checks the workflow, updates deadlines, writes the
/// timeline entry, the audit entry and the notifications, all in one transaction.
pub async fn act(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    id: i64,
    action: StaffAction,
) -> Result<Status> {
    let tx = store.writer.begin().await?;
    let row = request::Entity::find_by_id(id)
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let handling = handling_units(&tx, id).await?;
    let allowed = match &action {
        StaffAction::Verify { .. } | StaffAction::Reject { .. } | StaffAction::Dispatch { .. } => {
            actor.can_triage()
        }
        StaffAction::Comment { .. } => actor.can_triage() || actor.can_work_on(&handling),
        _ => actor.can_work_on(&handling),
    };
    if !allowed {
        return Err(refusal(&row, actor, &handling));
    }
    let from = parse_status(&row.status);
    let to = next_status(from, action.step()).map_err(|e| StorageError::Conflict(e.to_string()))?;
    let now = Utc::now();
    let before = serde_json::json!({ "status": from.as_str() });
    let mut m: request::ActiveModel = row.clone().into();
    m.status = Set(to.as_str().into());
    m.updated_at = Set(now);
    let note: Option<String>;
    let mut note_public = true;
    let mut event_unit = actor.units().find(|u| handling.contains(u)).map(|u| u.0);
    let mut notify_units: Vec<(unit::Model, &str, &str)> = Vec::new();
    match &action {
        StaffAction::Verify { note: n } => {
            note = n.clone();
            note_public = false;
        }
        StaffAction::Reject {
            reason,
            note: n,
            duplicate_of,
        } => {
            if n.trim().is_empty() {
                return Err(StorageError::field("note", "required"));
            }
            m.reject_reason = Set(Some(reason.as_str().into()));
            m.closed_at = Set(Some(now));
            m.stage_due_at = Set(None);
            if *reason == RejectReason::Duplicate {
                let other = match duplicate_of
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(code) => find_row_by_code(&tx, &code.to_uppercase()).await.ok(),
                    None => None,
                };
                match other {
                    Some(o) if o.id != id => m.duplicate_of = Set(Some(o.id)),
                    _ => return Err(StorageError::field("duplicate_of", "unknown_request")),
                }
            }
            note = Some(n.clone());
        }
        StaffAction::Dispatch { units, note: n } => {
            if units.is_empty() {
                return Err(StorageError::field("units", "required"));
            }
            for u in units {
                let unit = unit_row(&tx, *u).await?;
                request_unit::ActiveModel {
                    request_id: Set(id),
                    unit_id: Set(u.0),
                    officer_id: Set(None),
                    active: Set(true),
                    dispatched_at: Set(now),
                    ..Default::default()
                }
                .insert(&tx)
                .await?;
                notify_units.push((
                    unit,
                    "Laporan baru untuk unit Anda",
                    "New request for your unit",
                ));
            }
            let resolve_days = match row.service_id {
                Some(s) => service::Entity::find_by_id(s)
                    .one(&tx)
                    .await?
                    .map(|s| s.time_limit_days.max(0) as u32),
                None => None,
            }
            .unwrap_or(rules.default_resolve_days);
            m.stage_due_at = Set(Some(calendar.due_at(
                now,
                rules.follow_up_days,
                rules.utc_offset,
            )));
            m.resolve_due_at = Set(Some(calendar.due_at(now, resolve_days, rules.utc_offset)));
            m.escalation_level = Set(0);
            note = n.clone();
            event_unit = units.first().map(|u| u.0);
        }
        StaffAction::Forward { to: target, reason } => {
            if reason.trim().is_empty() {
                return Err(StorageError::field("reason", "required"));
            }
            if handling.contains(target) {
                return Err(StorageError::field("to_unit", "already_handling"));
            }
            let unit = unit_row(&tx, *target).await?;
            // The forwarding unit hands over; the others (if several) keep theirs.
            let from_units: Vec<i64> = actor
                .units()
                .filter(|u| handling.contains(u))
                .map(|u| u.0)
                .collect();
            let mut upd = request_unit::Entity::update_many()
                .col_expr(request_unit::Column::Active, Expr::value(false))
                .filter(request_unit::Column::RequestId.eq(id));
            if !from_units.is_empty() {
                upd = upd.filter(request_unit::Column::UnitId.is_in(from_units));
            }
            upd.exec(&tx).await?;
            request_unit::ActiveModel {
                request_id: Set(id),
                unit_id: Set(target.0),
                officer_id: Set(None),
                active: Set(true),
                dispatched_at: Set(now),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
            m.stage_due_at = Set(Some(calendar.due_at(
                now,
                rules.follow_up_days,
                rules.utc_offset,
            )));
            m.escalation_level = Set(0);
            note = Some(format!("{} → {}: {reason}", "diteruskan", unit.name));
            notify_units.push((
                unit,
                "Laporan diteruskan ke unit Anda",
                "Request forwarded to your unit",
            ));
        }
        StaffAction::StartWork { note: n } => {
            m.stage_due_at = Set(row.resolve_due_at.or(Some(calendar.due_at(
                now,
                rules.default_resolve_days,
                rules.utc_offset,
            ))));
            note = n.clone();
        }
        StaffAction::Resolve { response } => {
            if response.trim().chars().count() < 10 {
                return Err(StorageError::field("response", "response_too_short"));
            }
            m.response = Set(Some(response.trim().into()));
            m.public_response = Set(Some(privacy::mask_names(
                response.trim(),
                &names_of(row.reporter_name.as_deref()),
            )));
            m.resolved_at = Set(Some(now));
            m.stage_due_at = Set(Some(calendar.due_at(
                now,
                rules.objection_days,
                rules.utc_offset,
            )));
            note = Some(response.trim().into());
        }
        StaffAction::Comment { note: n, public } => {
            if n.trim().is_empty() {
                return Err(StorageError::field("note", "required"));
            }
            note = Some(n.trim().into());
            note_public = *public;
        }
        StaffAction::Assign { officer } => {
            let roles = user_role::Entity::find()
                .filter(user_role::Column::UserId.eq(officer.0))
                .all(&tx)
                .await?;
            let unit = roles
                .iter()
                .filter_map(|r| r.unit_id)
                .find(|u| handling.contains(&UnitId(*u)));
            let Some(unit) = unit else {
                return Err(StorageError::field("officer", "officer_not_in_unit"));
            };
            request_unit::Entity::update_many()
                .col_expr(request_unit::Column::OfficerId, Expr::value(officer.0))
                .filter(request_unit::Column::RequestId.eq(id))
                .filter(request_unit::Column::UnitId.eq(unit))
                .filter(request_unit::Column::Active.eq(true))
                .exec(&tx)
                .await?;
            note = Some(format!("assigned to user {}", officer.0));
            note_public = false;
            event_unit = Some(unit);
        }
    }
    m.update(&tx).await?;
    let step_name = match &action {
        StaffAction::Assign { .. } => "assign",
        a => a.step().as_str(),
    };
    add_event(
        &tx,
        &row,
        actor.username.as_str(),
        (actor.user_id.0 > 0).then_some(actor.user_id.0),
        action.step(),
        Some(from),
        to,
        note.as_deref(),
        note_public,
        event_unit,
        Some(step_name),
    )
    .await?;
    if matches!(
        action,
        StaffAction::Verify { .. }
            | StaffAction::Reject { .. }
            | StaffAction::Dispatch { .. }
            | StaffAction::Forward { .. }
            | StaffAction::Resolve { .. }
    ) {
        crate::performance::refresh(&tx, id, calendar, rules.utc_offset).await?;
    }
    audit::append(
        &tx,
        &actor.into(),
        Change::new(&format!("request.{step_name}"), "request", id)
            .before(&before)
            .after(&serde_json::json!({ "status": to.as_str(), "note": note })),
    )
    .await?;
    if to != from || matches!(action, StaffAction::Comment { public: true, .. }) {
        if let Some(email) = &row.reporter_email {
            let public_note = note.as_deref().filter(|_| note_public);
            let (subject, body) = notices::status_changed(
                &row.tracking_code,
                to,
                public_note,
                &public_link(rules, &row.tracking_code),
            );
            notices::email(&tx, email, &subject, &body).await?;
        }
        if let (Some(phone), true) = (&row.reporter_phone, to != from) {
            notices::message(
                &tx,
                phone,
                &format!(
                    "kotapintar: laporan {} {}.",
                    row.tracking_code,
                    notices::status_label_id(to)
                ),
            )
            .await?;
        }
    }
    for (unit, what_id, what_en) in notify_units {
        if let Some(email) = unit.email {
            let (subject, body) = notices::to_unit(
                &row.tracking_code,
                what_id,
                what_en,
                &row.title,
                &staff_link(rules, id),
            );
            notices::email(&tx, &email, &subject, &body).await?;
        }
    }
    tx.commit().await?;
    Ok(to)
}

/// A batch step on several requests; each is applied on its own, and the result says which
/// succeeded, so one stale request does not undo the others.
pub async fn act_many(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    ids: &[i64],
    action: StaffAction,
) -> Vec<(i64, Result<Status>)> {
    let mut out = Vec::new();
    for id in ids {
        out.push((
            *id,
            act(store, rules, calendar, actor, *id, action.clone()).await,
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// The reporter, through the secret link

async fn by_token(db: &impl ConnectionTrait, code: &str, token: &str) -> Result<request::Model> {
    let row = find_row_by_code(db, code).await?;
    // constant-time comparison of the hashes
    let a = hash_token(token);
    let b = &row.reporter_token_hash;
    let same = a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0;
    if !same {
        return Err(StorageError::NotFound);
    }
    Ok(row)
}

pub struct ReporterView {
    pub record: RequestRecord,
    pub timeline: Vec<kotapintar_domain::privacy::PublicEvent>,
    pub survey_done: bool,
    pub erased: bool,
}

pub async fn reporter_view(store: &Store, code: &str, token: &str) -> Result<ReporterView> {
    let row = by_token(&store.reader, code, token).await?;
    let survey_done = survey::Entity::find()
        .filter(survey::Column::RequestId.eq(row.id))
        .count(&store.reader)
        .await?
        > 0;
    let erased = row.personal_data_erased_at.is_some();
    let events = events_of(&store.reader, row.id).await?;
    let record = records(&store.reader, vec![row]).await?.remove(0);
    // The reporter sees their own request as the public would (plus their data), even if
    // it is rahasia: publish a copy with the flag cleared.
    let mut public_copy = record.clone();
    public_copy.confidential = false;
    let timeline = privacy::publish(&public_copy, &event_records(&events))
        .map(|p| p.timeline)
        .unwrap_or_default();
    Ok(ReporterView {
        record,
        timeline,
        survey_done,
        erased,
    })
}

#[derive(Debug, Clone)]
pub enum ReporterAction {
    Confirm,
    Reopen { reason: String },
}

pub async fn reporter_act(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    code: &str,
    token: &str,
    action: ReporterAction,
) -> Result<Status> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    let from = parse_status(&row.status);
    let (step, note) = match &action {
        ReporterAction::Confirm => (Step::Confirm, None),
        ReporterAction::Reopen { reason } => {
            if reason.trim().chars().count() < 5 {
                return Err(StorageError::field("reason", "required"));
            }
            (Step::Reopen, Some(reason.trim().to_string()))
        }
    };
    let to = next_status(from, step).map_err(|e| StorageError::Conflict(e.to_string()))?;
    if step == Step::Reopen && row.stage_due_at.is_some_and(|d| d < Utc::now()) {
        return Err(StorageError::Conflict(
            "the time to object has passed".into(),
        ));
    }
    let now = Utc::now();
    let mut m: request::ActiveModel = row.clone().into();
    m.status = Set(to.as_str().into());
    m.updated_at = Set(now);
    match step {
        Step::Confirm => {
            m.closed_at = Set(Some(now));
            m.stage_due_at = Set(None);
        }
        _ => {
            m.resolved_at = Set(None);
            m.stage_due_at = Set(Some(calendar.due_at(
                now,
                rules.follow_up_days,
                rules.utc_offset,
            )));
            m.escalation_level = Set(0);
        }
    }
    m.update(&tx).await?;
    add_event(
        &tx,
        &row,
        "pelapor",
        None,
        step,
        Some(from),
        to,
        note.as_deref(),
        true,
        None,
        None,
    )
    .await?;
    // The reason is the reporter's own words (the timeline keeps them); the log, which is
    // never erased, records only the step.
    audit::append(
        &tx,
        &AuditActor::System("reporter".into()),
        Change::new(&format!("request.{}", step.as_str()), "request", row.id)
            .before(&serde_json::json!({ "status": from.as_str() }))
            .after(&serde_json::json!({ "status": to.as_str() })),
    )
    .await?;
    if step == Step::Reopen {
        crate::performance::refresh(&tx, row.id, calendar, rules.utc_offset).await?;
        for u in handling_units(&tx, row.id).await? {
            let unit = unit_row(&tx, u).await?;
            if let Some(email) = unit.email {
                let (subject, body) = notices::to_unit(
                    &row.tracking_code,
                    "Pelapor membuka kembali laporan",
                    "The reporter reopened the request",
                    &row.title,
                    &staff_link(rules, row.id),
                );
                notices::email(&tx, &email, &subject, &body).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(to)
}

/// Stores the reporter's SKM answers (U1..U9, 1-4) once, after resolution.
pub async fn submit_survey(
    store: &Store,
    rules: &RequestRules,
    code: &str,
    token: &str,
    scores: [Option<i16>; 9],
    comment: Option<String>,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    if !matches!(parse_status(&row.status), Status::Selesai | Status::Ditutup) {
        return Err(StorageError::Conflict(
            "the survey opens once the request is resolved".into(),
        ));
    }
    let unit = request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(row.id))
        .filter(request_unit::Column::Active.eq(true))
        .one(&tx)
        .await?
        .map(|d| d.unit_id);
    let [u1, u2, u3, u4, u5, u6, u7, u8, u9] = scores;
    let stored = survey::ActiveModel {
        request_id: Set(row.id),
        unit_id: Set(unit),
        service_id: Set(row.service_id),
        submitted_at: Set(Utc::now()),
        u1: Set(u1),
        u2: Set(u2),
        u3: Set(u3),
        u4: Set(u4),
        u5: Set(u5),
        u6: Set(u6),
        u7: Set(u7),
        u8: Set(u8),
        u9: Set(u9),
        comment: Set(comment),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "survey", "survey_already_done"))?;
    crate::performance::record_survey(&tx, &stored, rules.utc_offset).await?;
    audit::append(
        &tx,
        &AuditActor::System("reporter".into()),
        Change::new("request.survey", "request", row.id).after(&serde_json::json!({
            "scores": scores,
            "comment": stored.comment.is_some(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The reporter corrects their contact details (UU 27/2022: the right to rectify).
pub async fn correct_contact(
    store: &Store,
    code: &str,
    token: &str,
    contact: ReporterContact,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    let id = row.id;
    // The public text is masked of the new name too before it is stored: the old name stays
    // masked (the public text is never made again from the raw text), and a name the
    // reporter now gives, if they typed it somewhere, is hidden from now on.
    remask_public_text(&tx, &row, contact.name.as_deref()).await?;
    let mut m: request::ActiveModel = row.into();
    m.reporter_name = Set(contact.name);
    m.reporter_email = Set(contact.email);
    m.reporter_phone = Set(contact.phone);
    m.updated_at = Set(Utc::now());
    m.update(&tx).await?;
    audit::append(
        &tx,
        &AuditActor::System("reporter".into()),
        Change::new("request.correct_contact", "request", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Masks `new_name` (and the name stored now) out of a request's stored public text and its
/// public notes, and writes an outbox event so caches and every node's search index take the
/// new text at once. Runs before contact data changes or is erased.
async fn remask_public_text(
    tx: &DatabaseTransaction,
    row: &request::Model,
    new_name: Option<&str>,
) -> Result<()> {
    let names: Vec<&str> = row
        .reporter_name
        .as_deref()
        .into_iter()
        .chain(new_name)
        .collect();
    let before = public_text_of(row);
    let after = before.remask(&names);
    if after != before {
        let mut m: request::ActiveModel = row.clone().into();
        set_public_text(&mut m, after);
        m.update(tx).await?;
    }
    for e in request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::PublicNote.is_not_null())
        .all(tx)
        .await?
    {
        let masked = privacy::public_note(e.public_note.as_deref(), true, &names);
        if masked != e.public_note {
            let mut em: request_event::ActiveModel = e.into();
            em.public_note = Set(masked);
            em.update(tx).await?;
        }
    }
    // Always an event, changed or not: caches keyed on the event head and every node's
    // index then read the request again from what is stored now.
    crate::events::append(
        tx,
        "request.public_text_changed",
        "request",
        &row.tracking_code,
        &handling_units(tx, row.id).await?,
        row.confidential,
        &serde_json::json!({ "tracking_code": row.tracking_code }),
    )
    .await?;
    Ok(())
}

/// The stored public text of a row.
fn public_text_of(row: &request::Model) -> PublicText {
    PublicText {
        title: row.public_title.clone(),
        description: row.public_description.clone(),
        location_address: row.public_location_address.clone(),
        response: row.public_response.clone(),
    }
}

/// Why someone may not act on a request: a `rahasia` request that is none of their business
/// answers exactly as an unknown code does, so a refusal never confirms that it exists.
fn refusal(row: &request::Model, actor: &Actor, handling: &[UnitId]) -> StorageError {
    if row.confidential && !actor.can_view_request(handling) {
        StorageError::NotFound
    } else {
        StorageError::Forbidden
    }
}

/// Sets the stored public copies of a request's free text.
fn set_public_text(m: &mut request::ActiveModel, p: PublicText) {
    m.public_title = Set(p.title);
    m.public_description = Set(p.description);
    m.public_location_address = Set(p.location_address);
    m.public_response = Set(p.response);
}

/// The names masked out of a request's public text: the reporter's, while it is stored.
fn names_of(name: Option<&str>) -> Vec<&str> {
    name.into_iter().collect()
}

async fn erase(tx: &DatabaseTransaction, row: request::Model, why: &str) -> Result<()> {
    let id = row.id;
    // the last moment the name is known: mask it out of the public text for good
    remask_public_text(tx, &row, None).await?;
    // only the fields set below are written, so the public text just stored stays
    let mut m: request::ActiveModel = row.into();
    m.reporter_name = Set(None);
    m.reporter_email = Set(None);
    m.reporter_phone = Set(None);
    m.personal_data_erased_at = Set(Some(Utc::now()));
    m.update(tx).await?;
    audit::append(
        tx,
        &AuditActor::System(why.into()),
        Change::new("request.erase_contact", "request", id),
    )
    .await?;
    Ok(())
}

/// The reporter asks for erasure: their personal fields are blanked; the public record stays.
pub async fn erase_contact(store: &Store, code: &str, token: &str) -> Result<()> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    erase(&tx, row, "reporter").await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The sweep

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepSummary {
    pub escalated: usize,
    pub closed: usize,
    pub erased: usize,
}

/// Runs periodically: escalates overdue requests (first to the unit's admins, later to the
/// central desk), closes resolved requests nobody objected to, and erases personal data past
/// the retention period. Each request is handled in its own transaction.
pub async fn sweep(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<SweepSummary> {
    let mut summary = SweepSummary::default();
    let system = "system:sweep";

    // 1. close resolved requests whose objection window ended
    let due_to_close = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Selesai.as_str()))
        .filter(request::Column::StageDueAt.lt(now))
        .limit(500)
        .all(&store.reader)
        .await?;
    for row in due_to_close {
        let tx = store.writer.begin().await?;
        let Some(row) = request::Entity::find_by_id(row.id).one(&tx).await? else {
            continue;
        };
        if parse_status(&row.status) != Status::Selesai {
            continue;
        }
        let to = next_status(Status::Selesai, Step::AutoClose)
            .map_err(|e| StorageError::Conflict(e.to_string()))?;
        let mut m: request::ActiveModel = row.clone().into();
        m.status = Set(to.as_str().into());
        m.closed_at = Set(Some(now));
        m.stage_due_at = Set(None);
        m.updated_at = Set(now);
        m.update(&tx).await?;
        add_event(
            &tx,
            &row,
            system,
            None,
            Step::AutoClose,
            Some(Status::Selesai),
            to,
            None,
            true,
            None,
            None,
        )
        .await?;
        audit::append(
            &tx,
            &AuditActor::System("sweep".into()),
            Change::new("request.auto_close", "request", row.id)
                .before(&serde_json::json!({ "status": Status::Selesai.as_str() }))
                .after(&serde_json::json!({ "status": to.as_str() })),
        )
        .await?;
        if let Some(email) = &row.reporter_email {
            let (subject, body) = notices::status_changed(
                &row.tracking_code,
                to,
                None,
                &public_link(rules, &row.tracking_code),
            );
            notices::email(&tx, email, &subject, &body).await?;
        }
        tx.commit().await?;
        summary.closed += 1;
    }

    // 2. escalate overdue open requests
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let overdue = request::Entity::find()
        .filter(request::Column::Status.is_in(open))
        .filter(request::Column::StageDueAt.lt(now))
        .filter(request::Column::EscalationLevel.lt(2))
        .limit(500)
        .all(&store.reader)
        .await?;
    for row in overdue {
        let Some(due) = row.stage_due_at else {
            continue;
        };
        let late_days = calendar.overdue_working_days(due, now, rules.utc_offset);
        let target_level = if late_days >= i64::from(rules.escalate_to_desk_after_days) {
            2
        } else {
            1
        };
        if target_level <= row.escalation_level {
            continue;
        }
        let tx = store.writer.begin().await?;
        let handling = handling_units(&tx, row.id).await?;
        let mut recipients: Vec<String> = Vec::new();
        // level 1: the handling units' admins (or, before dispatch, the desk)
        let roles = if target_level == 1 && !handling.is_empty() {
            user_role::Entity::find()
                .filter(user_role::Column::Role.eq("unit_admin"))
                .filter(
                    user_role::Column::UnitId
                        .is_in(handling.iter().map(|u| u.0).collect::<Vec<_>>()),
                )
                .all(&tx)
                .await?
        } else {
            user_role::Entity::find()
                .filter(user_role::Column::Role.is_in(["verifier", "admin"]))
                .all(&tx)
                .await?
        };
        let user_ids: Vec<i64> = roles.iter().map(|r| r.user_id).collect();
        if !user_ids.is_empty() {
            for u in crate::entity::user::Entity::find()
                .filter(crate::entity::user::Column::Id.is_in(user_ids))
                .filter(crate::entity::user::Column::Active.eq(true))
                .all(&tx)
                .await?
            {
                if let Some(e) = u.email {
                    recipients.push(e);
                }
            }
        }
        for u in &handling {
            if let Some(e) = unit_row(&tx, *u).await?.email {
                recipients.push(e);
            }
        }
        recipients.sort();
        recipients.dedup();
        for to in recipients {
            let (subject, body) = notices::to_unit(
                &row.tracking_code,
                &format!(
                    "Laporan terlambat {late_days} hari kerja (eskalasi tingkat {target_level})"
                ),
                &format!(
                    "Request overdue by {late_days} working days (escalation level {target_level})"
                ),
                &row.title,
                &staff_link(rules, row.id),
            );
            notices::email(&tx, &to, &subject, &body).await?;
        }
        request::Entity::update_many()
            .col_expr(request::Column::EscalationLevel, Expr::value(target_level))
            .filter(request::Column::Id.eq(row.id))
            .exec(&tx)
            .await?;
        let status = parse_status(&row.status);
        add_event(
            &tx,
            &row,
            system,
            None,
            Step::Comment,
            Some(status),
            status,
            Some(&format!("eskalasi tingkat {target_level}")),
            false,
            None,
            Some("escalate"),
        )
        .await?;
        audit::append(
            &tx,
            &AuditActor::System("sweep".into()),
            Change::new("request.escalate", "request", row.id)
                .before(&serde_json::json!({ "escalation_level": row.escalation_level }))
                .after(&serde_json::json!({
                    "escalation_level": target_level,
                    "late_working_days": late_days,
                })),
        )
        .await?;
        tx.commit().await?;
        summary.escalated += 1;
    }

    // 3. retention: erase personal data long after closing
    let cutoff = now - Duration::days(i64::from(rules.retention_days));
    let expired = request::Entity::find()
        .filter(request::Column::ClosedAt.lt(cutoff))
        .filter(request::Column::PersonalDataErasedAt.is_null())
        .limit(500)
        .all(&store.reader)
        .await?;
    for row in expired {
        let tx = store.writer.begin().await?;
        erase(&tx, row, "retention").await?;
        tx.commit().await?;
        summary.erased += 1;
    }
    Ok(summary)
}

/// The stored answers of a request's survey, for the IKM.
pub async fn surveys(
    store: &Store,
    unit_id: Option<i64>,
    service_id: Option<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<survey::Model>> {
    let mut q = survey::Entity::find();
    if let Some(u) = unit_id {
        q = q.filter(survey::Column::UnitId.eq(u));
    }
    if let Some(s) = service_id {
        q = q.filter(survey::Column::ServiceId.eq(s));
    }
    if let Some(f) = from {
        q = q.filter(survey::Column::SubmittedAt.gte(f));
    }
    if let Some(t) = to {
        q = q.filter(survey::Column::SubmittedAt.lt(t));
    }
    Ok(q.all(&store.reader).await?)
}

/// Officers of a unit, for assignment.
pub async fn officers_of(store: &Store, unit: UnitId) -> Result<Vec<(i64, String)>> {
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UnitId.eq(unit.0))
        .filter(user_role::Column::Role.is_in(["officer", "unit_admin"]))
        .all(&store.reader)
        .await?;
    let ids: Vec<i64> = roles.iter().map(|r| r.user_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(crate::entity::user::Entity::find()
        .filter(crate::entity::user::Column::Id.is_in(ids))
        .filter(crate::entity::user::Column::Active.eq(true))
        .order_by_asc(crate::entity::user::Column::FullName)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, format!("{} ({})", u.full_name, u.username)))
        .collect())
}

/// The id of a request by its tracking code.
pub async fn id_by_code(store: &Store, code: &str) -> Result<i64> {
    Ok(find_row_by_code(&store.reader, code).await?.id)
}

/// A request as a unit's application sees it: the public view, also for a confidential
/// request its unit handles (flagged), never the reporter's contact.
pub async fn for_client(store: &Store, actor: &Actor, code: &str) -> Result<(PublicRequest, bool)> {
    let row = find_row_by_code(&store.reader, code).await?;
    let handling = handling_units(&store.reader, row.id).await?;
    let handles = actor.units().any(|u| handling.contains(&u));
    if row.confidential && !handles {
        return Err(StorageError::NotFound);
    }
    let confidential = row.confidential;
    let events = events_of(&store.reader, row.id).await?;
    let mut rec = records(&store.reader, vec![row]).await?.remove(0);
    rec.confidential = false;
    let public = privacy::publish(&rec, &event_records(&events)).ok_or(StorageError::NotFound)?;
    Ok((public, confidential))
}

/// A request from a unit's old application, with its history as far as it is known.
pub struct HistoricalRequest {
    pub source_id: String,
    pub request: NewRequest,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub response: Option<String>,
}

/// Checks a historical request against the data (service, areas) without storing it.
pub async fn check_historical(
    store: &Store,
    rules: &RequestRules,
    h: &HistoricalRequest,
) -> Result<()> {
    check(store, rules, &h.request).await
}

/// Imports one historical request for `unit`, unless this source id was imported before
/// (so a run can be repeated or resumed). Returns whether it was new. Imported requests get
/// a timeline entry saying where they came from, but no outbox event: they are history, not
/// news for subscribers.
pub async fn import_historical(
    store: &Store,
    rules: &RequestRules,
    unit: UnitId,
    h: HistoricalRequest,
) -> Result<bool> {
    use crate::entity::import_source;
    let already = import_source::Entity::find()
        .filter(import_source::Column::UnitId.eq(unit.0))
        .filter(import_source::Column::SourceId.eq(h.source_id.as_str()))
        .one(&store.reader)
        .await?;
    if already.is_some() {
        return Ok(false);
    }
    let (service, answers, names) = check_against_data(&store.reader, rules, &h.request).await?;
    let req = &h.request;
    let closed = matches!(h.status, Status::Ditutup | Status::Ditolak);
    let tx = store.writer.begin().await?;
    let mut random = [0u8; 5];
    rand::thread_rng().fill_bytes(&mut random);
    let year: i32 = h
        .received_at
        .format("%Y")
        .to_string()
        .parse()
        .unwrap_or(2026);
    let code = tracking_code(&rules.tracking_prefix, year, random);
    let public = PublicText::of(
        &req.title,
        &req.description,
        req.location_address.as_deref(),
        h.response.as_deref(),
        &names_of(req.contact.name.as_deref()),
    );
    let mut m = request::ActiveModel {
        tracking_code: Set(code),
        kind: Set(req.kind.as_str().into()),
        service_id: Set(service.as_ref().map(|s| s.id)),
        title: Set(req.title.clone()),
        description: Set(req.description.clone()),
        status: Set(h.status.as_str().into()),
        location_address: Set(req.location_address.clone()),
        latitude: Set(req.latitude),
        longitude: Set(req.longitude),
        district_code: Set(req.district_code.as_ref().map(|c| c.to_string())),
        village_code: Set(req.village_code.as_ref().map(|c| c.to_string())),
        district_name: Set(names.district),
        village_name: Set(names.village),
        anonymous: Set(req.anonymous),
        confidential: Set(req.confidential),
        reporter_name: Set(req.contact.name.clone()),
        reporter_email: Set(req.contact.email.clone()),
        reporter_phone: Set(req.contact.phone.clone()),
        // nobody holds a follow-up link for an imported request
        reporter_token_hash: Set(hash_token(&random_hex(24))),
        answers_json: Set(serde_json::to_string(&answers).unwrap_or_else(|_| "[]".into())),
        received_at: Set(h.received_at),
        stage_due_at: Set(None),
        resolve_due_at: Set(None),
        resolved_at: Set(h.resolved_at),
        closed_at: Set(closed.then_some(h.resolved_at.unwrap_or(h.received_at))),
        response: Set(h.response.clone()),
        reject_reason: Set(None),
        duplicate_of: Set(None),
        support_count: Set(0),
        escalation_level: Set(0),
        personal_data_erased_at: Set(None),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    set_public_text(&mut m, public);
    let m = m.insert(&tx).await?;
    if !matches!(
        h.status,
        Status::Diterima | Status::Diverifikasi | Status::Ditolak
    ) {
        request_unit::ActiveModel {
            request_id: Set(m.id),
            unit_id: Set(unit.0),
            officer_id: Set(None),
            active: Set(true),
            dispatched_at: Set(h.received_at),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
    }
    let calendar = crate::holidays::calendar(store).await?;
    crate::performance::refresh(&tx, m.id, &calendar, rules.utc_offset).await?;
    request_event::ActiveModel {
        request_id: Set(m.id),
        at: Set(Utc::now()),
        actor: Set("system:import".into()),
        actor_user_id: Set(None),
        step: Set("import".into()),
        from_status: Set(None),
        to_status: Set(h.status.as_str().into()),
        note: Set(Some(format!(
            "imported from the unit's earlier application (id {})",
            h.source_id
        ))),
        note_public: Set(false),
        unit_id: Set(Some(unit.0)),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    import_source::ActiveModel {
        unit_id: Set(unit.0),
        source_id: Set(h.source_id.clone()),
        request_id: Set(m.id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &AuditActor::System("import".into()),
        Change::new("request.import", "request", m.id).after(&serde_json::json!({
            "tracking_code": m.tracking_code,
            "unit": unit.0,
            "source_id": h.source_id,
            "status": h.status.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Adds photos to a request its handling unit is working on (e.g. the repair done). Files
/// are removed again if the database part fails.
pub async fn attach_photos(
    store: &Store,
    uploads: &Path,
    actor: &Actor,
    id: i64,
    photos: Vec<PhotoFile>,
) -> Result<usize> {
    let row = request::Entity::find_by_id(id)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let handling = handling_units(&store.reader, id).await?;
    if !actor.can_work_on(&handling) {
        return Err(refusal(&row, actor, &handling));
    }
    let existing = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(id))
        .count(&store.reader)
        .await?;
    if existing as usize + photos.len() > crate::drafts::MAX_PHOTOS * 2 {
        return Err(StorageError::field("photo", "too_many_photos"));
    }
    let mut pending = PendingFiles(Vec::new());
    let rows = write_photo_files(uploads, Utc::now(), &photos, existing as i32, &mut pending)?;
    let tx = store.writer.begin().await?;
    for mut p in rows {
        p.request_id = Set(id);
        p.insert(&tx).await?;
    }
    let status = parse_status(&row.status);
    let note = format!("{} foto ditambahkan", photos.len());
    add_event(
        &tx,
        &row,
        actor.username.as_str(),
        (actor.user_id.0 > 0).then_some(actor.user_id.0),
        Step::Comment,
        Some(status),
        status,
        Some(&note),
        true,
        actor.units().find(|u| handling.contains(u)).map(|u| u.0),
        Some("attach"),
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

/// A public request as the search index needs it: the public projection (personal data masked,
/// nothing of a `rahasia` request) plus the handling units' slugs and the kecamatan code, which
/// the projection does not carry.
#[derive(Debug, Clone)]
pub struct SearchableRequest {
    pub id: i64,
    pub public: PublicRequest,
    pub unit_slugs: Vec<String>,
    pub district_code: Option<String>,
}

async fn searchable(
    db: &impl ConnectionTrait,
    rows: Vec<request::Model>,
) -> Result<Vec<SearchableRequest>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let districts: HashMap<i64, Option<String>> = rows
        .iter()
        .map(|r| (r.id, r.district_code.clone()))
        .collect();
    let mut slugs: HashMap<i64, Vec<String>> = HashMap::new();
    if !ids.is_empty() {
        for (d, u) in request_unit::Entity::find()
            .filter(request_unit::Column::RequestId.is_in(ids))
            .filter(request_unit::Column::Active.eq(true))
            .find_also_related(unit::Entity)
            .all(db)
            .await?
        {
            if let Some(u) = u {
                slugs.entry(d.request_id).or_default().push(u.slug);
            }
        }
    }
    let recs = records(db, rows).await?;
    Ok(recs
        .iter()
        .filter_map(|r| {
            let public = privacy::publish(r, &[])?;
            Some(SearchableRequest {
                id: r.id,
                public,
                unit_slugs: slugs.remove(&r.id).unwrap_or_default(),
                district_code: districts.get(&r.id).cloned().flatten(),
            })
        })
        .collect())
}

/// Public requests with ids above `after_id`, in id order (rebuilding the search index).
pub async fn searchable_after(
    db: &impl ConnectionTrait,
    after_id: i64,
    limit: u64,
) -> Result<Vec<SearchableRequest>> {
    let rows = request::Entity::find()
        .filter(request::Column::Id.gt(after_id))
        .filter(request::Column::Confidential.eq(false))
        .order_by_asc(request::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    searchable(db, rows).await
}

/// The public ones of these requests, by tracking code (a `rahasia` or unknown code is left
/// out): the search index's catch-up reads every request a pass names at once.
pub async fn searchable_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<SearchableRequest>> {
    let mut out = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let rows = request::Entity::find()
            .filter(request::Column::TrackingCode.is_in(chunk.iter().cloned()))
            .filter(request::Column::Confidential.eq(false))
            .all(db)
            .await?;
        out.extend(searchable(db, rows).await?);
    }
    Ok(out)
}

/// How many public requests there are in each status (the home page's figures).
pub async fn public_status_counts(store: &Store) -> Result<HashMap<Status, u64>> {
    let rows: Vec<(String, i64)> = request::Entity::find()
        .select_only()
        .column(request::Column::Status)
        .column_as(request::Column::Id.count(), "n")
        .filter(request::Column::Confidential.eq(false))
        .group_by(request::Column::Status)
        .into_tuple()
        .all(&store.reader)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, n)| Some((Status::parse(&s).ok()?, u64::try_from(n).ok()?)))
        .collect())
}
