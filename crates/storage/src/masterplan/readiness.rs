//! Readiness self-assessments, and the progress report for a period.

use super::load::{corrupt, stored_date};
use super::{dimensions, list, Dimension, Programme, Update};
use crate::audit::{self, AuditActor, Change};
use crate::entity::{readiness_assessment, readiness_score};
use crate::{Result, Store};
use chrono::{NaiveDate, Utc};
use kotapintar_domain::masterplan::{readiness_score as score_of, Centi};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set, TransactionTrait};
use serde::Serialize;

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
    readiness_assessment::Entity::find()
        .order_by_asc(readiness_assessment::Column::AssessedOn)
        .order_by_asc(readiness_assessment::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|a| {
            let items = scores
                .iter()
                .filter(|s| s.assessment_id == a.id)
                .map(|s| {
                    let score = u8::try_from(s.score).map_err(|e| {
                        corrupt(
                            "readiness_score",
                            s.id,
                            "score",
                            &s.score.to_string(),
                            &e.to_string(),
                        )
                    })?;
                    Ok((s.item.clone(), score))
                })
                .collect::<Result<_>>()?;
            Ok(Assessment {
                id: a.id,
                assessed_on: stored_date(
                    "readiness_assessment",
                    a.id,
                    "assessed_on",
                    &a.assessed_on,
                )?,
                notes: a.notes,
                structure: Centi(a.structure),
                infrastructure: Centi(a.infrastructure),
                superstructure: Centi(a.superstructure),
                overall: Centi(a.overall),
                items,
                author: a.author,
            })
        })
        .collect()
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
