//! The smart-city masterplan: the dimension taxonomy, programmes, indicators and their yearly
//! values, progress updates with evidence, and readiness self-assessments. Every write is one
//! transaction with its audit entry.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    application, mp_application, mp_budget, mp_evidence, mp_indicator, mp_indicator_value,
    mp_partner, mp_programme, mp_update, readiness_assessment, readiness_score, sc_dimension,
    sc_element, unit,
};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, NaiveDate, Utc};
use kotapintar_domain::masterplan::{
    attainment, is_late, parse_values, readiness_score as score_of, Attainment, Centi, Direction,
    Horizon, IndicatorDraft, Measure, ProgrammeDraft, ProgrammeStatus, TaxonDraft, UpdateDraft,
    ValueInput, ValueKind,
};
use kotapintar_domain::FieldErrors;
use rand::RngCore;
use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct Element {
    pub id: i64,
    pub dimension_id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dimension {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub elements: Vec<Element>,
}

/// The taxonomy, dimensions and elements in their order.
pub async fn dimensions(store: &Store) -> Result<Vec<Dimension>> {
    let elements = sc_element::Entity::find()
        .order_by_asc(sc_element::Column::Position)
        .order_by_asc(sc_element::Column::Id)
        .all(&store.reader)
        .await?;
    Ok(sc_dimension::Entity::find()
        .order_by_asc(sc_dimension::Column::Position)
        .order_by_asc(sc_dimension::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|d| Dimension {
            elements: elements
                .iter()
                .filter(|e| e.dimension_id == d.id)
                .map(|e| Element {
                    id: e.id,
                    dimension_id: e.dimension_id,
                    code: e.code.clone(),
                    name: e.name.clone(),
                    name_en: e.name_en.clone(),
                })
                .collect(),
            id: d.id,
            code: d.code,
            name: d.name,
            name_en: d.name_en,
        })
        .collect())
}

/// Adds a dimension (no `dimension_id`) or an element of one.
pub async fn add_taxon(store: &Store, actor: &AuditActor, draft: TaxonDraft) -> Result<i64> {
    let tx = store.writer.begin().await?;
    let id = match draft.dimension_id {
        None => {
            let position = sc_dimension::Entity::find().all(&tx).await?.len() as i32;
            sc_dimension::ActiveModel {
                code: Set(draft.code.clone()),
                name: Set(draft.name.clone()),
                name_en: Set(draft.name_en.clone()),
                position: Set(position),
                ..Default::default()
            }
            .insert(&tx)
            .await
            .map_err(|e| StorageError::on_unique(e, "code", "masterplan.code_taken"))?
            .id
        }
        Some(dim) => {
            if sc_dimension::Entity::find_by_id(dim)
                .one(&tx)
                .await?
                .is_none()
            {
                return Err(StorageError::field("dimension_id", "invalid_choice"));
            }
            let position = sc_element::Entity::find()
                .filter(sc_element::Column::DimensionId.eq(dim))
                .all(&tx)
                .await?
                .len() as i32;
            sc_element::ActiveModel {
                dimension_id: Set(dim),
                code: Set(draft.code.clone()),
                name: Set(draft.name.clone()),
                name_en: Set(draft.name_en.clone()),
                position: Set(position),
                ..Default::default()
            }
            .insert(&tx)
            .await
            .map_err(|e| StorageError::on_unique(e, "code", "masterplan.code_taken"))?
            .id
        }
    };
    let kind = if draft.dimension_id.is_some() {
        "sc_element"
    } else {
        "sc_dimension"
    };
    audit::append(
        &tx,
        actor,
        Change::new("masterplan.taxon_add", kind, id).after(&draft),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a dimension or an element (its code and names).
pub async fn update_taxon(
    store: &Store,
    actor: &AuditActor,
    element: bool,
    id: i64,
    draft: TaxonDraft,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    if element {
        let cur = sc_element::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let mut m: sc_element::ActiveModel = cur.into();
        m.code = Set(draft.code.clone());
        m.name = Set(draft.name.clone());
        m.name_en = Set(draft.name_en.clone());
        m.update(&tx)
            .await
            .map_err(|e| StorageError::on_unique(e, "code", "masterplan.code_taken"))?;
    } else {
        let cur = sc_dimension::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let mut m: sc_dimension::ActiveModel = cur.into();
        m.code = Set(draft.code.clone());
        m.name = Set(draft.name.clone());
        m.name_en = Set(draft.name_en.clone());
        m.update(&tx)
            .await
            .map_err(|e| StorageError::on_unique(e, "code", "masterplan.code_taken"))?;
    }
    audit::append(
        &tx,
        actor,
        Change::new(
            "masterplan.taxon_update",
            if element {
                "sc_element"
            } else {
                "sc_dimension"
            },
            id,
        )
        .after(&draft),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearValue {
    pub year: i32,
    pub target: Option<Centi>,
    pub actual: Option<Centi>,
    pub attainment: Attainment,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub id: i64,
    pub programme_id: i64,
    pub name: String,
    pub measure: Measure,
    pub direction: Direction,
    pub baseline: Centi,
    pub baseline_year: i32,
    /// Every year of the programme, in order, with what was recorded for it.
    pub values: Vec<YearValue>,
}

impl Indicator {
    /// The newest year with an actual value.
    pub fn latest_actual(&self) -> Option<&YearValue> {
        self.values.iter().rev().find(|v| v.actual.is_some())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub kind: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub size: Option<i64>,
    /// A file's random stored name, the only way to ask for it (`evidence_file`): not the
    /// sequential id, so files are not enumerable.
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub id: i64,
    pub reported_on: NaiveDate,
    pub summary: String,
    pub status: Option<ProgrammeStatus>,
    pub author: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Programme {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub dimension: Dimension,
    pub element: Element,
    pub horizon: Horizon,
    pub status: ProgrammeStatus,
    pub owner: UnitRef,
    pub partners: Vec<UnitRef>,
    pub rpjmd_code: Option<String>,
    pub start_year: i32,
    pub end_year: i32,
    pub budgets: Vec<(i32, i64)>,
    pub applications: Vec<(i64, String)>,
    pub indicators: Vec<Indicator>,
    /// Newest first.
    pub updates: Vec<Update>,
    /// Late by its status, its end year, or an indicator behind for a past year.
    pub late: bool,
    pub updated_at: DateTime<Utc>,
}

impl Programme {
    pub fn total_budget(&self) -> i64 {
        self.budgets.iter().map(|(_, a)| a).sum()
    }
}

fn current_year() -> i32 {
    use chrono::Datelike;
    Utc::now().year()
}

/// Loads programmes (all, or one) with everything that belongs to them, in a fixed number
/// of queries.
async fn load(store: &Store, only: Option<i64>) -> Result<Vec<Programme>> {
    let db = &store.reader;
    let mut q = mp_programme::Entity::find().order_by_asc(mp_programme::Column::Id);
    if let Some(id) = only {
        q = q.filter(mp_programme::Column::Id.eq(id));
    }
    let rows = q.all(db).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let dims = dimensions(store).await?;
    let units: HashMap<i64, UnitRef> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.id,
                UnitRef {
                    id: u.id,
                    code: u.code,
                    name: u.name,
                },
            )
        })
        .collect();
    let apps: HashMap<i64, String> = application::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let partners = mp_partner::Entity::find()
        .filter(mp_partner::Column::ProgrammeId.is_in(ids.clone()))
        .order_by_asc(mp_partner::Column::Id)
        .all(db)
        .await?;
    let budgets = mp_budget::Entity::find()
        .filter(mp_budget::Column::ProgrammeId.is_in(ids.clone()))
        .order_by_asc(mp_budget::Column::Year)
        .all(db)
        .await?;
    let links = mp_application::Entity::find()
        .filter(mp_application::Column::ProgrammeId.is_in(ids.clone()))
        .order_by_asc(mp_application::Column::Id)
        .all(db)
        .await?;
    let indicators = mp_indicator::Entity::find()
        .filter(mp_indicator::Column::ProgrammeId.is_in(ids.clone()))
        .order_by_asc(mp_indicator::Column::Id)
        .all(db)
        .await?;
    let ind_ids: Vec<i64> = indicators.iter().map(|i| i.id).collect();
    let values = if ind_ids.is_empty() {
        Vec::new()
    } else {
        mp_indicator_value::Entity::find()
            .filter(mp_indicator_value::Column::IndicatorId.is_in(ind_ids))
            .all(db)
            .await?
    };
    let updates = mp_update::Entity::find()
        .filter(mp_update::Column::ProgrammeId.is_in(ids.clone()))
        .order_by_desc(mp_update::Column::ReportedOn)
        .order_by_desc(mp_update::Column::Id)
        .all(db)
        .await?;
    let upd_ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
    let evidence = if upd_ids.is_empty() {
        Vec::new()
    } else {
        mp_evidence::Entity::find()
            .filter(mp_evidence::Column::UpdateId.is_in(upd_ids))
            .order_by_asc(mp_evidence::Column::Id)
            .all(db)
            .await?
    };
    let year_now = current_year();
    let mut out = Vec::new();
    for p in rows {
        let Some(dimension) = dims
            .iter()
            .find(|d| d.elements.iter().any(|e| e.id == p.element_id))
            .cloned()
        else {
            continue;
        };
        let Some(element) = dimension
            .elements
            .iter()
            .find(|e| e.id == p.element_id)
            .cloned()
        else {
            continue;
        };
        let inds: Vec<Indicator> = indicators
            .iter()
            .filter(|i| i.programme_id == p.id)
            .map(|i| {
                let direction = Direction::parse(&i.direction).unwrap_or(Direction::Increase);
                let vals = (p.start_year..=p.end_year)
                    .map(|year| {
                        let v = values
                            .iter()
                            .find(|v| v.indicator_id == i.id && v.year == year);
                        let target = v.and_then(|v| v.target).map(Centi);
                        let actual = v.and_then(|v| v.actual).map(Centi);
                        YearValue {
                            year,
                            target,
                            actual,
                            attainment: attainment(direction, target, actual),
                        }
                    })
                    .collect();
                Indicator {
                    id: i.id,
                    programme_id: i.programme_id,
                    name: i.name.clone(),
                    measure: Measure {
                        kind: ValueKind::parse(&i.kind).unwrap_or(ValueKind::Number),
                        unit: i.unit.clone(),
                    },
                    direction,
                    baseline: Centi(i.baseline),
                    baseline_year: i.baseline_year,
                    values: vals,
                }
            })
            .collect();
        let past: Vec<Attainment> = inds
            .iter()
            .flat_map(|i| i.values.iter())
            .filter(|v| v.year < year_now)
            .map(|v| v.attainment)
            .collect();
        let status = ProgrammeStatus::parse(&p.status).unwrap_or(ProgrammeStatus::Planned);
        out.push(Programme {
            id: p.id,
            late: is_late(status, p.end_year, year_now, &past),
            name: p.name,
            description: p.description,
            dimension,
            element,
            horizon: Horizon::parse(&p.horizon).unwrap_or(Horizon::MediumTerm),
            status,
            owner: units.get(&p.owner_unit_id).cloned().unwrap_or(UnitRef {
                id: p.owner_unit_id,
                code: String::new(),
                name: String::new(),
            }),
            partners: partners
                .iter()
                .filter(|x| x.programme_id == p.id)
                .filter_map(|x| units.get(&x.unit_id).cloned())
                .collect(),
            rpjmd_code: p.rpjmd_code,
            start_year: p.start_year,
            end_year: p.end_year,
            budgets: budgets
                .iter()
                .filter(|b| b.programme_id == p.id)
                .map(|b| (b.year, b.amount))
                .collect(),
            applications: links
                .iter()
                .filter(|l| l.programme_id == p.id)
                .map(|l| {
                    (
                        l.application_id,
                        apps.get(&l.application_id).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            indicators: inds,
            updates: updates
                .iter()
                .filter(|u| u.programme_id == p.id)
                .map(|u| Update {
                    id: u.id,
                    reported_on: NaiveDate::parse_from_str(&u.reported_on, "%Y-%m-%d")
                        .unwrap_or_default(),
                    summary: u.summary.clone(),
                    status: u
                        .status
                        .as_deref()
                        .and_then(|s| ProgrammeStatus::parse(s).ok()),
                    author: u.author.clone(),
                    evidence: evidence
                        .iter()
                        .filter(|e| e.update_id == u.id)
                        .map(|e| Evidence {
                            id: e.id,
                            kind: e.kind.clone(),
                            url: e.url.clone(),
                            file_name: e.file_name.clone(),
                            size: e.size,
                            key: e.stored_name.clone(),
                        })
                        .collect(),
                })
                .collect(),
            updated_at: p.updated_at,
        });
    }
    Ok(out)
}

pub async fn list(store: &Store) -> Result<Vec<Programme>> {
    load(store, None).await
}

pub async fn get(store: &Store, id: i64) -> Result<Programme> {
    load(store, Some(id))
        .await?
        .pop()
        .ok_or(StorageError::NotFound)
}

/// Checks the references a programme names (element, units, applications) and returns the
/// owner's and partners' ids.
async fn resolve(db: &impl ConnectionTrait, d: &ProgrammeDraft) -> Result<(i64, Vec<i64>)> {
    let mut e = FieldErrors::new();
    if sc_element::Entity::find_by_id(d.element_id)
        .one(db)
        .await?
        .is_none()
    {
        e.add("element_id", "invalid_choice");
    }
    let owner = crate::units::find_by_code(db, &d.owner_code).await?;
    if owner.is_none() {
        e.add("owner_code", "unknown_unit");
    }
    let mut partners = Vec::new();
    for code in &d.partner_codes {
        match crate::units::find_by_code(db, code).await? {
            Some(u) if !partners.contains(&u.id.0) => partners.push(u.id.0),
            Some(_) => {}
            None => {
                e.add("partner_codes", "unknown_unit");
                break;
            }
        }
    }
    for a in &d.application_ids {
        if application::Entity::find_by_id(*a).one(db).await?.is_none() {
            e.add("application_ids", "masterplan.unknown_application");
            break;
        }
    }
    match owner {
        Some(o) if e.is_empty() => Ok((o.id.0, partners)),
        _ => Err(StorageError::Invalid(e)),
    }
}

async fn write_links(
    db: &impl ConnectionTrait,
    programme_id: i64,
    d: &ProgrammeDraft,
    partners: &[i64],
) -> Result<()> {
    mp_partner::Entity::delete_many()
        .filter(mp_partner::Column::ProgrammeId.eq(programme_id))
        .exec(db)
        .await?;
    mp_budget::Entity::delete_many()
        .filter(mp_budget::Column::ProgrammeId.eq(programme_id))
        .exec(db)
        .await?;
    mp_application::Entity::delete_many()
        .filter(mp_application::Column::ProgrammeId.eq(programme_id))
        .exec(db)
        .await?;
    for u in partners {
        mp_partner::ActiveModel {
            programme_id: Set(programme_id),
            unit_id: Set(*u),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (year, amount) in &d.budgets {
        mp_budget::ActiveModel {
            programme_id: Set(programme_id),
            year: Set(*year),
            amount: Set(*amount),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for a in &d.application_ids {
        mp_application::ActiveModel {
            programme_id: Set(programme_id),
            application_id: Set(*a),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &AuditActor, d: ProgrammeDraft) -> Result<i64> {
    let tx = store.writer.begin().await?;
    let (owner, partners) = resolve(&tx, &d).await?;
    let now = Utc::now();
    let m = mp_programme::ActiveModel {
        name: Set(d.name.clone()),
        description: Set(d.description.clone()),
        element_id: Set(d.element_id),
        horizon: Set(d.horizon.as_str().into()),
        owner_unit_id: Set(owner),
        rpjmd_code: Set(d.rpjmd_code.clone()),
        start_year: Set(d.start_year),
        end_year: Set(d.end_year),
        status: Set(d.status.as_str().into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    write_links(&tx, m.id, &d, &partners).await?;
    audit::append(
        &tx,
        actor,
        Change::new("masterplan.programme_create", "mp_programme", m.id).after(&d),
    )
    .await?;
    tx.commit().await?;
    Ok(m.id)
}

pub async fn update(store: &Store, actor: &AuditActor, id: i64, d: ProgrammeDraft) -> Result<()> {
    let tx = store.writer.begin().await?;
    let cur = mp_programme::Entity::find_by_id(id)
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    // values recorded for years the programme no longer covers would vanish from reports
    let outside = mp_indicator_value::Entity::find()
        .filter(
            mp_indicator_value::Column::IndicatorId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(mp_indicator::Column::Id)
                    .from(mp_indicator::Entity)
                    .and_where(mp_indicator::Column::ProgrammeId.eq(id))
                    .to_owned(),
            ),
        )
        .all(&tx)
        .await?
        .into_iter()
        .any(|v| v.year < d.start_year || v.year > d.end_year);
    if outside {
        return Err(StorageError::field(
            "start_year",
            "masterplan.values_outside_years",
        ));
    }
    let (owner, partners) = resolve(&tx, &d).await?;
    let before =
        serde_json::json!({"name": cur.name, "status": cur.status, "owner": cur.owner_unit_id});
    let mut m: mp_programme::ActiveModel = cur.into();
    m.name = Set(d.name.clone());
    m.description = Set(d.description.clone());
    m.element_id = Set(d.element_id);
    m.horizon = Set(d.horizon.as_str().into());
    m.owner_unit_id = Set(owner);
    m.rpjmd_code = Set(d.rpjmd_code.clone());
    m.start_year = Set(d.start_year);
    m.end_year = Set(d.end_year);
    m.status = Set(d.status.as_str().into());
    m.updated_at = Set(Utc::now());
    m.update(&tx).await?;
    write_links(&tx, id, &d, &partners).await?;
    audit::append(
        &tx,
        actor,
        Change::new("masterplan.programme_update", "mp_programme", id)
            .before(&before)
            .after(&d),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The owner unit of a programme, for the permission check before a report.
pub async fn owner_of(store: &Store, programme_id: i64) -> Result<i64> {
    mp_programme::Entity::find_by_id(programme_id)
        .one(&store.reader)
        .await?
        .map(|p| p.owner_unit_id)
        .ok_or(StorageError::NotFound)
}

/// The programme an indicator belongs to.
pub async fn programme_of_indicator(store: &Store, indicator_id: i64) -> Result<i64> {
    mp_indicator::Entity::find_by_id(indicator_id)
        .one(&store.reader)
        .await?
        .map(|i| i.programme_id)
        .ok_or(StorageError::NotFound)
}

pub async fn add_indicator(
    store: &Store,
    actor: &AuditActor,
    programme_id: i64,
    d: IndicatorDraft,
) -> Result<i64> {
    let tx = store.writer.begin().await?;
    if mp_programme::Entity::find_by_id(programme_id)
        .one(&tx)
        .await?
        .is_none()
    {
        return Err(StorageError::NotFound);
    }
    let m = mp_indicator::ActiveModel {
        programme_id: Set(programme_id),
        name: Set(d.name.clone()),
        kind: Set(d.measure.kind.as_str().into()),
        unit: Set(d.measure.unit.clone()),
        direction: Set(d.direction.as_str().into()),
        baseline: Set(d.baseline.0),
        baseline_year: Set(d.baseline_year),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        actor,
        Change::new("masterplan.indicator_add", "mp_indicator", m.id).after(&d),
    )
    .await?;
    tx.commit().await?;
    Ok(m.id)
}

/// Records a year's target and/or actual for an indicator, checked against its measure and
/// its programme's years. A year has one row: recording again changes the given fields.
pub async fn set_values(
    store: &Store,
    actor: &AuditActor,
    indicator_id: i64,
    input: &ValueInput,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let ind = mp_indicator::Entity::find_by_id(indicator_id)
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let prog = mp_programme::Entity::find_by_id(ind.programme_id)
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let measure = Measure {
        kind: ValueKind::parse(&ind.kind).unwrap_or(ValueKind::Number),
        unit: ind.unit.clone(),
    };
    let (year, target, actual) = parse_values(input, &measure, (prog.start_year, prog.end_year))
        .map_err(StorageError::Invalid)?;
    let now = Utc::now();
    // make sure the row exists (a racing twin inserts nothing), then change it under a lock
    mp_indicator_value::Entity::insert(mp_indicator_value::ActiveModel {
        indicator_id: Set(indicator_id),
        year: Set(year),
        target: Set(None),
        actual: Set(None),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            mp_indicator_value::Column::IndicatorId,
            mp_indicator_value::Column::Year,
        ])
        .do_nothing()
        .to_owned(),
    )
    .do_nothing()
    .exec(&tx)
    .await?;
    let row = mp_indicator_value::Entity::find()
        .filter(mp_indicator_value::Column::IndicatorId.eq(indicator_id))
        .filter(mp_indicator_value::Column::Year.eq(year))
        .lock(LockType::Update)
        .one(&tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    let before = serde_json::json!({"year": year, "target": row.target, "actual": row.actual});
    let mut m: mp_indicator_value::ActiveModel = row.into();
    if let Some(t) = target {
        m.target = Set(Some(t.0));
    }
    if let Some(a) = actual {
        m.actual = Set(Some(a.0));
    }
    m.updated_at = Set(now);
    let after = m.update(&tx).await?;
    let mut p: mp_programme::ActiveModel = prog.into();
    p.updated_at = Set(now);
    p.update(&tx).await?;
    audit::append(
        &tx,
        actor,
        Change::new("masterplan.values_set", "mp_indicator", indicator_id)
            .before(&before)
            .after(
                &serde_json::json!({"year": year, "target": after.target, "actual": after.actual}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An evidence file as uploaded.
pub struct EvidenceFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// PDF, JPEG, PNG, or an office document (a zip: docx, xlsx, pptx), told by content.
fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("application/octet-stream")
    } else {
        None
    }
}

fn safe_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    if cleaned.trim_matches(['.', '_']).is_empty() {
        "bukti".into()
    } else {
        cleaned
    }
}

/// The directory evidence files are kept in, under the uploads directory.
pub fn evidence_dir(uploads: &Path) -> PathBuf {
    uploads.join("evidence")
}

/// Checks evidence files before anything is written: size and type by content.
pub fn check_files(files: &[EvidenceFile]) -> Result<()> {
    if files.len() > 5 {
        return Err(StorageError::field("files", "masterplan.too_many_files"));
    }
    for f in files {
        if f.bytes.is_empty() || f.bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(StorageError::field("files", "masterplan.file_too_large"));
        }
        if evidence_type(&f.bytes).is_none() {
            return Err(StorageError::field("files", "masterplan.file_type"));
        }
    }
    Ok(())
}

/// Records a dated progress update with its evidence (links and files), and the programme's
/// new status if the update gives one.
pub async fn add_update(
    store: &Store,
    actor: &AuditActor,
    uploads: &Path,
    programme_id: i64,
    d: UpdateDraft,
    files: Vec<EvidenceFile>,
) -> Result<i64> {
    check_files(&files)?;
    let files = without_metadata(files).await?;
    // files first, under random names; a failed transaction removes them again
    let dir = evidence_dir(uploads);
    let mut written: Vec<(PathBuf, String, String, &'static str, i64)> = Vec::new();
    if !files.is_empty() {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| StorageError::Other(format!("evidence directory: {e}")))?;
    }
    for (f, ctype) in &files {
        let mut b = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut b);
        let stored = hex::encode(b);
        let path = dir.join(&stored);
        tokio::fs::write(&path, &f.bytes)
            .await
            .map_err(|e| StorageError::Other(format!("evidence file: {e}")))?;
        written.push((
            path,
            stored,
            safe_file_name(&f.file_name),
            ctype,
            f.bytes.len() as i64,
        ));
    }
    let result = async {
        let tx = store.writer.begin().await?;
        let prog = mp_programme::Entity::find_by_id(programme_id)
            .one(&tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let u = mp_update::ActiveModel {
            programme_id: Set(programme_id),
            reported_on: Set(d.reported_on.format("%Y-%m-%d").to_string()),
            summary: Set(d.summary.clone()),
            status: Set(d.status.map(|s| s.as_str().to_string())),
            author: Set(actor.label()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        for l in &d.links {
            mp_evidence::ActiveModel {
                update_id: Set(u.id),
                kind: Set("link".into()),
                url: Set(Some(l.clone())),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
        }
        for (_, stored, name, ctype, size) in &written {
            mp_evidence::ActiveModel {
                update_id: Set(u.id),
                kind: Set("file".into()),
                file_name: Set(Some(name.clone())),
                stored_name: Set(Some(stored.clone())),
                content_type: Set(Some((*ctype).into())),
                size: Set(Some(*size)),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
        }
        let mut p: mp_programme::ActiveModel = prog.into();
        if let Some(s) = d.status {
            p.status = Set(s.as_str().into());
        }
        p.updated_at = Set(Utc::now());
        p.update(&tx).await?;
        audit::append(
            &tx,
            actor,
            Change::new("masterplan.progress_add", "mp_programme", programme_id).after(
                &serde_json::json!({
                    "update": u.id,
                    "reported_on": u.reported_on,
                    "status": u.status,
                    "links": d.links.len(),
                    "files": written.len(),
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok::<i64, StorageError>(u.id)
    }
    .await;
    if result.is_err() {
        for (path, ..) in &written {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
    result
}

/// Photos lose their metadata (the GPS position, the camera, the time) the way residents'
/// photos do, by being decoded and encoded again (`media::clean_photo`); each file comes back
/// with the type it is stored and served as. Documents are kept as they are: they are
/// served only as attachments, never shown from our origin.
async fn without_metadata(files: Vec<EvidenceFile>) -> Result<Vec<(EvidenceFile, &'static str)>> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let ctype = evidence_type(&f.bytes).unwrap_or("application/octet-stream");
        if !ctype.starts_with("image/") {
            out.push((f, ctype));
            continue;
        }
        // decoding is CPU work: off the async threads
        let cleaned = tokio::task::spawn_blocking(move || {
            crate::media::clean_photo(&f.bytes).map(|p| (f.file_name, p))
        })
        .await
        .map_err(|e| StorageError::Other(format!("evidence photo: {e}")))?;
        let (file_name, photo) =
            cleaned.map_err(|_| StorageError::field("files", "masterplan.file_type"))?;
        out.push((
            EvidenceFile {
                file_name,
                bytes: photo.bytes,
            },
            photo.kind.mime(),
        ));
    }
    Ok(out)
}

/// An evidence file to serve, by its random stored name: the name to download it as (made
/// from the key, so the uploaded name, which may hold a person's name, is not sent), its
/// type and where it lies.
pub async fn evidence_file(
    store: &Store,
    uploads: &Path,
    key: &str,
) -> Result<(String, String, PathBuf)> {
    if key.len() != 32 || !key.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StorageError::NotFound);
    }
    let e = mp_evidence::Entity::find()
        .filter(mp_evidence::Column::StoredName.eq(key))
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    match (e.file_name, e.stored_name, e.content_type) {
        (Some(n), Some(s), Some(t)) => {
            let ext = match t.as_str() {
                "application/pdf" => "pdf",
                "image/jpeg" => "jpg",
                "image/png" => "png",
                "image/webp" => "webp",
                // an office document: its own extension, if it is a plain one
                _ => n
                    .rsplit_once('.')
                    .map(|(_, e)| e)
                    .filter(|e| {
                        (1..=5).contains(&e.len()) && e.chars().all(|c| c.is_ascii_alphanumeric())
                    })
                    .unwrap_or("bin"),
            };
            let download = format!("bukti-{}.{}", &s[..8], ext.to_ascii_lowercase());
            Ok((download, t, evidence_dir(uploads).join(s)))
        }
        _ => Err(StorageError::NotFound),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub id: i64,
    pub assessed_on: NaiveDate,
    pub notes: Option<String>,
    pub structure: Centi,
    pub infrastructure: Centi,
    pub superstructure: Centi,
    pub overall: Centi,
    pub items: Vec<(String, u8)>,
    pub author: String,
}

pub async fn add_assessment(
    store: &Store,
    actor: &AuditActor,
    assessed_on: NaiveDate,
    notes: Option<String>,
    items: Vec<(String, u8)>,
) -> Result<i64> {
    let score = score_of(&items);
    let aspect = |name: &str| {
        score
            .aspects
            .iter()
            .find(|(a, _)| *a == name)
            .map(|(_, c)| c.0)
            .unwrap_or(0)
    };
    let tx = store.writer.begin().await?;
    let m = readiness_assessment::ActiveModel {
        assessed_on: Set(assessed_on.format("%Y-%m-%d").to_string()),
        notes: Set(notes),
        structure: Set(aspect("structure")),
        infrastructure: Set(aspect("infrastructure")),
        superstructure: Set(aspect("superstructure")),
        overall: Set(score.overall.0),
        author: Set(actor.label()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    for (item, v) in &items {
        readiness_score::ActiveModel {
            assessment_id: Set(m.id),
            item: Set(item.clone()),
            score: Set(i32::from(*v)),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
    }
    audit::append(
        &tx,
        actor,
        Change::new("masterplan.readiness_add", "readiness_assessment", m.id)
            .after(&serde_json::json!({"assessed_on": m.assessed_on, "items": items, "overall": score.overall})),
    )
    .await?;
    tx.commit().await?;
    Ok(m.id)
}

/// Every assessment, oldest first, so improvement reads left to right.
pub async fn assessments(store: &Store) -> Result<Vec<Assessment>> {
    let scores = readiness_score::Entity::find()
        .order_by_asc(readiness_score::Column::Id)
        .all(&store.reader)
        .await?;
    Ok(readiness_assessment::Entity::find()
        .order_by_asc(readiness_assessment::Column::AssessedOn)
        .order_by_asc(readiness_assessment::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|a| Assessment {
            id: a.id,
            assessed_on: NaiveDate::parse_from_str(&a.assessed_on, "%Y-%m-%d").unwrap_or_default(),
            notes: a.notes,
            structure: Centi(a.structure),
            infrastructure: Centi(a.infrastructure),
            superstructure: Centi(a.superstructure),
            overall: Centi(a.overall),
            items: scores
                .iter()
                .filter(|s| s.assessment_id == a.id)
                .map(|s| (s.item.clone(), u8::try_from(s.score).unwrap_or(0)))
                .collect(),
            author: a.author,
        })
        .collect())
}

/// The progress report for a period: per dimension, its programmes, each with the updates
/// dated inside the period.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub sections: Vec<ReportSection>,
    pub latest_readiness: Option<Assessment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportSection {
    pub dimension: Dimension,
    pub programmes: Vec<ReportProgramme>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportProgramme {
    pub programme: Programme,
    /// Updates dated inside the period: what changed.
    pub changes: Vec<Update>,
}

impl Report {
    pub fn programme_count(&self) -> usize {
        self.sections.iter().map(|s| s.programmes.len()).sum()
    }

    pub fn late(&self) -> Vec<&Programme> {
        self.sections
            .iter()
            .flat_map(|s| s.programmes.iter())
            .map(|p| &p.programme)
            .filter(|p| p.late)
            .collect()
    }
}

pub async fn report(store: &Store, from: NaiveDate, to: NaiveDate) -> Result<Report> {
    use chrono::Datelike;
    let programmes = list(store).await?;
    let dims = dimensions(store).await?;
    let sections = dims
        .into_iter()
        .map(|d| ReportSection {
            programmes: programmes
                .iter()
                // programmes whose years meet the period
                .filter(|p| p.dimension.id == d.id)
                .filter(|p| p.start_year <= to.year() && p.end_year >= from.year())
                .map(|p| ReportProgramme {
                    changes: p
                        .updates
                        .iter()
                        .filter(|u| u.reported_on >= from && u.reported_on <= to)
                        .cloned()
                        .collect(),
                    programme: p.clone(),
                })
                .collect(),
            dimension: d,
        })
        .collect();
    Ok(Report {
        from,
        to,
        sections,
        latest_readiness: assessments(store).await?.pop(),
    })
}
