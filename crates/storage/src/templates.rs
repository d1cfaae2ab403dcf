//! Response templates (templat jawaban): reusable answers for officers.

use crate::audit::{self, AuditActor, Change};
use crate::entity::response_template;
use crate::{Result, Store};
use kotapintar_domain::ids::UnitId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// Templates usable by these units: their own and the shared ones (no unit).
pub async fn for_units(store: &Store, units: &[UnitId]) -> Result<Vec<(String, String)>> {
    let ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    let mut cond = Condition::any().add(response_template::Column::UnitId.is_null());
    if !ids.is_empty() {
        cond = cond.add(response_template::Column::UnitId.is_in(ids));
    }
    Ok(response_template::Entity::find()
        .filter(cond)
        .order_by_asc(response_template::Column::Title)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|t| (t.title, t.body))
        .collect())
}

pub async fn create(
    store: &Store,
    actor: &AuditActor,
    unit: Option<UnitId>,
    title: &str,
    body: &str,
) -> Result<i64> {
    let tx = store.writer.begin().await?;
    let m = response_template::ActiveModel {
        unit_id: Set(unit.map(|u| u.0)),
        title: Set(title.into()),
        body: Set(body.into()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        actor,
        Change::new("template.create", "response_template", m.id)
            .after(&serde_json::json!({"title": title})),
    )
    .await?;
    tx.commit().await?;
    Ok(m.id)
}
