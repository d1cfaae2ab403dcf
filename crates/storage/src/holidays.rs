//! The holiday calendar that working-day deadlines skip. Seeded from the national list
//! compiled into the binary; admins add cuti bersama and local days (Galungan, Kuningan).

use crate::audit::{self, AuditActor, Change};
use crate::entity::holiday;
use crate::{Result, Store};
use chrono::NaiveDate;
use kotapintar_domain::working_days::{Calendar, Holiday};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder, Set, TransactionTrait};

/// One day in the calendar as kept: the day, and whether it was imported (`national`) or
/// added by an admin (`local`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub day: Holiday,
    pub source: String,
}

async fn rows(store: &Store) -> Result<Vec<holiday::Model>> {
    Ok(holiday::Entity::find()
        .order_by_asc(holiday::Column::Date)
        .all(&store.reader)
        .await?)
}

/// Every day in the calendar, in date order; a stored date that does not read is an error.
pub async fn list(store: &Store) -> Result<Vec<Entry>> {
    rows(store)
        .await?
        .into_iter()
        .map(|h| {
            let date = NaiveDate::parse_from_str(&h.date, "%Y-%m-%d")
                .map_err(|_| crate::StorageError::corrupt("holidays.date", &h.date))?;
            Ok(Entry {
                day: Holiday {
                    date,
                    name_id: h.name_id,
                    name_en: h.name_en,
                },
                source: h.source,
            })
        })
        .collect()
}

pub async fn calendar(store: &Store) -> Result<Calendar> {
    let dates = rows(store)
        .await?
        .into_iter()
        .filter_map(|h| NaiveDate::parse_from_str(&h.date, "%Y-%m-%d").ok());
    Ok(Calendar::new(dates))
}

/// Loads the given holidays if the table is empty (first start); later edits are the admins'.
pub async fn seed_if_empty(store: &Store, national: &[Holiday]) -> Result<usize> {
    if holiday::Entity::find().count(&store.reader).await? > 0 {
        return Ok(0);
    }
    upsert(
        store,
        &AuditActor::System("holidays-seed".into()),
        national,
        "national",
    )
    .await
}

/// Adds or renames holidays (one transaction, audited).
pub async fn upsert(
    store: &Store,
    actor: &AuditActor,
    days: &[Holiday],
    source: &str,
) -> Result<usize> {
    let tx = store.writer.begin().await?;
    for chunk in days.chunks(200) {
        let models = chunk.iter().map(|h| holiday::ActiveModel {
            date: Set(h.date.format("%Y-%m-%d").to_string()),
            name_id: Set(h.name_id.clone()),
            name_en: Set(h.name_en.clone()),
            source: Set(source.to_string()),
        });
        holiday::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(holiday::Column::Date)
                    .update_columns([
                        holiday::Column::NameId,
                        holiday::Column::NameEn,
                        holiday::Column::Source,
                    ])
                    .to_owned(),
            )
            .exec(&tx)
            .await?;
    }
    audit::append(
        &tx,
        actor,
        Change::new("holidays.upsert", "holiday", days.len()).after(&serde_json::json!(days
            .iter()
            .map(|h| h.date.to_string())
            .collect::<Vec<_>>())),
    )
    .await?;
    tx.commit().await?;
    Ok(days.len())
}

pub async fn remove(store: &Store, actor: &AuditActor, date: NaiveDate) -> Result<()> {
    let tx = store.writer.begin().await?;
    let key = date.format("%Y-%m-%d").to_string();
    holiday::Entity::delete_by_id(key.clone()).exec(&tx).await?;
    audit::append(&tx, actor, Change::new("holidays.remove", "holiday", key)).await?;
    tx.commit().await?;
    Ok(())
}
