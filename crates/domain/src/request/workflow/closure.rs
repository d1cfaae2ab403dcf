//! Validated closure (issue 21): for services that require it, a unit's resolution waits for
//! the central desk, which checks the follow-up (with photos of the result for complaints about
//! physical things) and accepts it, so the reporter is asked to confirm, or returns it to the
//! unit with a reason ("tindak lanjut ditolak"). Kept apart from the other steps so the
//! workflow's main match only calls in here.

use super::{field, ClosureFacts, Context, Current, Facts, Notice, Outcome, Refusal, StaffAction};
use crate::request::Status;

/// The shortest reason a returned follow-up may carry: the unit must learn what to do.
const MIN_REASON_CHARS: usize = 5;

/// The status a step leads to: a resolution of a service that requires validation waits for
/// the desk instead of going to the reporter.
pub(super) fn target(to: Status, action: &StaffAction, facts: &Facts) -> Status {
    match action {
        StaffAction::Resolve { .. } if facts.closure.validate && to == Status::Selesai => {
            Status::MenungguValidasi
        }
        _ => to,
    }
}

/// Photos of the result are required and none were added since the follow-up was last
/// returned.
fn photos_missing(c: &ClosureFacts) -> bool {
    c.photos_required && c.result_photos == 0
}

/// After `resolve`: the photos the service requires, and for a resolution that waits for the
/// desk its own deadline and the desk's notice instead of the objection window.
pub(super) fn on_resolve(o: &mut Outcome, facts: &Facts, ctx: &Context<'_>) -> Result<(), Refusal> {
    if photos_missing(&facts.closure) {
        return Err(field("photo", "result_photo_required"));
    }
    if o.to == Status::MenungguValidasi {
        o.changes.stage_due_at = Some(Some(ctx.due_in(ctx.rules.validate_days)));
        o.changes.escalation_level = Some(0);
    }
    Ok(())
}

/// The desk accepts the follow-up: the request is resolved as the unit resolved it (its
/// response and time stand), and the reporter's objection window starts now.
pub(super) fn accept(
    o: &mut Outcome,
    current: &Current<'_>,
    note: &Option<String>,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    // the desk cannot pass a follow-up the service's rule says is incomplete
    if photos_missing(&facts.closure) {
        return Err(field("photo", "result_photo_required"));
    }
    o.changes.stage_due_at = Some(Some(ctx.due_in(ctx.rules.objection_days)));
    o.changes.escalation_level = Some(0);
    o.entry.note = Some(
        note.as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("tindak lanjut divalidasi")
            .to_string(),
    );
    o.entry.public = true;
    for unit in current.handling {
        o.notices.push(Notice::Unit {
            unit: *unit,
            what_id: "Tindak lanjut divalidasi".into(),
            what_en: "Follow-up validated".into(),
        });
    }
    Ok(())
}

/// The desk returns the follow-up: back to the unit, which works on it again within the time
/// it had (the service's limit), with the desk's reason on the internal timeline.
pub(super) fn give_back(
    o: &mut Outcome,
    current: &Current<'_>,
    reason: &str,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    let reason = reason.trim();
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(field("reason", "required"));
    }
    let due = current
        .resolve_due_at
        .filter(|d| *d > ctx.now)
        .unwrap_or_else(|| ctx.due_in(ctx.rules.follow_up_days));
    o.changes.resolved_at = Some(None);
    o.changes.stage_due_at = Some(Some(due));
    o.changes.escalation_level = Some(0);
    // the desk's words to the unit: internal, like a verification note
    o.entry.note = Some(format!("tindak lanjut ditolak: {reason}"));
    o.entry.public = false;
    for unit in current.handling {
        o.notices.push(Notice::Unit {
            unit: *unit,
            what_id: format!("Tindak lanjut ditolak: {reason}"),
            what_en: format!("Follow-up returned: {reason}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
