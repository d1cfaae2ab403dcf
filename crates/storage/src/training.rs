//! Bimtek: training events, invitations to units, registration of staff within the event's
//! capacity, check-in with a personal code, materials, evaluations and certificates.
//!
//! Capacity holds under concurrency: registering locks the event's row (`FOR UPDATE` on
//! PostgreSQL; SQLite has one writer), counts, and inserts in the same transaction. A check-in
//! code works once: the update only matches a registration not yet checked in.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    application, training_evaluation, training_event, training_invitation, training_material,
    training_registration, unit, user, user_role,
};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::training::{
    certificate_code, check_in as check_rule, checkin_code, has_room, normalise_certificate_code,
    normalise_checkin_code, CheckinRefusal, EvaluationInput, EventDraft,
};
use rand::RngCore;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub title: String,
    pub topic: Option<String>,
    pub application_id: Option<i64>,
    pub application_name: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub trainers: String,
    pub capacity: i32,
    pub registered: u64,
    pub attended: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Registration {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub participant_name: String,
    pub checkin_code: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub certificate_code: Option<String>,
    pub evaluated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Material {
    pub id: i64,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventDetail {
    pub event: Event,
    pub invited: Vec<(i64, String, String)>,
    pub registrations: Vec<Registration>,
    pub materials: Vec<Material>,
    /// Mean ratings (content, trainer, usefulness) in hundredths, and how many answered.
    pub evaluation: Option<([i64; 3], usize)>,
}

async fn app_names(store: &Store) -> Result<HashMap<i64, String>> {
    Ok(application::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

fn to_event(
    m: training_event::Model,
    apps: &HashMap<i64, String>,
    regs: &[training_registration::Model],
) -> Event {
    let mine = regs.iter().filter(|r| r.event_id == m.id);
    Event {
        registered: mine.clone().count() as u64,
        attended: mine.filter(|r| r.checked_in_at.is_some()).count() as u64,
        application_name: m.application_id.and_then(|a| apps.get(&a).cloned()),
        id: m.id,
        title: m.title,
        topic: m.topic,
        application_id: m.application_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        place: m.place,
        trainers: m.trainers,
        capacity: m.capacity,
    }
}

/// Every event, the newest first.
pub async fn list(store: &Store) -> Result<Vec<Event>> {
    let apps = app_names(store).await?;
    let regs = training_registration::Entity::find()
        .all(&store.reader)
        .await?;
    Ok(training_event::Entity::find()
        .order_by_desc(training_event::Column::StartsAt)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|m| to_event(m, &apps, &regs))
        .collect())
}

pub async fn get(store: &Store, id: i64) -> Result<EventDetail> {
    let m = crate::rows::by_id::<training_event::Entity>(&store.reader, id).await?;
    let apps = app_names(store).await?;
    let units: HashMap<i64, (String, String)> = unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.code, u.name)))
        .collect();
    let regs = training_registration::Entity::find()
        .filter(training_registration::Column::EventId.eq(id))
        .order_by_asc(training_registration::Column::ParticipantName)
        .all(&store.reader)
        .await?;
    let reg_ids: Vec<i64> = regs.iter().map(|r| r.id).collect();
    let evals = if reg_ids.is_empty() {
        Vec::new()
    } else {
        training_evaluation::Entity::find()
            .filter(training_evaluation::Column::RegistrationId.is_in(reg_ids))
            .all(&store.reader)
            .await?
    };
    let invited = training_invitation::Entity::find()
        .filter(training_invitation::Column::EventId.eq(id))
        .order_by_asc(training_invitation::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .filter_map(|i| {
            units
                .get(&i.unit_id)
                .map(|(c, n)| (i.unit_id, c.clone(), n.clone()))
        })
        .collect();
    let materials = training_material::Entity::find()
        .filter(training_material::Column::EventId.eq(id))
        .order_by_asc(training_material::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|x| Material {
            id: x.id,
            title: x.title,
            url: x.url,
        })
        .collect();
    let evaluation = if evals.is_empty() {
        None
    } else {
        let n = evals.len() as i64;
        let mean = |f: fn(&training_evaluation::Model) -> i32| {
            (evals.iter().map(|e| i64::from(f(e))).sum::<i64>() * 200 + n) / (2 * n)
        };
        Some((
            [
                mean(|e| e.content),
                mean(|e| e.trainer),
                mean(|e| e.usefulness),
            ],
            evals.len(),
        ))
    };
    let registrations = regs
        .iter()
        .map(|r| Registration {
            id: r.id,
            event_id: r.event_id,
            user_id: r.user_id,
            unit_id: r.unit_id,
            unit_name: units
                .get(&r.unit_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            participant_name: r.participant_name.clone(),
            checkin_code: r.checkin_code.clone(),
            checked_in_at: r.checked_in_at,
            certificate_code: r.certificate_code.clone(),
            evaluated: evals.iter().any(|e| e.registration_id == r.id),
        })
        .collect();
    Ok(EventDetail {
        event: to_event(m, &apps, &regs),
        invited,
        registrations,
        materials,
        evaluation,
    })
}

async fn check_application(store: &Store, d: &EventDraft) -> Result<()> {
    if let Some(a) = d.application_id {
        if application::Entity::find_by_id(a)
            .one(&store.reader)
            .await?
            .is_none()
        {
            return Err(StorageError::field("application_id", "invalid_choice"));
        }
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &AuditActor, d: EventDraft) -> Result<i64> {
    check_application(store, &d).await?;
    let tx = store.writer.begin().await?;
    let now = Utc::now();
    let m = training_event::ActiveModel {
        title: Set(d.title.clone()),
        topic: Set(d.topic.clone()),
        application_id: Set(d.application_id),
        starts_at: Set(d.starts_at),
        ends_at: Set(d.ends_at),
        place: Set(d.place.clone()),
        trainers: Set(d.trainers.clone()),
        capacity: Set(d.capacity),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        actor,
        Change::new("training.event_create", "training_event", m.id).after(&d),
    )
    .await?;
    tx.commit().await?;
    Ok(m.id)
}

pub async fn update(store: &Store, actor: &AuditActor, id: i64, d: EventDraft) -> Result<()> {
    check_application(store, &d).await?;
    let tx = store.writer.begin().await?;
    let cur = crate::rows::locked::<training_event::Entity>(&tx, id).await?;
    let registered = training_registration::Entity::find()
        .filter(training_registration::Column::EventId.eq(id))
        .count(&tx)
        .await?;
    if u64::try_from(d.capacity).unwrap_or(0) < registered {
        return Err(StorageError::field(
            "capacity",
            "bimtek.capacity_below_registered",
        ));
    }
    let mut m: training_event::ActiveModel = cur.into();
    m.title = Set(d.title.clone());
    m.topic = Set(d.topic.clone());
    m.application_id = Set(d.application_id);
    m.starts_at = Set(d.starts_at);
    m.ends_at = Set(d.ends_at);
    m.place = Set(d.place.clone());
    m.trainers = Set(d.trainers.clone());
    m.capacity = Set(d.capacity);
    m.updated_at = Set(Utc::now());
    m.update(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("training.event_update", "training_event", id).after(&d),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Invites a unit to send staff.
pub async fn invite(
    store: &Store,
    actor: &AuditActor,
    event_id: i64,
    unit_code: &str,
) -> Result<()> {
    let unit = crate::units::find_by_code(&store.reader, unit_code)
        .await?
        .ok_or_else(|| StorageError::field("unit_code", "unknown_unit"))?;
    let tx = store.writer.begin().await?;
    if training_event::Entity::find_by_id(event_id)
        .one(&tx)
        .await?
        .is_none()
    {
        return Err(StorageError::NotFound);
    }
    training_invitation::ActiveModel {
        event_id: Set(event_id),
        unit_id: Set(unit.id.0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "unit_code", "bimtek.already_invited"))?;
    audit::append(
        &tx,
        actor,
        Change::new("training.invite", "training_event", event_id)
            .after(&serde_json::json!({"unit": unit.code.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The units a person may register staff of (for admins: all invited units).
pub async fn invited_units(store: &Store, event_id: i64) -> Result<Vec<i64>> {
    Ok(training_invitation::Entity::find()
        .filter(training_invitation::Column::EventId.eq(event_id))
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|i| i.unit_id)
        .collect())
}

/// Active staff of the given units: (user id, full name, unit id).
pub async fn staff_of(store: &Store, units: &[i64]) -> Result<Vec<(i64, String, i64)>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UnitId.is_in(units.to_vec()))
        .all(&store.reader)
        .await?;
    let ids: Vec<i64> = roles.iter().map(|r| r.user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::FullName)
        .all(&store.reader)
        .await?;
    let mut out = Vec::new();
    for u in users {
        for r in roles.iter().filter(|r| r.user_id == u.id) {
            if let Some(unit) = r.unit_id {
                if !out.iter().any(|(id, _, un)| *id == u.id && *un == unit) {
                    out.push((u.id, u.full_name.clone(), unit));
                }
            }
        }
    }
    Ok(out)
}

/// Registers one staff member of an invited unit, within the capacity. The caller has checked
/// that the actor may register this unit's staff.
pub async fn register(
    store: &Store,
    actor: &AuditActor,
    event_id: i64,
    unit_id: i64,
    user_id: i64,
) -> Result<String> {
    let person = user::Entity::find_by_id(user_id)
        .one(&store.reader)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| StorageError::field("user_id", "bimtek.not_in_unit"))?;
    let in_unit = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::UnitId.eq(unit_id))
        .count(&store.reader)
        .await?
        > 0;
    if !in_unit {
        return Err(StorageError::field("user_id", "bimtek.not_in_unit"));
    }
    // a fresh code per attempt: a collision (1 in 10^11) is retried, not reported
    for _ in 0..3 {
        let mut b = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut b);
        let code = checkin_code(b);
        let tx = store.writer.begin().await?;
        let event = crate::rows::locked::<training_event::Entity>(&tx, event_id).await?;
        let invited = training_invitation::Entity::find()
            .filter(training_invitation::Column::EventId.eq(event_id))
            .filter(training_invitation::Column::UnitId.eq(unit_id))
            .count(&tx)
            .await?
            > 0;
        if !invited {
            return Err(StorageError::field("user_id", "bimtek.unit_not_invited"));
        }
        let already = training_registration::Entity::find()
            .filter(training_registration::Column::EventId.eq(event_id))
            .filter(training_registration::Column::UserId.eq(user_id))
            .count(&tx)
            .await?
            > 0;
        if already {
            return Err(StorageError::field("user_id", "bimtek.already_registered"));
        }
        let registered = training_registration::Entity::find()
            .filter(training_registration::Column::EventId.eq(event_id))
            .count(&tx)
            .await?;
        if !has_room(registered, event.capacity) {
            return Err(StorageError::field("user_id", "bimtek.full"));
        }
        let inserted = training_registration::ActiveModel {
            event_id: Set(event_id),
            user_id: Set(user_id),
            unit_id: Set(unit_id),
            participant_name: Set(person.full_name.clone()),
            checkin_code: Set(code.clone()),
            registered_by: Set(actor.label()),
            registered_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&tx)
        .await;
        let reg = match inserted {
            Ok(r) => r,
            Err(e) => match StorageError::on_unique(e, "user_id", "bimtek.already_registered") {
                // the (event, user) pair was checked under the lock: this was the code
                StorageError::Invalid(_) => continue,
                other => return Err(other),
            },
        };
        audit::append(
            &tx,
            actor,
            Change::new("training.register", "training_event", event_id).after(
                &serde_json::json!({"registration": reg.id, "user": user_id, "unit": unit_id}),
            ),
        )
        .await?;
        tx.commit().await?;
        return Ok(code);
    }
    Err(StorageError::Other(
        "could not draw a unique check-in code".into(),
    ))
}

/// What a successful check-in tells the trainer.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedIn {
    pub participant_name: String,
    pub unit_name: String,
    pub certificate_code: String,
}

/// Checks a participant in with their code, once, for this event only, and issues their
/// certificate code.
pub async fn check_in(
    store: &Store,
    actor: &AuditActor,
    event_id: i64,
    raw_code: &str,
    now: DateTime<Utc>,
) -> Result<CheckedIn> {
    let refuse = |r: CheckinRefusal| StorageError::field("code", r.code());
    let code = normalise_checkin_code(raw_code).ok_or(refuse(CheckinRefusal::Unknown))?;
    for _ in 0..3 {
        let tx = store.writer.begin().await?;
        let event = crate::rows::by_id::<training_event::Entity>(&tx, event_id).await?;
        let reg = training_registration::Entity::find()
            .filter(training_registration::Column::CheckinCode.eq(code.clone()))
            .lock(LockType::Update)
            .one(&tx)
            .await?
            .ok_or(refuse(CheckinRefusal::Unknown))?;
        check_rule(
            event_id,
            reg.event_id,
            reg.checked_in_at.is_some(),
            now,
            event.starts_at,
            event.ends_at,
        )
        .map_err(refuse)?;
        let mut b = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut b);
        let cert = certificate_code(b);
        // only a registration not yet checked in matches: a code works once
        let done = training_registration::Entity::update_many()
            .col_expr(
                training_registration::Column::CheckedInAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .col_expr(
                training_registration::Column::CertificateCode,
                sea_orm::sea_query::Expr::value(cert.clone()),
            )
            .col_expr(
                training_registration::Column::CertifiedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(training_registration::Column::Id.eq(reg.id))
            .filter(training_registration::Column::CheckedInAt.is_null())
            .exec(&tx)
            .await;
        match done {
            Ok(r) if r.rows_affected == 1 => {}
            Ok(_) => return Err(refuse(CheckinRefusal::AlreadyUsed)),
            Err(e) => match StorageError::on_unique(e, "code", "bimtek.code_used") {
                StorageError::Invalid(_) => continue, // certificate code collision
                other => return Err(other),
            },
        }
        audit::append(
            &tx,
            actor,
            Change::new("training.check_in", "training_event", event_id)
                .after(&serde_json::json!({"registration": reg.id, "certificate": cert})),
        )
        .await?;
        tx.commit().await?;
        let unit_name = unit::Entity::find_by_id(reg.unit_id)
            .one(&store.reader)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        return Ok(CheckedIn {
            participant_name: reg.participant_name,
            unit_name,
            certificate_code: cert,
        });
    }
    Err(StorageError::Other(
        "could not draw a unique certificate code".into(),
    ))
}

pub async fn add_material(
    store: &Store,
    actor: &AuditActor,
    event_id: i64,
    title: String,
    url: String,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    if training_event::Entity::find_by_id(event_id)
        .one(&tx)
        .await?
        .is_none()
    {
        return Err(StorageError::NotFound);
    }
    let m = training_material::ActiveModel {
        event_id: Set(event_id),
        title: Set(title),
        url: Set(url),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        actor,
        Change::new("training.material_add", "training_event", event_id)
            .after(&serde_json::json!({"material": m.id, "title": m.title, "url": m.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The participant's own evaluation, once, after attending.
pub async fn evaluate(
    store: &Store,
    actor: &AuditActor,
    user_id: i64,
    registration_id: i64,
    input: &EvaluationInput,
) -> Result<()> {
    let ev = input.parse().map_err(StorageError::Invalid)?;
    let tx = store.writer.begin().await?;
    let reg = training_registration::Entity::find_by_id(registration_id)
        .one(&tx)
        .await?
        .filter(|r| r.user_id == user_id)
        .ok_or(StorageError::NotFound)?;
    if reg.checked_in_at.is_none() {
        return Err(StorageError::field("content", "bimtek.not_attended"));
    }
    training_evaluation::ActiveModel {
        registration_id: Set(reg.id),
        content: Set(i32::from(ev.content)),
        trainer: Set(i32::from(ev.trainer)),
        usefulness: Set(i32::from(ev.usefulness)),
        comment: Set(ev.comment.clone()),
        submitted_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "content", "bimtek.already_evaluated"))?;
    audit::append(
        &tx,
        actor,
        Change::new("training.evaluate", "training_event", reg.event_id)
            .after(&serde_json::json!({"registration": reg.id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person's own registrations, with their events, newest first.
pub async fn mine(store: &Store, user_id: i64) -> Result<Vec<(Event, Registration)>> {
    let regs = training_registration::Entity::find()
        .filter(training_registration::Column::UserId.eq(user_id))
        .all(&store.reader)
        .await?;
    let mut out = Vec::new();
    for r in regs {
        let detail = get(store, r.event_id).await?;
        if let Some(reg) = detail.registrations.iter().find(|x| x.id == r.id).cloned() {
            out.push((detail.event, reg));
        }
    }
    out.sort_by_key(|x| std::cmp::Reverse(x.0.starts_at));
    Ok(out)
}

/// What the public verification page and the certificate show: the minimum that makes a
/// certificate checkable.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub code: String,
    pub participant_name: String,
    pub unit_name: String,
    pub event_title: String,
    pub application_name: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub trainers: String,
    pub issued_at: DateTime<Utc>,
}

pub async fn certificate(store: &Store, raw: &str) -> Result<Certificate> {
    let code = normalise_certificate_code(raw).ok_or(StorageError::NotFound)?;
    let reg = training_registration::Entity::find()
        .filter(training_registration::Column::CertificateCode.eq(code.clone()))
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let event = crate::rows::by_id::<training_event::Entity>(&store.reader, reg.event_id).await?;
    let unit_name = unit::Entity::find_by_id(reg.unit_id)
        .one(&store.reader)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let application_name = match event.application_id {
        Some(a) => application::Entity::find_by_id(a)
            .one(&store.reader)
            .await?
            .map(|a| a.name),
        None => None,
    };
    Ok(Certificate {
        code,
        participant_name: reg.participant_name,
        unit_name,
        event_title: event.title,
        application_name,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        place: event.place,
        trainers: event.trainers,
        issued_at: reg.certified_at.unwrap_or(event.ends_at),
    })
}

/// Per unit: its staff, who attended which application's training, and who has not been
/// trained at all yet.
#[derive(Debug, Clone, Serialize)]
pub struct UnitTraining {
    pub unit_id: i64,
    pub unit_name: String,
    pub staff: usize,
    pub trained: usize,
    /// Application (or "general" for events without one) and how many staff attended.
    pub per_application: Vec<(String, usize)>,
    /// Staff with no attended training.
    pub untrained: Vec<String>,
}

pub async fn per_unit(store: &Store, only: Option<&[i64]>) -> Result<Vec<UnitTraining>> {
    let units = unit::Entity::find()
        .order_by_asc(unit::Column::Name)
        .all(&store.reader)
        .await?;
    let apps = app_names(store).await?;
    let events: HashMap<i64, Option<i64>> = training_event::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|e| (e.id, e.application_id))
        .collect();
    let attended: Vec<training_registration::Model> = training_registration::Entity::find()
        .filter(training_registration::Column::CheckedInAt.is_not_null())
        .all(&store.reader)
        .await?;
    let mut out = Vec::new();
    for u in units {
        if only.is_some_and(|o| !o.contains(&u.id)) {
            continue;
        }
        let staff = staff_of(store, &[u.id]).await?;
        let here: Vec<&training_registration::Model> =
            attended.iter().filter(|r| r.unit_id == u.id).collect();
        if staff.is_empty() && here.is_empty() {
            continue;
        }
        let mut per_app: Vec<(String, usize)> = Vec::new();
        let mut seen: Vec<(String, i64)> = Vec::new();
        for r in &here {
            let name = events
                .get(&r.event_id)
                .copied()
                .flatten()
                .and_then(|a| apps.get(&a).cloned())
                .unwrap_or_else(|| "-".into());
            if seen.contains(&(name.clone(), r.user_id)) {
                continue;
            }
            seen.push((name.clone(), r.user_id));
            match per_app.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => per_app.push((name, 1)),
            }
        }
        let trained_ids: Vec<i64> = here.iter().map(|r| r.user_id).collect();
        let untrained: Vec<String> = staff
            .iter()
            .filter(|(id, ..)| !trained_ids.contains(id))
            .map(|(_, n, _)| n.clone())
            .collect();
        out.push(UnitTraining {
            unit_id: u.id,
            unit_name: u.name,
            staff: staff.len(),
            trained: staff.len() - untrained.len(),
            per_application: per_app,
            untrained,
        });
    }
    Ok(out)
}
