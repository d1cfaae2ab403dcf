//! The smart-city masterplan: the dimension taxonomy, programmes, indicators and their yearly
//! values, progress updates with evidence, and readiness self-assessments. Every write is one
//! transaction with its audit entry.
//!
//! Here: the taxonomy and the programmes' writes; `load` reads programmes back, `evidence`
//! takes progress updates with their files, `readiness` the self-assessments and the report.

mod evidence;
mod load;
mod readiness;

pub use evidence::{
    add_update, check_files, evidence_dir, evidence_file, EvidenceFile, MAX_EVIDENCE_BYTES,
};
pub use readiness::{
    add_assessment, assessments, report, Assessment, Report, ReportProgramme, ReportSection,
};

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    application, mp_application, mp_budget, mp_indicator, mp_indicator_value, mp_partner,
    mp_programme, sc_dimension, sc_element,
};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, NaiveDate, Utc};
use kotapintar_domain::masterplan::{
    parse_values, Attainment, Centi, Direction, Horizon, IndicatorDraft, Measure, ProgrammeDraft,
    ProgrammeStatus, TaxonDraft, ValueInput,
};
use kotapintar_domain::FieldErrors;
use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;

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

/// Sets a taxon's code and names: the dimension and element tables have the same columns, so
/// one statement serves both.
macro_rules! rename_taxon {
    ($entity:ident, $tx:expr, $id:expr, $draft:expr) => {{
        let cur = crate::rows::by_id::<$entity::Entity>($tx, $id).await?;
        let mut m: $entity::ActiveModel = cur.into();
        m.code = Set($draft.code.clone());
        m.name = Set($draft.name.clone());
        m.name_en = Set($draft.name_en.clone());
        m.update($tx)
            .await
            .map_err(|e| StorageError::on_unique(e, "code", "masterplan.code_taken"))?;
    }};
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
        rename_taxon!(sc_element, &tx, id, draft);
    } else {
        rename_taxon!(sc_dimension, &tx, id, draft);
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

pub async fn list(store: &Store) -> Result<Vec<Programme>> {
    load::load(store, None).await
}

pub async fn get(store: &Store, id: i64) -> Result<Programme> {
    load::load(store, Some(id))
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
    let cur = crate::rows::by_id::<mp_programme::Entity>(&tx, id).await?;
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
    let ind = crate::rows::by_id::<mp_indicator::Entity>(&tx, indicator_id).await?;
    let prog = crate::rows::by_id::<mp_programme::Entity>(&tx, ind.programme_id).await?;
    let load::IndicatorKinds { measure, .. } = load::IndicatorKinds::try_from(&ind)?;
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
