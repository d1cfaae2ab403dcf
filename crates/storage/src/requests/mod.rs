//! Requests (laporan): intake, the workflow steps, the reporter's own actions, the public and
//! staff views, and the periodic sweep (escalation, automatic closing, retention).

mod act;
mod by_rule;
mod desk;
mod erasure;
mod historical;
mod inbox;
mod intake;
mod merge;
mod read;
mod reporter;
mod sweep;
mod thread;
mod untaken;

pub use act::*;
pub use desk::*;
pub use erasure::{ErasedPhotos, ERASED_PAYLOAD};
pub use historical::*;
pub use inbox::*;
pub use intake::*;
pub use merge::*;
pub use read::*;
pub use reporter::*;
pub use sweep::*;
pub use thread::*;
pub use untaken::*;

/// The steps people take, decided by the workflow in the domain (`request::workflow`).
pub use kotapintar_domain::request::{ReporterAction, StaffAction};

use crate::entity::{request, request_event, request_unit, unit};
use crate::{Result, StorageError};
use chrono::{DateTime, Utc};
use kotapintar_domain::event::{DomainEvent, RequestStep, RequestStepEvent, RequestTextChanged};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::policy::Actor;
use kotapintar_domain::privacy::{self, PublicText};
use kotapintar_domain::request::workflow::{
    decide, By, Context, Current, Facts, Notice, Outcome, Refusal, SweepAction, Taken, UnitChange,
};
use kotapintar_domain::request::{RequestRules, Status};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The stored names of the statuses someone still has to work on.
fn open_statuses() -> Vec<&'static str> {
    Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect()
}

/// Open and past its stage's deadline at `now` (a deferred request never is: its clock is
/// suspended until its date).
fn overdue_at(now: DateTime<Utc>) -> Condition {
    let late: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.can_be_late())
        .map(|s| s.as_str())
        .collect();
    Condition::all()
        .add(request::Column::Status.is_in(late))
        .add(request::Column::StageDueAt.lt(now))
        // a merged duplicate waits on its primary: it is never late on its own
        .add(request::Column::MergedInto.is_null())
}

/// A stored status; one that is not a status is a corrupt row, never a default.
fn status_of(s: &str) -> Result<Status> {
    Status::parse(s).map_err(|_| StorageError::Other(format!("corrupt request status {s:?}")))
}

pub fn follow_link(rules: &RequestRules, code: &str, token: &str) -> String {
    format!(
        "{}/laporan/{code}/ikuti/{token}",
        rules.public_url.trim_end_matches('/')
    )
}

pub fn public_link(rules: &RequestRules, code: &str) -> String {
    format!("{}/laporan/{code}", rules.public_url.trim_end_matches('/'))
}

fn staff_link(rules: &RequestRules, id: i64) -> String {
    format!(
        "{}/staf/laporan/{id}",
        rules.public_url.trim_end_matches('/')
    )
}

/// Writes one timeline entry, and the same step to the event outbox (in the caller's
/// transaction). The outbox carries no personal data and only public notes.
#[allow(clippy::too_many_arguments)]
async fn add_event(
    db: &impl ConnectionTrait,
    row: &request::Model,
    actor: &str,
    actor_user_id: Option<i64>,
    step: RequestStep,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
    note_public: bool,
    unit_id: Option<i64>,
) -> Result<()> {
    let request_id = row.id;
    let public_note =
        privacy::public_note(note, note_public, &names_of(row.reporter_name.as_deref()));
    request_event::ActiveModel {
        request_id: Set(request_id),
        at: Set(Utc::now()),
        actor: Set(actor.into()),
        actor_user_id: Set(actor_user_id),
        step: Set(step.name().into()),
        from_status: Set(from.map(|s| s.as_str().into())),
        to_status: Set(to.as_str().into()),
        note: Set(note.map(str::to_string)),
        note_public: Set(note_public),
        unit_id: Set(unit_id),
        public_note: Set(public_note.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // a request just filed has no units yet: spare the intake path a query
    let units = if step == RequestStep::Created {
        Vec::new()
    } else {
        handling_units(db, request_id).await?
    };
    let event = DomainEvent::Request(RequestStepEvent {
        tracking_code: row.tracking_code.clone(),
        kind: row.kind.clone(),
        step,
        from_status: from.map(|s| s.as_str().into()),
        status: to.as_str().into(),
        // the public copy: unit applications and webhook receivers are outside parties
        note: public_note,
        units: units.iter().map(|u| u.0).collect(),
        confidential: row.confidential,
    });
    crate::events::append_event(db, &event, &units, row.confidential).await?;
    Ok(())
}

// Reading

async fn find_row_by_code(db: &impl ConnectionTrait, code: &str) -> Result<request::Model> {
    request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code))
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)
}

async fn handling_units(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<UnitId>> {
    Ok(request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(request_id))
        .filter(request_unit::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|d| UnitId(d.unit_id))
        .collect())
}

async fn unit_row(db: &impl ConnectionTrait, id: UnitId) -> Result<unit::Model> {
    unit::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::field("units", "unknown_unit"))
}

/// The stored public text of a row.
fn public_text_of(row: &request::Model) -> PublicText {
    PublicText {
        title: row.public_title.clone(),
        description: row.public_description.clone(),
        location_address: row.public_location_address.clone(),
        response: row.public_response.clone(),
    }
}

/// Why someone may not act on a request: a `rahasia` request that is none of their business
/// answers exactly as an unknown code does, so a refusal never confirms that it exists.
fn refusal(row: &request::Model, actor: &Actor, handling: &[UnitId]) -> StorageError {
    if row.confidential && !actor.can_view_request(handling) {
        StorageError::NotFound
    } else {
        StorageError::Forbidden
    }
}

/// Sets the stored public copies of a request's free text.
fn set_public_text(m: &mut request::ActiveModel, p: PublicText) {
    m.public_title = Set(p.title);
    m.public_description = Set(p.description);
    m.public_location_address = Set(p.location_address);
    m.public_response = Set(p.response);
}

/// The names masked out of a request's public text: the reporter's, while it is stored.
fn names_of(name: Option<&str>) -> Vec<&str> {
    name.into_iter().collect()
}

/// Refuses, before an upload is read, someone who may not work on the request (validated
/// closure's photos of the result): the same answer `attach_photos` would give.
pub async fn check_may_work_on(
    store: &crate::Store,
    actor: &Actor,
    id: kotapintar_domain::ids::RequestId,
) -> Result<()> {
    let row = request::Entity::find_by_id(id.0)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let handling = handling_units(&store.reader, id.0).await?;
    if actor.can_work_on(&handling) {
        Ok(())
    } else {
        Err(refusal(&row, actor, &handling))
    }
}
