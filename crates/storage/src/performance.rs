//! Performance figures (kinerja): keeping the counters current, and reading them.
//!
//! Each workflow step that changes what a request counts (filed, verified, rejected,
//! dispatched, forwarded, resolved, reopened) calls [`refresh`] in its own transaction: the
//! request's facts are derived again from its stored state and timeline, and only the
//! difference to the stored facts is added to the counters. So the figures are current the
//! moment the step commits, and pages sum a few small counter rows instead of scanning
//! requests. [`rebuild`] derives everything again from the requests (for data stored before
//! the counters existed, or to check them).

use crate::entity::{
    perf_counter, perf_summary, request, request_event, request_fact, request_unit, survey, unit,
    user, user_role,
};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kotapintar_domain::event::{DomainEvent, PerformanceRebuilt};
use kotapintar_domain::ikm::{Score, SurveyResponse, Unsur};
use kotapintar_domain::performance::{
    self, CounterKey, Deltas, Dim, Facts, Figures, History, Metric, Period, Span, REGENCY,
};
use kotapintar_domain::request::Status;
use kotapintar_domain::working_days::Calendar;
use sea_orm::sea_query::{Alias, Expr, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Month rows live beside the day rows in the same table, told apart by their `dim`:
/// `all`, `svc`, ... for a day, `all/m`, `svc/m`, ... for a month (keyed by its first day). A
/// query for one never sees the other, so no period is counted twice.
fn stored_dim(dim: Dim, span: Span) -> String {
    match span {
        Span::Day => dim.as_str().to_string(),
        Span::Month => format!("{}/m", dim.as_str()),
    }
}

fn parse_stored_dim(s: &str) -> Option<(Dim, Span)> {
    match s.strip_suffix("/m") {
        Some(d) => Dim::parse(d).map(|d| (d, Span::Month)),
        None => Dim::parse(s).map(|d| (d, Span::Day)),
    }
}

/// Adds counter changes to the day rows and the month rows, in batches of upserts (one
/// statement per 500 keys).
pub async fn apply(db: &impl ConnectionTrait, deltas: &Deltas) -> Result<()> {
    let monthly = performance::by_month(deltas);
    let rows: Vec<perf_counter::ActiveModel> = [(Span::Day, deltas), (Span::Month, &monthly)]
        .into_iter()
        .flat_map(|(span, deltas)| deltas.iter().map(move |(k, n)| (span, k, n)))
        .filter(|(_, _, n)| **n != 0)
        .map(|(span, k, n)| perf_counter::ActiveModel {
            scope: Set(k.scope),
            dim: Set(stored_dim(k.dim, span)),
            day: Set(day(k.day)),
            dim_key: Set(k.key.clone()),
            metric: Set(k.metric.as_str().into()),
            bucket: Set(k.bucket),
            n: Set(*n),
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(500).collect();
        perf_counter::Entity::insert_many(batch)
            .on_conflict(
                OnConflict::columns([
                    perf_counter::Column::Scope,
                    perf_counter::Column::Dim,
                    perf_counter::Column::Day,
                    perf_counter::Column::DimKey,
                    perf_counter::Column::Metric,
                    perf_counter::Column::Bucket,
                ])
                .value(
                    perf_counter::Column::N,
                    Expr::cust("perf_counters.n + excluded.n"),
                )
                .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

fn fact_row(request_id: i64, f: &Facts) -> request_fact::ActiveModel {
    request_fact::ActiveModel {
        request_id: Set(request_id),
        units: Set(f
            .units
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")),
        received_on: Set(day(f.received_on)),
        verified_on: Set(f.verified_on.map(day)),
        rejected_on: Set(f.rejected_on.map(day)),
        resolved_on: Set(f.resolved_on.map(day)),
        facts: Set(serde_json::to_string(f).unwrap_or_default()),
        updated_at: Set(Utc::now()),
    }
}

/// The history of a request as the figures need it, from its row, its timeline and its
/// active dispositions.
async fn history(db: &impl ConnectionTrait, row: &request::Model) -> Result<History> {
    let verified_at = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::Step.is_in(["verify", "dispatch"]))
        .order_by_asc(request_event::Column::Id)
        .one(db)
        .await?
        .map(|e| e.at);
    let units: Vec<i64> = request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(row.id))
        .filter(request_unit::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.unit_id)
        .collect();
    let mut h = history_of(row, verified_at, units);
    h.returned_at = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::Step.eq(RETURNED_STEP))
        .order_by_asc(request_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.at)
        .collect();
    Ok(h)
}

/// The timeline's name of the desk returning a follow-up (validated closure).
const RETURNED_STEP: &str = kotapintar_domain::event::RequestStep::ReturnFollowUp.name();

fn history_of(
    row: &request::Model,
    verified_at: Option<DateTime<Utc>>,
    units: Vec<i64>,
) -> History {
    let rejected = row.status == Status::Ditolak.as_str();
    let referred = row.status == Status::Dialihkan.as_str();
    History {
        received_at: row.received_at,
        verified_at,
        rejected_at: if rejected {
            Some(row.closed_at.unwrap_or(row.updated_at))
        } else {
            None
        },
        resolved_at: row.resolved_at,
        resolve_due_at: row.resolve_due_at,
        units,
        service_id: row.service_id,
        district_code: row.district_code.clone(),
        village_code: row.village_code.clone(),
        returned_at: Vec::new(),
        referred_at: referred.then(|| row.closed_at.unwrap_or(row.updated_at)),
    }
}

/// Brings one request's facts and the counters up to date, in the caller's transaction
/// (the step's own). Cheap when nothing changed for the figures.
pub async fn refresh(
    db: &impl ConnectionTrait,
    request_id: i64,
    calendar: &Calendar,
    offset: FixedOffset,
) -> Result<()> {
    let Some(row) = request::Entity::find_by_id(request_id).one(db).await? else {
        return Ok(());
    };
    let stored = request_fact::Entity::find_by_id(request_id).one(db).await?;
    let old: Option<Facts> = stored
        .as_ref()
        .and_then(|s| serde_json::from_str(&s.facts).ok());
    // a duplicate merged into another case is that case, not a request of its own: it leaves
    // the figures (received, late, resolved) until it is unmerged, when this adds it back
    if row.merged_into.is_some() {
        apply(db, &performance::diff(old.as_ref(), None)).await?;
        if stored.is_some() {
            request_fact::Entity::delete_by_id(request_id)
                .exec(db)
                .await?;
        }
        return Ok(());
    }
    let new = Facts::from_history(&history(db, &row).await?, calendar, offset);
    if old.as_ref() == Some(&new) {
        return Ok(());
    }
    apply(db, &performance::diff(old.as_ref(), Some(&new))).await?;
    let m = fact_row(request_id, &new);
    if stored.is_some() {
        m.update(db).await?;
    } else {
        m.insert(db).await?;
    }
    Ok(())
}

/// The facts of a request just filed (no units, no steps yet): no reads needed.
pub(crate) async fn record_new(
    db: &impl ConnectionTrait,
    row: &request::Model,
    calendar: &Calendar,
    offset: FixedOffset,
) -> Result<()> {
    let facts = Facts::from_history(&history_of(row, None, Vec::new()), calendar, offset);
    apply(db, &facts.contributions()).await?;
    fact_row(row.id, &facts).insert(db).await?;
    Ok(())
}

/// One stored survey as the domain's response (answers by unsur); a stored score outside the
/// scale counts as not given, as a blank one does.
fn survey_response(s: &survey::Model) -> SurveyResponse {
    let scores = [s.u1, s.u2, s.u3, s.u4, s.u5, s.u6, s.u7, s.u8, s.u9];
    SurveyResponse {
        answers: Unsur::ALL
            .iter()
            .zip(scores)
            .filter_map(|(u, v)| Some((*u, Score::from_int(i64::from(v?)).ok()?)))
            .collect(),
    }
}

/// Answers of one survey, as unsur → score.
fn survey_answers(s: &survey::Model) -> BTreeMap<Unsur, u8> {
    survey_response(s)
        .answers
        .into_iter()
        .map(|(u, score)| (u, score.value()))
        .collect()
}

/// The survey responses of a unit (or all) submitted in `[from, to)`, for the IKM.
pub async fn survey_responses(
    store: &Store,
    unit_id: Option<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<SurveyResponse>> {
    Ok(crate::requests::surveys(store, unit_id, None, from, to)
        .await?
        .iter()
        .map(survey_response)
        .collect())
}

/// Counts a survey response into the IKM counters (in the caller's transaction).
pub(crate) async fn record_survey(
    db: &impl ConnectionTrait,
    s: &survey::Model,
    offset: FixedOffset,
) -> Result<()> {
    let d = kotapintar_domain::working_days::local_date(s.submitted_at, offset);
    apply(
        db,
        &performance::survey_contributions(d, s.unit_id, &survey_answers(s)),
    )
    .await
}

/// Facts of several requests computed together, for [`rebuild`] and bulk loads.
pub(crate) async fn facts_of(
    db: &impl ConnectionTrait,
    rows: &[request::Model],
    calendar: &Calendar,
    offset: FixedOffset,
) -> Result<Vec<(i64, Facts)>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut verified: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for e in request_event::Entity::find()
        .filter(request_event::Column::RequestId.is_in(ids.clone()))
        .filter(request_event::Column::Step.is_in(["verify", "dispatch"]))
        .order_by_asc(request_event::Column::Id)
        .all(db)
        .await?
    {
        verified.entry(e.request_id).or_insert(e.at);
    }
    let mut returned: HashMap<i64, Vec<DateTime<Utc>>> = HashMap::new();
    for e in request_event::Entity::find()
        .filter(request_event::Column::RequestId.is_in(ids.clone()))
        .filter(request_event::Column::Step.eq(RETURNED_STEP))
        .order_by_asc(request_event::Column::Id)
        .all(db)
        .await?
    {
        returned.entry(e.request_id).or_default().push(e.at);
    }
    let mut units: HashMap<i64, Vec<i64>> = HashMap::new();
    for d in request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.is_in(ids))
        .filter(request_unit::Column::Active.eq(true))
        .all(db)
        .await?
    {
        units.entry(d.request_id).or_default().push(d.unit_id);
    }
    Ok(rows
        .iter()
        .map(|r| {
            let mut h = history_of(
                r,
                verified.get(&r.id).copied(),
                units.remove(&r.id).unwrap_or_default(),
            );
            h.returned_at = returned.remove(&r.id).unwrap_or_default();
            (r.id, Facts::from_history(&h, calendar, offset))
        })
        .collect())
}

/// Stores facts of requests that have none yet and adds them to the counters, in batches.
pub async fn load_facts(store: &Store, facts: &[(i64, Facts)]) -> Result<()> {
    for chunk in facts.chunks(1000) {
        let tx = store.writer.begin().await?;
        let mut deltas = Deltas::new();
        for (_, f) in chunk {
            performance::merge(&mut deltas, f.contributions());
        }
        apply(&tx, &deltas).await?;
        let rows: Vec<_> = chunk.iter().map(|(id, f)| fact_row(*id, f)).collect();
        for batch in rows.chunks(200) {
            request_fact::Entity::insert_many(batch.to_vec())
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Derives every request's facts and every counter again. Returns the number of requests.
pub async fn rebuild(store: &Store, calendar: &Calendar, offset: FixedOffset) -> Result<u64> {
    {
        let tx = store.writer.begin().await?;
        perf_counter::Entity::delete_many().exec(&tx).await?;
        request_fact::Entity::delete_many().exec(&tx).await?;
        tx.commit().await?;
    }
    let mut after = 0i64;
    let mut total = 0u64;
    loop {
        let rows = request::Entity::find()
            .filter(request::Column::Id.gt(after))
            .order_by_asc(request::Column::Id)
            .limit(2000)
            .all(&store.reader)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        // merged duplicates count as their primary case only (see `refresh`)
        let rows: Vec<request::Model> = rows
            .into_iter()
            .filter(|r| r.merged_into.is_none())
            .collect();
        total += rows.len() as u64;
        let facts = facts_of(&store.reader, &rows, calendar, offset).await?;
        load_facts(store, &facts).await?;
    }
    let mut deltas = Deltas::new();
    let mut last_survey = 0i64;
    loop {
        let surveys = survey::Entity::find()
            .filter(survey::Column::Id.gt(last_survey))
            .order_by_asc(survey::Column::Id)
            .limit(2000)
            .all(&store.reader)
            .await?;
        let Some(last) = surveys.last() else { break };
        last_survey = last.id;
        for s in &surveys {
            let d = kotapintar_domain::working_days::local_date(s.submitted_at, offset);
            performance::merge(
                &mut deltas,
                performance::survey_contributions(d, s.unit_id, &survey_answers(s)),
            );
        }
    }
    let tx = store.writer.begin().await?;
    apply(&tx, &deltas).await?;
    // every figure may have changed: tell the pages' caches (addressed to no unit's client)
    let event = DomainEvent::PerformanceRebuilt(PerformanceRebuilt { requests: total });
    crate::events::append_event(&tx, &event, &[], false).await?;
    tx.commit().await?;
    Ok(total)
}

/// Whether requests exist that the counters have never seen (stored before they existed).
pub async fn needs_rebuild(store: &Store) -> Result<bool> {
    if request_fact::Entity::find()
        .one(&store.reader)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    Ok(request::Entity::find()
        .filter(request::Column::MergedInto.is_null())
        .one(&store.reader)
        .await?
        .is_some())
}

// ---------------------------------------------------------------------------------------
// Reading

fn sum_n() -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::sum(Expr::col(perf_counter::Column::N))).cast_as(Alias::new("BIGINT"))
}

/// Summed counters of one scope and breakdown over a period: key → figures.
pub async fn breakdown(
    store: &Store,
    scope: i64,
    dim: Dim,
    period: Period,
) -> Result<BTreeMap<String, Figures>> {
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for (span, first, last) in period.spans() {
        let rows: Vec<(String, String, i32, i64)> = perf_counter::Entity::find()
            .select_only()
            .column(perf_counter::Column::DimKey)
            .column(perf_counter::Column::Metric)
            .column(perf_counter::Column::Bucket)
            .column_as(sum_n(), "n")
            .filter(perf_counter::Column::Scope.eq(scope))
            .filter(perf_counter::Column::Dim.eq(stored_dim(dim, span)))
            .filter(perf_counter::Column::Day.between(day(first), day(last)))
            .group_by(perf_counter::Column::DimKey)
            .group_by(perf_counter::Column::Metric)
            .group_by(perf_counter::Column::Bucket)
            .into_tuple()
            .all(&store.reader)
            .await?;
        for (key, metric, bucket, n) in rows {
            if let Some(m) = Metric::parse(&metric) {
                out.entry(key).or_default().add(m, bucket, n);
            }
        }
    }
    Ok(out)
}

/// The figures of one scope over a period.
pub async fn totals(store: &Store, scope: i64, period: Period) -> Result<Figures> {
    Ok(breakdown(store, scope, Dim::All, period)
        .await?
        .remove("")
        .unwrap_or_default())
}

/// Counts per day (received, verified, rejected, resolved; no histograms), for trends.
pub async fn daily(
    store: &Store,
    scope: i64,
    period: Period,
) -> Result<BTreeMap<NaiveDate, Figures>> {
    let metrics = [
        Metric::Received,
        Metric::Verified,
        Metric::Rejected,
        Metric::Resolved,
        Metric::OnTime,
        Metric::Late,
    ];
    let rows: Vec<(String, String, i64)> = perf_counter::Entity::find()
        .select_only()
        .column(perf_counter::Column::Day)
        .column(perf_counter::Column::Metric)
        .column(perf_counter::Column::N)
        .filter(perf_counter::Column::Scope.eq(scope))
        .filter(perf_counter::Column::Dim.eq(Dim::All.as_str()))
        .filter(perf_counter::Column::Day.between(day(period.from), day(period.to)))
        .filter(perf_counter::Column::Metric.is_in(metrics.iter().map(|m| m.as_str())))
        .into_tuple()
        .all(&store.reader)
        .await?;
    let mut out: BTreeMap<NaiveDate, Figures> = BTreeMap::new();
    for (d, metric, n) in rows {
        if let (Some(d), Some(m)) = (parse_day(&d), Metric::parse(&metric)) {
            out.entry(d).or_default().add(m, 0, n);
        }
    }
    Ok(out)
}

/// Every unit's figures over a period (for the ranking): unit id → figures.
pub async fn per_unit(store: &Store, period: Period) -> Result<BTreeMap<i64, Figures>> {
    let mut out: BTreeMap<i64, Figures> = BTreeMap::new();
    for (span, first, last) in period.spans() {
        let rows: Vec<(i64, String, i32, i64)> = perf_counter::Entity::find()
            .select_only()
            .column(perf_counter::Column::Scope)
            .column(perf_counter::Column::Metric)
            .column(perf_counter::Column::Bucket)
            .column_as(sum_n(), "n")
            .filter(perf_counter::Column::Dim.eq(stored_dim(Dim::All, span)))
            .filter(
                perf_counter::Column::Metric.is_in(
                    [
                        Metric::Received,
                        Metric::Resolved,
                        Metric::OnTime,
                        Metric::Late,
                        Metric::ResolveDays,
                    ]
                    .iter()
                    .map(|m| m.as_str()),
                ),
            )
            .filter(perf_counter::Column::Day.between(day(first), day(last)))
            .filter(perf_counter::Column::Scope.gt(REGENCY))
            .group_by(perf_counter::Column::Scope)
            .group_by(perf_counter::Column::Metric)
            .group_by(perf_counter::Column::Bucket)
            .into_tuple()
            .all(&store.reader)
            .await?;
        for (scope, metric, bucket, n) in rows {
            if let Some(m) = Metric::parse(&metric) {
                out.entry(scope).or_default().add(m, bucket, n);
            }
        }
    }
    Ok(out)
}

fn open_statuses() -> Vec<&'static str> {
    // a deferred request is open but its clock is suspended: never overdue nor stuck
    Status::ALL
        .iter()
        .filter(|s| s.can_be_late())
        .map(|s| s.as_str())
        .collect()
}

/// Requests overdue now: for the regency, and per unit holding them. Reads only the
/// overdue requests (through the deadline index), never all of them.
pub async fn overdue_now(store: &Store, now: DateTime<Utc>) -> Result<(i64, HashMap<i64, i64>)> {
    let total = request::Entity::find()
        .filter(request::Column::StageDueAt.lt(now))
        .filter(request::Column::Status.is_in(open_statuses()))
        .filter(request::Column::MergedInto.is_null())
        .count(&store.reader)
        .await?;
    // Driven by the overdue requests (deadline index), joined to their dispositions: the
    // cost follows the number of overdue requests, not the number of requests.
    let per_unit: Vec<(i64, i64)> = request::Entity::find()
        .select_only()
        .column(request_unit::Column::UnitId)
        .column_as(
            Expr::expr(Func::count(Expr::col((
                request_unit::Entity,
                request_unit::Column::Id,
            ))))
            .cast_as(Alias::new("BIGINT")),
            "n",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            request::Entity::belongs_to(request_unit::Entity)
                .from(request::Column::Id)
                .to(request_unit::Column::RequestId)
                .into(),
        )
        .filter(request::Column::StageDueAt.lt(now))
        .filter(request::Column::Status.is_in(open_statuses()))
        .filter(request::Column::MergedInto.is_null())
        .filter(request_unit::Column::Active.eq(true))
        .group_by(request_unit::Column::UnitId)
        .into_tuple()
        .all(&store.reader)
        .await?;
    Ok((total as i64, per_unit.into_iter().collect()))
}

/// An overdue or escalated request, for the leadership, with who holds it.
#[derive(Debug, Clone)]
pub struct StuckRequest {
    pub id: i64,
    pub tracking_code: String,
    pub title: String,
    pub status: Status,
    pub stage_due_at: Option<DateTime<Utc>>,
    pub escalation_level: i32,
    pub confidential: bool,
    /// (unit name, officer's name if one is assigned)
    pub holders: Vec<(String, Option<String>)>,
    pub unit_ids: Vec<i64>,
}

/// Open requests that are overdue or escalated, most overdue first (at most `limit`).
pub async fn stuck(store: &Store, now: DateTime<Utc>, limit: u64) -> Result<Vec<StuckRequest>> {
    let rows = request::Entity::find()
        .filter(request::Column::Status.is_in(open_statuses()))
        .filter(request::Column::MergedInto.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(request::Column::StageDueAt.lt(now))
                .add(request::Column::EscalationLevel.gt(0)),
        )
        .order_by_asc(request::Column::StageDueAt)
        .limit(limit)
        .all(&store.reader)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let dispositions = request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.is_in(ids))
        .filter(request_unit::Column::Active.eq(true))
        .all(&store.reader)
        .await?;
    let unit_names: HashMap<i64, String> = unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let officer_ids: Vec<i64> = dispositions.iter().filter_map(|d| d.officer_id).collect();
    let officers: HashMap<i64, String> = if officer_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(officer_ids))
            .all(&store.reader)
            .await?
            .into_iter()
            .map(|u| (u.id, u.full_name))
            .collect()
    };
    rows.into_iter()
        .map(|r| {
            let mine: Vec<_> = dispositions
                .iter()
                .filter(|d| d.request_id == r.id)
                .collect();
            Ok(StuckRequest {
                id: r.id,
                status: Status::parse(&r.status)
                    .map_err(|_| StorageError::corrupt("requests.status", &r.status))?,
                tracking_code: r.tracking_code,
                title: r.title,
                stage_due_at: r.stage_due_at,
                escalation_level: r.escalation_level,
                confidential: r.confidential,
                holders: mine
                    .iter()
                    .map(|d| {
                        (
                            unit_names.get(&d.unit_id).cloned().unwrap_or_default(),
                            d.officer_id.and_then(|o| officers.get(&o).cloned()),
                        )
                    })
                    .collect(),
                unit_ids: mine.iter().map(|d| d.unit_id).collect(),
            })
        })
        .collect()
}

/// A request as a point on the hot-spot map.
#[derive(Debug, Clone)]
pub struct MapRequest {
    pub id: i64,
    pub tracking_code: String,
    pub latitude: f64,
    pub longitude: f64,
    pub open: bool,
}

/// id, tracking code, latitude, longitude, status
type PointRow = (i64, String, Option<f64>, Option<f64>, String);

/// Requests with a position received in the period, newest first (at most `limit`).
pub async fn points(
    store: &Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<MapRequest>> {
    let rows: Vec<PointRow> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::TrackingCode)
        .column(request::Column::Latitude)
        .column(request::Column::Longitude)
        .column(request::Column::Status)
        .filter(request::Column::ReceivedAt.gte(from))
        .filter(request::Column::ReceivedAt.lt(to))
        .filter(request::Column::Latitude.is_not_null())
        .order_by_desc(request::Column::ReceivedAt)
        .limit(limit)
        .into_tuple()
        .all(&store.reader)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, code, lat, lon, status)| {
            Some(MapRequest {
                id,
                tracking_code: code,
                latitude: lat?,
                longitude: lon?,
                open: Status::parse(&status).is_ok_and(Status::is_open),
            })
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// The weekly summary to the leadership

/// Email addresses of active users with the leader or admin role.
pub async fn leadership_emails(store: &Store) -> Result<Vec<String>> {
    let ids: Vec<i64> = user_role::Entity::find()
        .filter(user_role::Column::Role.is_in(["leader", "admin"]))
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut emails: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Active.eq(true))
        .all(&store.reader)
        .await?
        .into_iter()
        .filter_map(|u| u.email)
        .collect();
    emails.sort();
    emails.dedup();
    Ok(emails)
}

/// Queues the weekly summary's emails, once per week: the week is recorded in the same
/// transaction, so a job that runs twice sends nothing the second time. Returns how many
/// emails were queued.
pub async fn send_weekly_summary(
    store: &Store,
    week: Period,
    recipients: &[String],
    subject: &str,
    body: &str,
) -> Result<usize> {
    let tx = store.writer.begin().await?;
    let done = perf_summary::Entity::find_by_id(day(week.from))
        .one(&tx)
        .await?
        .is_some();
    if done {
        tx.rollback().await?;
        return Ok(0);
    }
    perf_summary::ActiveModel {
        week_start: Set(day(week.from)),
        sent_at: Set(Utc::now()),
    }
    .insert(&tx)
    .await?;
    for to in recipients {
        crate::notices::email(&tx, to, subject, body).await?;
    }
    tx.commit().await?;
    Ok(recipients.len())
}

/// The unit ids and names of units, for labels.
pub async fn unit_names(store: &Store) -> Result<BTreeMap<i64, (String, String)>> {
    Ok(unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.slug, u.name)))
        .collect())
}

/// Every counter (day and month rows), for tests that compare counters with a rebuild.
pub async fn all_counters(store: &Store) -> Result<BTreeMap<(Span, CounterKey), i64>> {
    let mut out = BTreeMap::new();
    for c in perf_counter::Entity::find().all(&store.reader).await? {
        let (Some(d), Some((dim, span)), Some(metric)) = (
            parse_day(&c.day),
            parse_stored_dim(&c.dim),
            Metric::parse(&c.metric),
        ) else {
            continue;
        };
        if c.n != 0 {
            out.insert(
                (
                    span,
                    CounterKey {
                        day: d,
                        scope: c.scope,
                        dim,
                        key: c.dim_key,
                        metric,
                        bucket: c.bucket,
                    },
                ),
                c.n,
            );
        }
    }
    Ok(out)
}

/// One unit's line in the ranking and the weekly summary.
#[derive(Debug, Clone)]
pub struct UnitLine {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub figures: Figures,
    pub overdue: i64,
}

/// The regency's figures over a period with every unit's, and what is overdue now: the
/// ranking and the weekly summary.
#[derive(Debug, Clone)]
pub struct Summary {
    pub period: Period,
    pub totals: Figures,
    pub overdue: i64,
    /// Active units, and any unit with figures in the period.
    pub units: Vec<UnitLine>,
}

pub async fn summary(store: &Store, period: Period, now: DateTime<Utc>) -> Result<Summary> {
    summary_with_overdue(store, period, &overdue_now(store, now).await?).await
}

/// [`summary`] with "overdue now" as the caller last counted it (see [`overdue_now`]).
pub async fn summary_with_overdue(
    store: &Store,
    period: Period,
    (overdue, overdue_units): &(i64, HashMap<i64, i64>),
) -> Result<Summary> {
    let overdue = *overdue;
    let totals = totals(store, REGENCY, period).await?;
    let mut per_unit = per_unit(store, period).await?;
    let units = unit::Entity::find()
        .order_by_asc(unit::Column::Name)
        .all(&store.reader)
        .await?
        .into_iter()
        .filter_map(|u| {
            let figures = per_unit.remove(&u.id);
            let overdue = overdue_units.get(&u.id).copied().unwrap_or(0);
            (u.active || figures.is_some() || overdue > 0).then(|| UnitLine {
                id: u.id,
                slug: u.slug,
                name: u.name,
                figures: figures.unwrap_or_default(),
                overdue,
            })
        })
        .collect();
    Ok(Summary {
        period,
        totals,
        overdue,
        units,
    })
}
