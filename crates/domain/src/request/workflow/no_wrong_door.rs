//! No wrong door (issue 21): "bukan wewenang" is a step, not a dead end, and a request may
//! wait with a date. Kept apart from the other steps so the workflow's main match only calls
//! in here.
//!
//! - **Refer**: the desk (before or after dispatch) or the unit it was dispatched to (before
//!   work starts: a unit that has started work has judged it its own) sends the request to a
//!   registered outside agency with a public reason. The request leaves the regency's queue
//!   (`dialihkan`, closed), the reporter is told where it went and how to reach the agency,
//!   and the figures count it apart from resolved requests.
//! - **Defer**: the handling unit defers it to a date (tomorrow at the earliest, a year at
//!   most) with a public reason. Its deadline is that date; the stage's clock is suspended.
//! - **Resume**: staff early, or the sweep on the date: back to the status it had, with a
//!   fresh deadline in working days.

use super::{field, Context, Current, Facts, Notice, Outcome, Refusal};
use crate::privacy;
use crate::request::Status;
use crate::working_days::local_date;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// A public reason must say something.
const MIN_REASON_CHARS: usize = 5;
const MAX_REASON_CHARS: usize = 1000;
/// How far ahead a request may be deferred: beyond a year it is not deferred but shelved.
pub const MAX_DEFER_DAYS: i64 = 365;

/// The reason as the public sees it: trimmed, checked, masked of personal data (the
/// reporter's name, phone numbers, NIK) as every public text is.
fn public_reason(current: &Current<'_>, reason: &str) -> Result<String, Refusal> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if n < MIN_REASON_CHARS {
        return Err(field("reason", "required"));
    }
    if n > MAX_REASON_CHARS {
        return Err(field("reason", "too_long"));
    }
    Ok(privacy::mask_personal_data(reason, current.reporter_name))
}

/// Bukan wewenang: to the agency the facts found (active ones only), with a public reason.
pub(super) fn refer(
    o: &mut Outcome,
    current: &Current<'_>,
    agency: i64,
    reason: &str,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    let Some(a) = facts.agency.as_ref().filter(|a| a.id == agency) else {
        return Err(field("agency", "unknown_agency"));
    };
    let reason = public_reason(current, reason)?;
    let c = &mut o.changes;
    c.referred_to = Some(Some(a.id));
    c.status_reason = Some(Some(reason.clone()));
    c.closed_at = Some(Some(ctx.now));
    c.stage_due_at = Some(None);
    let contact = a.contact_line();
    // the public timeline says where and why; the agency's contact is on the public page from
    // the agency itself (the timeline's masking would hide its email and phone), and the
    // reporter's notice carries it
    let note = format!("Dialihkan ke {}: {reason}", a.name);
    o.reporter_note = (!contact.is_empty()).then(|| format!("{note} (kontak: {contact})"));
    o.entry.note = Some(note);
    o.entry.public = true;
    for unit in current.handling {
        o.notices.push(Notice::Unit {
            unit: *unit,
            what_id: format!("Laporan dialihkan ke {}", a.name),
            what_en: format!("Request referred to {}", a.name),
        });
    }
    Ok(())
}

/// Reads the date a request is deferred to: a `date` input's value, after today (local) and
/// no more than [`MAX_DEFER_DAYS`] ahead.
pub fn defer_date(raw: &str, ctx: &Context<'_>) -> Result<NaiveDate, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("required");
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "invalid_date")?;
    let today = local_date(ctx.now, ctx.rules.utc_offset);
    if date <= today {
        return Err("date_not_in_future");
    }
    if date > today + Duration::days(MAX_DEFER_DAYS) {
        return Err("date_too_far");
    }
    Ok(date)
}

/// The instant a deferral ends: the start of its date in the deployment's zone.
pub fn deferred_until(date: NaiveDate, ctx: &Context<'_>) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    (local - Duration::seconds(i64::from(ctx.rules.utc_offset.local_minus_utc()))).and_utc()
}

pub(super) fn defer(
    o: &mut Outcome,
    current: &Current<'_>,
    until: &str,
    reason: &str,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    let date = defer_date(until, ctx).map_err(|code| field("until", code))?;
    let reason = public_reason(current, reason)?;
    let at = deferred_until(date, ctx);
    let c = &mut o.changes;
    c.deferred = Some(Some((current.status, at)));
    // its own deadline is the date; nothing escalates before it
    c.stage_due_at = Some(Some(at));
    c.escalation_level = Some(0);
    c.status_reason = Some(Some(reason.clone()));
    o.entry.note = Some(format!(
        "Ditunda sampai {}: {reason}",
        date.format("%d-%m-%Y")
    ));
    o.entry.public = true;
    Ok(())
}

/// The status a deferred request goes back to: the one it had (an older row without it
/// returns to the unit's work).
pub(super) fn resumed_to(current: &Current<'_>, usual: Status) -> Status {
    current.deferred_from.unwrap_or(usual)
}

/// Back to work with fresh deadlines: the stage's limit from now, and the service's limit
/// moved so the time deferred is not counted against the unit.
pub(super) fn resume(
    o: &mut Outcome,
    current: &Current<'_>,
    note: Option<String>,
    facts: &Facts,
    ctx: &Context<'_>,
) {
    let resolve_days = facts.service_days.unwrap_or(ctx.rules.default_resolve_days);
    let resolve_due = ctx.due_in(resolve_days);
    let resolve_due = current
        .resolve_due_at
        .map_or(resolve_due, |d| d.max(resolve_due));
    let stage_due = if o.to == Status::Didisposisikan {
        ctx.due_in(ctx.rules.follow_up_days)
    } else {
        resolve_due
    };
    let c = &mut o.changes;
    c.deferred = Some(None);
    c.status_reason = Some(None);
    c.stage_due_at = Some(Some(stage_due));
    c.resolve_due_at = Some(resolve_due);
    c.escalation_level = Some(0);
    o.entry.note =
        Some(note.unwrap_or_else(|| "penundaan berakhir, laporan diproses kembali".into()));
    o.entry.public = true;
    for unit in current.handling {
        o.notices.push(Notice::Unit {
            unit: *unit,
            what_id: "Laporan yang ditunda diproses kembali".into(),
            what_en: "A deferred request is back in progress".into(),
        });
    }
}

#[cfg(test)]
mod tests;
