//! The learned routing suggestions: training a model from the requests the regency dispatched
//! (read page by page, so a million requests never sit in memory at once), storing it so every
//! node uses the same one, suggesting units for a request on the desk, and recording what the
//! desk chose, with the accuracy that follows from those choices.
//!
//! The training reads only the public (masked) text of requests, their kecamatan and kind, and
//! the units they were dispatched to: what the desk already sees, without personal data. The
//! model and the suggestions are shown to staff only.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{request, request_unit, routing_choice, routing_model, unit};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::ids::{RequestId, UnitId};
use kotapintar_domain::policy::Actor;
use kotapintar_domain::request::{RequestRules, StaffAction, Status};
use kotapintar_domain::routing::{
    rank_of_choice, Example, Model, StoredModel, Suggestion, Text, Trainer, SHOWN,
};
use kotapintar_domain::text::Analyzer;
use kotapintar_domain::working_days::Calendar;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set, TransactionTrait,
};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// Requests read per page while training or evaluating.
const PAGE: u64 = 5_000;

/// Models kept besides the newest (to compare after a retraining).
const KEEP_OLDER: usize = 2;

/// What the staff pages show of a stored model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: i64,
    pub trained_at: DateTime<Utc>,
    pub examples: i64,
    pub units: i32,
    pub took_ms: i64,
    pub requested_by: String,
}

impl From<routing_model::Model> for ModelInfo {
    fn from(m: routing_model::Model) -> Self {
        Self {
            id: m.id,
            trained_at: m.trained_at,
            examples: m.examples,
            units: m.units,
            took_ms: m.took_ms,
            requested_by: m.requested_by,
        }
    }
}

/// The newest model's description, if one was trained.
pub async fn latest_info(store: &Store) -> Result<Option<ModelInfo>> {
    Ok(routing_model::Entity::find()
        .select_only()
        .columns([
            routing_model::Column::Id,
            routing_model::Column::TrainedAt,
            routing_model::Column::Examples,
            routing_model::Column::Units,
            routing_model::Column::HistoryFrom,
            routing_model::Column::HistoryTo,
            routing_model::Column::TookMs,
            routing_model::Column::RequestedBy,
        ])
        .column_as(Expr::val(""), "model")
        .order_by_desc(routing_model::Column::Id)
        .into_model::<routing_model::Model>()
        .one(&store.reader)
        .await?
        .map(ModelInfo::from))
}

/// Which window of the history to read, by when requests arrived.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

/// Calls `f` with every dispatched request in `window` and a unit it is handled by (a request
/// handled by two units is two examples), oldest disposition first, reading a page at a time.
pub async fn each_example(
    store: &Store,
    window: Window,
    mut f: impl FnMut(Example),
) -> Result<u64> {
    let mut after = 0i64;
    let mut n = 0;
    loop {
        let mut q = request_unit::Entity::find()
            .select_only()
            .column(request_unit::Column::Id)
            .column(request_unit::Column::UnitId)
            .column(request::Column::PublicTitle)
            .column(request::Column::PublicDescription)
            .column(request::Column::DistrictCode)
            .column(request::Column::Kind)
            .column(request::Column::ReceivedAt)
            .join(JoinType::InnerJoin, request_unit::Relation::Request.def())
            .filter(request_unit::Column::Active.eq(true))
            .filter(request_unit::Column::Id.gt(after));
        if let Some(from) = window.from {
            q = q.filter(request::Column::ReceivedAt.gte(from));
        }
        if let Some(before) = window.before {
            q = q.filter(request::Column::ReceivedAt.lt(before));
        }
        type Row = (
            i64,
            i64,
            String,
            String,
            Option<String>,
            String,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = q
            .order_by_asc(request_unit::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(&store.reader)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.0;
        for (_, unit, title, description, district, kind, at) in rows {
            n += 1;
            f(Example {
                title,
                description,
                district,
                kind,
                unit: UnitId(unit),
                at,
            });
        }
    }
}

/// Trains a model on the whole dispatched history and stores it as the one in use; keeps the
/// two before it and removes older ones. `requested_by`: "nightly" or the admin's username.
pub async fn train(store: &Store, requested_by: &str) -> Result<ModelInfo> {
    let started = std::time::Instant::now();
    let mut trainer = Trainer::default();
    let (mut first, mut last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = (None, None);
    each_example(store, Window::default(), |e| {
        first = Some(first.map_or(e.at, |f| f.min(e.at)));
        last = Some(last.map_or(e.at, |l| l.max(e.at)));
        trainer.add(e.text(), e.unit);
    })
    .await?;
    let stored = trainer.finish();
    let units = stored.units.len() as i32;
    let examples = stored.examples() as i64;
    let json = serde_json::to_string(&stored).map_err(|e| StorageError::Other(e.to_string()))?;
    drop(stored);
    let tx = store.writer.begin().await?;
    let saved = routing_model::ActiveModel {
        trained_at: Set(Utc::now()),
        examples: Set(examples),
        units: Set(units),
        history_from: Set(first),
        history_to: Set(last),
        took_ms: Set(started.elapsed().as_millis() as i64),
        requested_by: Set(requested_by.chars().take(100).collect()),
        model: Set(json),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    // a handful of rows; SQLite has no OFFSET without LIMIT
    let older: Vec<i64> = routing_model::Entity::find()
        .select_only()
        .column(routing_model::Column::Id)
        .filter(routing_model::Column::Id.lt(saved.id))
        .order_by_desc(routing_model::Column::Id)
        .into_tuple()
        .all(&tx)
        .await?
        .into_iter()
        .skip(KEEP_OLDER)
        .collect();
    if !older.is_empty() {
        routing_model::Entity::delete_many()
            .filter(routing_model::Column::Id.is_in(older))
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(saved.into())
}

/// Queues a training now (the admin's button); audited.
pub async fn request_training(store: &Store, actor: &Actor) -> Result<()> {
    use kotapintar_domain::job::{Job, TrainRouting};
    let tx = store.writer.begin().await?;
    let by = actor.username.as_str().to_string();
    crate::jobs::enqueue(
        &tx,
        &Job::TrainRouting(TrainRouting {
            requested_by: by.clone(),
        }),
        Utc::now(),
    )
    .await?;
    audit::append(
        &tx,
        &AuditActor::Staff {
            user_id: actor.user_id.0,
            username: by,
        },
        Change::new("routing.train_requested", "routing_model", 0),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a training is queued to run now (asked for, not the nightly one still ahead).
pub async fn training_due(store: &Store) -> Result<bool> {
    use crate::entity::job;
    Ok(job::Entity::find()
        .filter(job::Column::Kind.eq(kotapintar_domain::job::TRAIN_ROUTING))
        .filter(job::Column::RunAt.lte(Utc::now()))
        .filter(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
        .count(&store.reader)
        .await?
        > 0)
}

/// The model in use, kept in memory and read again only when a newer one is stored (one small
/// query per suggestion tells), so every node suggests from the same model.
#[derive(Default, Clone)]
pub struct ModelCache {
    current: Arc<RwLock<Option<Arc<Loaded>>>>,
}

/// A model read from the database.
pub struct Loaded {
    pub id: i64,
    pub model: Model,
}

impl ModelCache {
    /// The newest model, if one was trained.
    pub async fn get(&self, store: &Store) -> Result<Option<Arc<Loaded>>> {
        let newest: Option<i64> = routing_model::Entity::find()
            .select_only()
            .column(routing_model::Column::Id)
            .order_by_desc(routing_model::Column::Id)
            .into_tuple()
            .one(&store.reader)
            .await?;
        let Some(newest) = newest else {
            return Ok(None);
        };
        if let Ok(held) = self.current.read() {
            if let Some(l) = held.as_ref().filter(|l| l.id == newest) {
                return Ok(Some(l.clone()));
            }
        }
        let Some(row) = routing_model::Entity::find_by_id(newest)
            .one(&store.reader)
            .await?
        else {
            return Ok(None);
        };
        let corrupt = |e: String| StorageError::Corrupt {
            what: format!("routing_models {newest} model"),
            value: e,
        };
        let stored: StoredModel =
            serde_json::from_str(&row.model).map_err(|e| corrupt(e.to_string()))?;
        let model = Model::from_stored(stored).map_err(|e| corrupt(e.to_string()))?;
        let loaded = Arc::new(Loaded { id: newest, model });
        if let Ok(mut held) = self.current.write() {
            *held = Some(loaded.clone());
        }
        Ok(Some(loaded))
    }
}

/// The units suggested for a request on the desk, with the model they came from; none when
/// no model was trained or the request is no longer waiting for the desk.
pub async fn suggest(
    store: &Store,
    cache: &ModelCache,
    request_id: RequestId,
) -> Result<Option<(i64, Vec<Suggestion>)>> {
    let Some(row) = request::Entity::find_by_id(request_id.0)
        .one(&store.reader)
        .await?
    else {
        return Err(StorageError::NotFound);
    };
    if !matches!(row.status.as_str(), "diterima" | "diverifikasi") {
        return Ok(None);
    }
    let Some(loaded) = cache.get(store).await? else {
        return Ok(None);
    };
    let active: HashSet<i64> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Id)
        .filter(unit::Column::Active.eq(true))
        .into_tuple()
        .all(&store.reader)
        .await?
        .into_iter()
        .collect();
    let text = Text {
        title: &row.public_title,
        description: &row.public_description,
        district: row.district_code.as_deref(),
        kind: &row.kind,
    };
    let s = loaded
        .model
        .suggest(&Analyzer::default(), text, SHOWN, |u| active.contains(&u.0));
    Ok((!s.is_empty()).then_some((loaded.id, s)))
}

/// Dispatches a request from the desk (the workflow's dispatch step) and, if suggestions were
/// shown for it, records in the same transaction which units they were, which was chosen and
/// by whom: the chosen unit's place among them, or an override.
pub async fn dispatch(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    id: RequestId,
    action: StaffAction,
    shown: Option<(i64, Vec<Suggestion>)>,
) -> Result<Status> {
    let StaffAction::Dispatch { units, .. } = &action else {
        return Err(StorageError::Other("not a dispatch".into()));
    };
    let chosen = units.clone();
    let tx = store.writer.begin().await?;
    let status = crate::requests::act_in(&tx, rules, calendar, actor, id, &action).await?;
    if let (Some((model_id, shown)), Some(first)) = (shown, chosen.first()) {
        let rank = rank_of_choice(&shown, &chosen);
        let shown_json =
            serde_json::to_string(&shown).map_err(|e| StorageError::Other(e.to_string()))?;
        let saved = routing_choice::ActiveModel {
            request_id: Set(id.0),
            model_id: Set(model_id),
            shown: Set(shown_json),
            chosen_unit_id: Set(first.0),
            rank: Set(rank.map(i32::from)),
            decided_by: Set(actor.user_id.0),
            decided_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        let what = if rank.is_some() {
            "routing.suggestion_accepted"
        } else {
            "routing.suggestion_overridden"
        };
        audit::append(
            &tx,
            &AuditActor::Staff {
                user_id: actor.user_id.0,
                username: actor.username.as_str().to_string(),
            },
            Change::new(what, "request", id).after(&serde_json::json!({
                "choice": saved.id,
                "model": model_id,
                "shown": shown.iter().map(|s| s.unit.0).collect::<Vec<_>>(),
                "chosen": first.0,
                "rank": rank,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(status)
}

/// One recorded choice, as the request page and the tests read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub model_id: i64,
    pub shown: Vec<Suggestion>,
    pub chosen: UnitId,
    pub rank: Option<u8>,
    pub decided_by: i64,
    pub decided_at: DateTime<Utc>,
}

/// The choices recorded on a request, oldest first.
pub async fn choices_of(store: &Store, request_id: RequestId) -> Result<Vec<Choice>> {
    let request_id = request_id.0;
    let rows = routing_choice::Entity::find()
        .filter(routing_choice::Column::RequestId.eq(request_id))
        .order_by_asc(routing_choice::Column::Id)
        .all(&store.reader)
        .await?;
    rows.into_iter()
        .map(|r| {
            let shown = serde_json::from_str(&r.shown).map_err(|_| StorageError::Corrupt {
                what: format!("routing_choices {} shown", r.id),
                value: r.shown.clone(),
            })?;
            Ok(Choice {
                model_id: r.model_id,
                shown,
                chosen: UnitId(r.chosen_unit_id),
                rank: r.rank.and_then(|n| u8::try_from(n).ok()),
                decided_by: r.decided_by,
                decided_at: r.decided_at,
            })
        })
        .collect()
}

/// How often the desk took the first suggestion, or one of the three, since `since`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accuracy {
    pub decided: u64,
    pub top1: u64,
    pub top3: u64,
}

impl Accuracy {
    pub fn percent(n: u64, of: u64) -> Option<u64> {
        (of > 0).then(|| (n * 100 + of / 2) / of)
    }
    pub fn top1_percent(&self) -> Option<u64> {
        Self::percent(self.top1, self.decided)
    }
    pub fn top3_percent(&self) -> Option<u64> {
        Self::percent(self.top3, self.decided)
    }
}

pub async fn accuracy(store: &Store, since: DateTime<Utc>) -> Result<Accuracy> {
    let base =
        || routing_choice::Entity::find().filter(routing_choice::Column::DecidedAt.gte(since));
    Ok(Accuracy {
        decided: base().count(&store.reader).await?,
        top1: base()
            .filter(routing_choice::Column::Rank.eq(1))
            .count(&store.reader)
            .await?,
        top3: base()
            .filter(routing_choice::Column::Rank.is_not_null())
            .count(&store.reader)
            .await?,
    })
}
