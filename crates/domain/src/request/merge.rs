//! Merged cases: staff merge duplicates into one primary case. A merged duplicate points to its
//! primary and keeps its own status, deadlines and units untouched (so an unmerge gives them
//! back exactly), leaves the queues and the figures, shows the primary's status, and its
//! reporter hears of every later step of the primary.
//!
//! What may be merged, decided here without I/O:
//!
//! - not a request into itself, and no chains: the primary is not itself merged, and a
//!   duplicate that others were merged into is not merged further (unmerge them first);
//! - both sides open (still waiting for the government): a rejected or closed request has had
//!   its answer, and a case already resolved or closed cannot take on a new reporter's
//!   problem; a resolved primary waiting for confirmation (`selesai`) is refused too, since
//!   its reporter's confirmation would close the newcomer's case unseen;
//! - both rahasia or both not: a rahasia request must never be linked from a public page, and
//!   the reporter of a public request must not receive the notices of a rahasia one (nor the
//!   other way round, which would tell them a public request's handling is private);
//! - by the desk, or by the staff of a unit handling both requests; a rahasia duplicate they
//!   may not see is answered as unknown.
//!
//! Unmerging: the same people; the duplicate is simply no longer merged.

use super::workflow::Refusal;
use super::Status;
use crate::ids::{RequestId, UnitId};
use crate::policy::Actor;

/// One side of a merge as storage loaded it.
#[derive(Debug, Clone)]
pub struct Side<'a> {
    pub id: RequestId,
    pub code: &'a str,
    pub status: Status,
    pub confidential: bool,
    pub merged_into: Option<RequestId>,
    /// How many requests are merged into this one now.
    pub duplicates: u64,
    pub handling: &'a [UnitId],
}

/// The timeline entries a merge or an unmerge writes, on the duplicate and on the primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entries {
    /// Public on the duplicate: the primary's code, never anything personal.
    pub on_duplicate: String,
    /// Internal on the primary.
    pub on_primary: String,
}

fn field(field: &'static str, code: &'static str) -> Refusal {
    Refusal::Field { field, code }
}

/// Whether `actor` may merge or unmerge `duplicate` at all, before the primary is known: the
/// desk, or the staff of a unit handling it. A rahasia request they may not see is answered
/// as unknown.
pub fn may_start(actor: &Actor, duplicate: &Side<'_>) -> Result<(), Refusal> {
    if actor.can_triage() || actor.can_work_on(duplicate.handling) {
        Ok(())
    } else if duplicate.confidential && !actor.can_view_request(duplicate.handling) {
        Err(Refusal::Hidden)
    } else {
        Err(Refusal::Forbidden)
    }
}

/// The desk merges any two requests; a unit's staff only requests their unit handles both
/// of (a unit does not take over another unit's request by merging it into its own).
fn may_act(actor: &Actor, duplicate: &Side<'_>, primary: &Side<'_>) -> Result<(), Refusal> {
    may_start(actor, duplicate)?;
    if actor.can_triage() || actor.can_work_on(primary.handling) {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

/// Whether `duplicate` may be merged into `primary` by `actor`, and what the timelines say.
pub fn merge(actor: &Actor, duplicate: &Side<'_>, primary: &Side<'_>) -> Result<Entries, Refusal> {
    may_act(actor, duplicate, primary)?;
    if duplicate.id == primary.id {
        return Err(field("primary", "merge_self"));
    }
    if duplicate.merged_into.is_some() {
        return Err(Refusal::Conflict("the request is already merged"));
    }
    if primary.merged_into.is_some() {
        return Err(field("primary", "merge_chain"));
    }
    if duplicate.duplicates > 0 {
        return Err(field("primary", "merge_has_duplicates"));
    }
    if duplicate.confidential != primary.confidential {
        return Err(field("primary", "merge_confidential"));
    }
    if !duplicate.status.is_open() {
        return Err(Refusal::Conflict(
            "a closed or rejected request is not merged",
        ));
    }
    if !primary.status.is_open() {
        return Err(field("primary", "merge_primary_closed"));
    }
    Ok(Entries {
        on_duplicate: format!("digabung ke {}", primary.code),
        on_primary: format!("{} digabung ke laporan ini", duplicate.code),
    })
}

/// Whether a merged duplicate may be unmerged by `actor`.
pub fn unmerge(
    actor: &Actor,
    duplicate: &Side<'_>,
    primary: &Side<'_>,
) -> Result<Entries, Refusal> {
    may_act(actor, duplicate, primary)?;
    if duplicate.merged_into != Some(primary.id) {
        return Err(Refusal::Conflict("the request is not merged"));
    }
    Ok(Entries {
        on_duplicate: format!("dipisahkan kembali dari {}", primary.code),
        on_primary: format!("{} dipisahkan kembali dari laporan ini", duplicate.code),
    })
}

/// A merged duplicate takes no step of its own: the primary carries the case.
pub fn refuse_if_merged(merged_into: Option<RequestId>) -> Result<(), Refusal> {
    match merged_into {
        Some(_) => Err(Refusal::Conflict(
            "the request is merged into another: act on that one",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
