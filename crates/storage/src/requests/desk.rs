//! The desk and the inbox at volume (issue 24): resolving with photos of the result in one
//! transaction, and what a forward said, for the receiving unit's inbox.

use super::intake::PhotoFile;
use crate::audit::{self, Change};
use crate::entity::{request, request_event, unit};
use crate::{Result, Store};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::policy::Actor;
use kotapintar_domain::request::workflow::StaffAction;
use kotapintar_domain::request::{RequestRules, Status, Step};
use kotapintar_domain::working_days::Calendar;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use std::collections::HashMap;

/// Resolves a request with photos of the result: the step and the photos commit together, so
/// a refused step (a response too short, a status that does not allow it) keeps no photo, and
/// photos that cannot be stored leave the request open. The photos were checked and cleaned
/// (`media::clean_photo`) by the caller; they are public with the request, as the reporter's
/// are (served only to staff when the request is confidential).
#[allow(clippy::too_many_arguments)]
pub async fn resolve_with_photos(
    store: &Store,
    uploads: &std::path::Path,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    id: RequestId,
    response: String,
    photos: Vec<PhotoFile>,
) -> Result<Status> {
    let action = StaffAction::Resolve { response };
    if photos.is_empty() {
        return super::act(store, rules, calendar, actor, id, action).await;
    }
    let (rows, pending) =
        super::intake::write_staff_photos(store, uploads, id.0, &photos, "photos").await?;
    let tx = store.writer.begin().await?;
    // the step first: if it is refused, the files written above go with `pending`
    let status = super::act_in(&tx, rules, calendar, actor, id, &action).await?;
    for mut p in rows {
        p.request_id = Set(id.0);
        p.insert(&tx).await?;
    }
    audit::append(
        &tx,
        &actor.into(),
        Change::new("request.attach", "request", id.0)
            .after(&serde_json::json!({ "photos": photos.len(), "with": "resolve" })),
    )
    .await?;
    tx.commit().await?;
    pending.keep();
    Ok(status)
}

/// How many requests someone still has to work on, across the regency: the leadership's
/// first figure.
pub async fn open_count(store: &Store) -> Result<u64> {
    Ok(request::Entity::find()
        .filter(request::Column::Status.is_in(super::open_statuses()))
        .filter(request::Column::MergedInto.is_null())
        .count(&store.reader)
        .await?)
}

/// What the latest forward of a request said: the unit that forwarded it and its reason.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub from_unit: Option<String>,
    pub reason: String,
}

/// The latest forward of each of these requests (those forwarded at all), for the inbox the
/// request landed on: the receiving unit reads why it came without opening it.
pub async fn forwards(store: &Store, ids: &[i64]) -> Result<HashMap<i64, Forwarded>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let events = request_event::Entity::find()
        .filter(request_event::Column::RequestId.is_in(ids.iter().copied()))
        .filter(request_event::Column::Step.eq(Step::Forward.as_str()))
        .order_by_desc(request_event::Column::Id)
        .all(&store.reader)
        .await?;
    let unit_ids: Vec<i64> = events.iter().filter_map(|e| e.unit_id).collect();
    let names: HashMap<i64, String> = if unit_ids.is_empty() {
        HashMap::new()
    } else {
        unit::Entity::find()
            .filter(unit::Column::Id.is_in(unit_ids))
            .all(&store.reader)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    let mut out = HashMap::new();
    for e in events {
        if out.contains_key(&e.request_id) {
            continue; // newest first: an older forward of the same request
        }
        let Some(note) = e.note else { continue };
        out.insert(
            e.request_id,
            Forwarded {
                from_unit: e.unit_id.and_then(|u| names.get(&u).cloned()),
                reason: reason_of(&note),
            },
        );
    }
    Ok(out)
}

/// The reason typed by the forwarding officer, out of the entry's note, which the workflow
/// writes as `diteruskan → {unit}: {reason}` (the target unit is already the reader's own).
fn reason_of(note: &str) -> String {
    note.strip_prefix("diteruskan → ")
        .and_then(|rest| rest.split_once(": "))
        .map_or(note, |(_, reason)| reason)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::reason_of;

    #[test]
    fn the_reason_comes_out_of_the_forward_note() {
        assert_eq!(
            reason_of("diteruskan → Dinas Perhubungan: Rambu lalu lintas, bukan jalan."),
            "Rambu lalu lintas, bukan jalan."
        );
        // a note written otherwise (an import) is shown whole
        assert_eq!(reason_of("pindah unit"), "pindah unit");
    }
}
