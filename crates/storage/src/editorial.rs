//! The storage side of the editorial workflow that content and open data share: the stored
//! status read back and the step decided by `kotapintar_domain::editorial::step`, with the
//! same errors for both.

use crate::{Result, StorageError};
use kotapintar_domain::editorial::{self, EditorialStatus, EditorialStep, Transition};

/// Decides `step` for a row whose stored status is `stored` (in `column`, for the error).
/// A status that does not parse is corrupt (never taken for a draft); a step the status does
/// not allow is a conflict ("cannot publish a dataset that is published"), since someone may
/// have taken a step a moment ago. `what` names the subject: "an item", "a dataset".
pub(crate) fn decide(
    column: &str,
    stored: &str,
    step: EditorialStep,
    what: &str,
) -> Result<Transition> {
    let from = EditorialStatus::parse(stored).map_err(|_| StorageError::corrupt(column, stored))?;
    editorial::step(from, step).map_err(|_| {
        StorageError::Conflict(format!(
            "cannot {} {what} that is {}",
            step.as_str(),
            from.as_str()
        ))
    })
}
