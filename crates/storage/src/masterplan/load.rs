//! Reading programmes back: every table a set of programmes spans, each in one query, then
//! put together in memory. A stored value the domain cannot read (a status, a direction, a
//! date) is an error, never quietly a default: a guess would pass for what was recorded.

use super::{dimensions, Dimension, Evidence, Indicator, Programme, UnitRef, Update, YearValue};
use crate::entity::{
    application, mp_application, mp_budget, mp_evidence, mp_indicator, mp_indicator_value,
    mp_partner, mp_programme, mp_update, unit,
};
use crate::{Result, StorageError, Store};
use chrono::{NaiveDate, Utc};
use kotapintar_domain::masterplan::{
    attainment, is_late, Attainment, Centi, Direction, Horizon, Measure, ProgrammeStatus, ValueKind,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// A stored value that does not read as what its column holds. The row was written by
/// something other than this code (by hand, or by an older version).
pub(super) fn corrupt(table: &str, id: i64, column: &str, value: &str, why: &str) -> StorageError {
    StorageError::corrupt(
        &format!("{table} {id} {column}"),
        format!("{value:?} ({why})"),
    )
}

/// A stored date (`YYYY-MM-DD`, as every write stores it).
pub(super) fn stored_date(table: &str, id: i64, column: &str, value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|e| corrupt(table, id, column, value, &e.to_string()))
}

/// A programme row's stored status and horizon.
struct ProgrammeKinds {
    status: ProgrammeStatus,
    horizon: Horizon,
}

impl TryFrom<&mp_programme::Model> for ProgrammeKinds {
    type Error = StorageError;

    fn try_from(p: &mp_programme::Model) -> Result<Self> {
        let read = |column, value: &str, why| corrupt("mp_programme", p.id, column, value, why);
        Ok(Self {
            status: ProgrammeStatus::parse(&p.status)
                .map_err(|why| read("status", &p.status, why))?,
            horizon: Horizon::parse(&p.horizon).map_err(|why| read("horizon", &p.horizon, why))?,
        })
    }
}

/// An indicator row's stored measure and direction, against which its values are read.
pub(super) struct IndicatorKinds {
    pub measure: Measure,
    pub direction: Direction,
}

impl TryFrom<&mp_indicator::Model> for IndicatorKinds {
    type Error = StorageError;

    fn try_from(i: &mp_indicator::Model) -> Result<Self> {
        let read = |column, value: &str, why| corrupt("mp_indicator", i.id, column, value, why);
        Ok(Self {
            measure: Measure {
                kind: ValueKind::parse(&i.kind).map_err(|why| read("kind", &i.kind, why))?,
                unit: i.unit.clone(),
            },
            direction: Direction::parse(&i.direction)
                .map_err(|why| read("direction", &i.direction, why))?,
        })
    }
}

fn current_year() -> i32 {
    use chrono::Datelike;
    Utc::now().year()
}

/// The rows of every table a set of programmes spans.
struct Rows {
    dims: Vec<Dimension>,
    units: HashMap<i64, UnitRef>,
    apps: HashMap<i64, String>,
    partners: Vec<mp_partner::Model>,
    budgets: Vec<mp_budget::Model>,
    links: Vec<mp_application::Model>,
    indicators: Vec<mp_indicator::Model>,
    values: Vec<mp_indicator_value::Model>,
    updates: Vec<mp_update::Model>,
    evidence: Vec<mp_evidence::Model>,
}

/// Loads programmes (all, or one) with everything that belongs to them, in a fixed number
/// of queries.
pub(super) async fn load(store: &Store, only: Option<i64>) -> Result<Vec<Programme>> {
    let mut q = mp_programme::Entity::find().order_by_asc(mp_programme::Column::Id);
    if let Some(id) = only {
        q = q.filter(mp_programme::Column::Id.eq(id));
    }
    let programmes = q.all(&store.reader).await?;
    if programmes.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = programmes.iter().map(|p| p.id).collect();
    let rows = Rows::fetch(store, ids).await?;
    let year_now = current_year();
    let mut out = Vec::new();
    for p in programmes {
        if let Some(programme) = rows.programme(p, year_now)? {
            out.push(programme);
        }
    }
    Ok(out)
}

impl Rows {
    async fn fetch(store: &Store, ids: Vec<i64>) -> Result<Self> {
        let db = &store.reader;
        let units = unit::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| {
                let unit = UnitRef {
                    id: u.id,
                    code: u.code,
                    name: u.name,
                };
                (u.id, unit)
            })
            .collect();
        let apps = application::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
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
        Ok(Self {
            dims: dimensions(store).await?,
            units,
            apps,
            partners: mp_partner::Entity::find()
                .filter(mp_partner::Column::ProgrammeId.is_in(ids.clone()))
                .order_by_asc(mp_partner::Column::Id)
                .all(db)
                .await?,
            budgets: mp_budget::Entity::find()
                .filter(mp_budget::Column::ProgrammeId.is_in(ids.clone()))
                .order_by_asc(mp_budget::Column::Year)
                .all(db)
                .await?,
            links: mp_application::Entity::find()
                .filter(mp_application::Column::ProgrammeId.is_in(ids))
                .order_by_asc(mp_application::Column::Id)
                .all(db)
                .await?,
            indicators,
            values,
            updates,
            evidence,
        })
    }

    /// One programme put together; `None` when its element is not in the taxonomy.
    fn programme(&self, p: mp_programme::Model, year_now: i32) -> Result<Option<Programme>> {
        let Some(dimension) = self
            .dims
            .iter()
            .find(|d| d.elements.iter().any(|e| e.id == p.element_id))
            .cloned()
        else {
            return Ok(None);
        };
        let Some(element) = dimension
            .elements
            .iter()
            .find(|e| e.id == p.element_id)
            .cloned()
        else {
            return Ok(None);
        };
        let kinds = ProgrammeKinds::try_from(&p)?;
        let indicators = self
            .indicators
            .iter()
            .filter(|i| i.programme_id == p.id)
            .map(|i| self.indicator(i, p.start_year..=p.end_year))
            .collect::<Result<Vec<_>>>()?;
        let past: Vec<Attainment> = indicators
            .iter()
            .flat_map(|i| i.values.iter())
            .filter(|v| v.year < year_now)
            .map(|v| v.attainment)
            .collect();
        Ok(Some(Programme {
            id: p.id,
            late: is_late(kinds.status, p.end_year, year_now, &past),
            name: p.name,
            description: p.description,
            dimension,
            element,
            horizon: kinds.horizon,
            status: kinds.status,
            owner: self
                .units
                .get(&p.owner_unit_id)
                .cloned()
                .unwrap_or(UnitRef {
                    id: p.owner_unit_id,
                    code: String::new(),
                    name: String::new(),
                }),
            partners: self
                .partners
                .iter()
                .filter(|x| x.programme_id == p.id)
                .filter_map(|x| self.units.get(&x.unit_id).cloned())
                .collect(),
            rpjmd_code: p.rpjmd_code,
            start_year: p.start_year,
            end_year: p.end_year,
            budgets: self
                .budgets
                .iter()
                .filter(|b| b.programme_id == p.id)
                .map(|b| (b.year, b.amount))
                .collect(),
            applications: self
                .links
                .iter()
                .filter(|l| l.programme_id == p.id)
                .map(|l| {
                    let name = self.apps.get(&l.application_id).cloned();
                    (l.application_id, name.unwrap_or_default())
                })
                .collect(),
            indicators,
            updates: self
                .updates
                .iter()
                .filter(|u| u.programme_id == p.id)
                .map(|u| self.update(u))
                .collect::<Result<_>>()?,
            updated_at: p.updated_at,
        }))
    }

    /// An indicator with every year of its programme, in order.
    fn indicator(
        &self,
        i: &mp_indicator::Model,
        years: std::ops::RangeInclusive<i32>,
    ) -> Result<Indicator> {
        let IndicatorKinds { measure, direction } = IndicatorKinds::try_from(i)?;
        let values = years
            .map(|year| {
                let v = self
                    .values
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
        Ok(Indicator {
            id: i.id,
            programme_id: i.programme_id,
            name: i.name.clone(),
            measure,
            direction,
            baseline: Centi(i.baseline),
            baseline_year: i.baseline_year,
            values,
        })
    }

    fn update(&self, u: &mp_update::Model) -> Result<Update> {
        let status = u
            .status
            .as_deref()
            .map(|s| {
                ProgrammeStatus::parse(s)
                    .map_err(|why| corrupt("mp_update", u.id, "status", s, why))
            })
            .transpose()?;
        Ok(Update {
            id: u.id,
            reported_on: stored_date("mp_update", u.id, "reported_on", &u.reported_on)?,
            summary: u.summary.clone(),
            status,
            author: u.author.clone(),
            evidence: self
                .evidence
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme(status: &str, horizon: &str) -> mp_programme::Model {
        mp_programme::Model {
            id: 7,
            name: "Kontak Bupati".into(),
            description: None,
            element_id: 1,
            horizon: horizon.into(),
            owner_unit_id: 1,
            rpjmd_code: None,
            start_year: 2025,
            end_year: 2026,
            status: status.into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn indicator(kind: &str, direction: &str) -> mp_indicator::Model {
        mp_indicator::Model {
            id: 3,
            programme_id: 7,
            name: "Pengaduan ditindaklanjuti".into(),
            kind: kind.into(),
            unit: String::new(),
            direction: direction.into(),
            baseline: 4500,
            baseline_year: 2024,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn stored_values_read_back_as_written() {
        let p = ProgrammeKinds::try_from(&programme("delayed", "quick_win")).unwrap();
        assert_eq!(p.status, ProgrammeStatus::Delayed);
        assert_eq!(p.horizon, Horizon::QuickWin);
        let i = IndicatorKinds::try_from(&indicator("percent", "decrease")).unwrap();
        assert_eq!(i.measure.kind, ValueKind::Percent);
        assert_eq!(i.direction, Direction::Decrease);
        assert_eq!(
            stored_date("mp_updates", 1, "reported_on", "2025-03-10").unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 10).unwrap()
        );
    }

    /// A value the domain cannot read fails the read, naming the row and the column: read
    /// as a default, a corrupt status would show (and be acted on) as `planned`.
    #[test]
    fn a_corrupt_stored_value_is_an_error_never_a_default() {
        for (p, column) in [
            (programme("Draft", "quick_win"), "status"),
            (programme("running", "someday"), "horizon"),
        ] {
            let e = ProgrammeKinds::try_from(&p).err().expect("corrupt");
            assert!(matches!(e, StorageError::Corrupt { .. }), "{e:?}");
            let text = e.to_string();
            assert!(
                text.contains("mp_programme 7") && text.contains(column),
                "{text}"
            );
        }
        for (i, column) in [
            (indicator("numbr", "increase"), "kind"),
            (indicator("count", "up"), "direction"),
        ] {
            let text = IndicatorKinds::try_from(&i)
                .err()
                .expect("corrupt")
                .to_string();
            assert!(
                text.contains("mp_indicator 3") && text.contains(column),
                "{text}"
            );
        }
        assert!(stored_date("mp_updates", 1, "reported_on", "2025-13-10").is_err());
        assert!(stored_date("mp_updates", 1, "reported_on", "").is_err());
    }
}
