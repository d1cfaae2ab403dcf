//! Reading requests: the public list and page, the records of a batch, search documents.

use super::*;
use crate::entity::{
    request, request_event, request_photo, request_support, request_unit, service, survey, unit,
    user_role,
};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::ids::{RequestId, UnitId};
use kotapintar_domain::policy::Actor;
use kotapintar_domain::privacy::{
    self, EventRecord, PublicRequest, PublicText, ReporterContact, RequestRecord,
};
use kotapintar_domain::request::{RequestKind, Status};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::HashMap;

/// Builds full records for a batch of rows with a fixed number of queries.
pub(super) async fn records(
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
pub(super) async fn holders_and_photos(
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
pub(super) async fn records_with_services(
    db: &impl ConnectionTrait,
    rows: Vec<(request::Model, Option<(String, String)>)>,
) -> Result<Vec<RequestRecord>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut reasons = crate::agencies::reasons(db, &ids).await?;
    let (mut unit_names, mut photos) = holders_and_photos(db, ids).await?;
    let primaries = primaries_of(db, rows.iter().filter_map(|(r, _)| r.merged_into)).await?;
    rows.into_iter()
        .map(|(r, service)| {
            let kind = RequestKind::parse(&r.kind)
                .map_err(|_| StorageError::Other(format!("corrupt request kind {:?}", r.kind)))?;
            let status = status_of(&r.status)?;
            Ok(RequestRecord {
                id: RequestId(r.id),
                tracking_code: r.tracking_code,
                kind,
                service_code: service.as_ref().map(|(code, _)| code.clone()),
                service_name: service.map(|(_, name)| name),
                title: r.title,
                description: r.description,
                status,
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
                media_url: r.media_url,
                status_reason: reasons.remove(&r.id),
                merged_into: r.merged_into.and_then(|p| primaries.get(&p).cloned()),
            })
        })
        .collect()
}

/// The primary cases of merged duplicates, by id (one query, none when nothing is merged).
async fn primaries_of(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, privacy::MergedInto>> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    request::Entity::find()
        .filter(request::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            Ok((
                p.id,
                privacy::MergedInto {
                    status: status_of(&p.status)?,
                    code: p.tracking_code,
                    confidential: p.confidential,
                },
            ))
        })
        .collect()
}

pub(super) async fn events_of(
    db: &impl ConnectionTrait,
    request_id: i64,
) -> Result<Vec<(request_event::Model, Option<String>)>> {
    events_of_many(db, vec![request_id]).await
}

/// The timelines of several requests in one query, each in order, with the unit of each
/// step.
pub(super) async fn events_of_many(
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

pub(super) fn event_records(
    events: &[(request_event::Model, Option<String>)],
) -> Result<Vec<EventRecord>> {
    events
        .iter()
        .map(|(e, unit_name)| {
            Ok(EventRecord {
                id: e.id,
                at: e.at,
                step: e.step.clone(),
                to_status: status_of(&e.to_status)?,
                note: e.note.clone(),
                note_public: e.note_public,
                public_note: e.public_note.clone(),
                unit_name: unit_name.clone(),
                media_url: e.media_url.clone(),
            })
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
    let case_support = case_supporters(&store.reader, &row).await?;
    let mut rec = records_with_services(
        &store.reader,
        vec![(row, service.map(|s| (s.code, s.name)))],
    )
    .await?
    .remove(0);
    if let Some(n) = case_support {
        rec.support_count = n;
    }
    Ok(privacy::publish(&rec, &event_records(&events)?))
}

/// "Saya juga" across a merged case (the primary and every request merged into it), each
/// person (device key) once however many of its requests they supported; `None` when the
/// request is in no merged case and its own count stands.
async fn case_supporters(db: &impl ConnectionTrait, row: &request::Model) -> Result<Option<i64>> {
    let case = row.merged_into.unwrap_or(row.id);
    let mut ids: Vec<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::MergedInto.eq(case))
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(None);
    }
    ids.push(case);
    let n: Option<i64> = request_support::Entity::find()
        .select_only()
        .column_as(
            Expr::expr(Func::count_distinct(Expr::col(
                request_support::Column::SupporterHash,
            )))
            .cast_as(sea_orm::sea_query::Alias::new("BIGINT")),
            "n",
        )
        .filter(request_support::Column::RequestId.is_in(ids))
        .into_tuple()
        .one(db)
        .await?;
    Ok(Some(n.unwrap_or(0)))
}

/// The step and deadline of a request, for the chat it was filed from and nobody else: a
/// `rahasia` request has no public status, but its own reporter may ask after it. Another
/// chat gets the same answer as for a code that does not exist.
pub async fn status_for_own_chat(
    store: &Store,
    code: &str,
    channel: &str,
    chat_id: &str,
) -> Result<Option<(Status, Option<DateTime<Utc>>)>> {
    let row = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code))
        .filter(request::Column::ReporterChatChannel.eq(channel))
        .filter(request::Column::ReporterChatId.eq(chat_id))
        .one(&store.reader)
        .await?;
    row.map(|r| Ok((status_of(&r.status)?, r.stage_due_at)))
        .transpose()
}

#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub status: Option<Status>,
    pub kind: Option<RequestKind>,
    pub district_code: Option<String>,
    /// Only one desa/kelurahan (an area's feed).
    pub village_code: Option<String>,
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
pub(super) fn text_condition(text: &str) -> Condition {
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
    if let Some(v) = &f.village_code {
        q = q.filter(request::Column::VillageCode.eq(v.as_str()));
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
        q = q.filter(overdue_at(now));
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
                .extend(event_records(&[(e, unit_name)])?);
        }
    }
    let recs = records(&store.reader, rows).await?;
    Ok((
        recs.iter()
            .filter_map(|r| {
                privacy::publish(r, timelines.get(&r.id.0).map(Vec::as_slice).unwrap_or(&[]))
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
    let mut q = request::Entity::find()
        .filter(request::Column::Confidential.eq(false))
        .filter(request::Column::Status.is_in(open_statuses()))
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

pub(super) const STOPWORDS: &[&str] = &[
    "yang", "dengan", "untuk", "dari", "pada", "sudah", "belum", "tidak", "akan", "juga", "sejak",
    "karena", "saya", "kami", "mohon", "tolong", "segera", "sangat", "sekali", "dalam", "atau",
    "this", "that", "with", "from", "have", "there",
];

pub(super) fn significant_words(text: &str) -> Vec<String> {
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
    let mut row = find_row_by_code(&tx, code).await?;
    // support for a merged duplicate is support for its case: it goes to the primary
    if let Some(primary) = row.merged_into {
        row = request::Entity::find_by_id(primary)
            .one(&tx)
            .await?
            .ok_or(StorageError::NotFound)?;
    }
    if row.confidential || !status_of(&row.status)?.is_open() {
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

// Staff side

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
pub async fn id_by_code(store: &Store, code: &str) -> Result<RequestId> {
    Ok(RequestId(find_row_by_code(&store.reader, code).await?.id))
}

/// The tracking codes of requests, for staff messages that name them (a bulk step's failures).
pub async fn codes_of(store: &Store, ids: &[RequestId]) -> Result<HashMap<RequestId, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(request::Entity::find()
        .filter(request::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|r| (RequestId(r.id), r.tracking_code))
        .collect())
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
    let public = privacy::publish(&rec, &event_records(&events)?).ok_or(StorageError::NotFound)?;
    Ok((public, confidential))
}

/// A public request as the search index needs it: the public projection (personal data masked,
/// nothing of a `rahasia` request) plus the handling units' slugs and the kecamatan code, which
/// the projection does not carry.
#[derive(Debug, Clone)]
pub struct SearchableRequest {
    pub id: RequestId,
    pub public: PublicRequest,
    pub unit_slugs: Vec<String>,
    pub district_code: Option<String>,
}

pub(super) async fn searchable(
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
                unit_slugs: slugs.remove(&r.id.0).unwrap_or_default(),
                district_code: districts.get(&r.id.0).cloned().flatten(),
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
