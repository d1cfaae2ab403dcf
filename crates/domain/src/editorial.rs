//! The editorial workflow that content and open data share: draft, review, published. One
//! decision for both, so the two cannot drift apart: [`step`] says where a step leads and what
//! the change is called in the outbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an item is in the editorial workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditorialStatus {
    Draft,
    Review,
    Published,
}

impl EditorialStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Review => "review",
            Self::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s {
            "draft" => Ok(Self::Draft),
            "review" => Ok(Self::Review),
            "published" => Ok(Self::Published),
            _ => Err("invalid_choice"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorialStep {
    /// An editor asks for the item to be published.
    Submit,
    /// A unit admin publishes (now, or at `publish_at`).
    Publish,
    /// A reviewer sends it back to the editor.
    Return,
    /// Take a published item off the public site.
    Unpublish,
}

impl EditorialStep {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s {
            "submit" => Ok(Self::Submit),
            "publish" => Ok(Self::Publish),
            "return" => Ok(Self::Return),
            "unpublish" => Ok(Self::Unpublish),
            _ => Err("invalid_choice"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Publish => "publish",
            Self::Return => "return",
            Self::Unpublish => "unpublish",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this step is not possible from the item's current state")]
pub struct ImpossibleStep;

/// The editorial state machine. A draft may be published directly by someone who may publish
/// (a unit admin writing their own news); `Submit` is the editor's route.
pub fn next_status(
    from: EditorialStatus,
    step: EditorialStep,
) -> Result<EditorialStatus, ImpossibleStep> {
    use EditorialStatus::*;
    use EditorialStep::*;
    match (from, step) {
        (Draft, Submit) => Ok(Review),
        (Draft | Review, Publish) => Ok(Published),
        (Review, Return) => Ok(Draft),
        (Published, Unpublish) => Ok(Draft),
        _ => Err(ImpossibleStep),
    }
}

/// What a step did, as the outbox names it (`content.published`, `dataset.returned`, ...).
/// `Saved` is an edit that stays in its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditorialChange {
    Saved,
    Submitted,
    Published,
    Returned,
    Unpublished,
}

impl EditorialChange {
    pub const ALL: [Self; 5] = [
        Self::Saved,
        Self::Submitted,
        Self::Published,
        Self::Returned,
        Self::Unpublished,
    ];
}

/// One step decided: from where to where, and what it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub step: EditorialStep,
    pub from: EditorialStatus,
    pub to: EditorialStatus,
    pub change: EditorialChange,
}

impl Transition {
    /// When the subject is public after the step: at `scheduled` if that is still to come
    /// (content may be scheduled), else now; `None` unless the step publishes.
    pub fn published_at(
        &self,
        scheduled: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        (self.to == EditorialStatus::Published)
            .then(|| scheduled.filter(|p| *p > now).unwrap_or(now))
    }
}

/// Takes `step` from `from`, or says it is not possible. Who may take it is a separate
/// question (`Permission::ContentStep`, `Permission::DatasetStep`).
pub fn step(from: EditorialStatus, step: EditorialStep) -> Result<Transition, ImpossibleStep> {
    let to = next_status(from, step)?;
    let change = match (from, to) {
        (_, EditorialStatus::Published) => EditorialChange::Published,
        (_, EditorialStatus::Review) => EditorialChange::Submitted,
        (EditorialStatus::Published, EditorialStatus::Draft) => EditorialChange::Unpublished,
        (_, EditorialStatus::Draft) => EditorialChange::Returned,
    };
    Ok(Transition {
        step,
        from,
        to,
        change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_steps() {
        use EditorialStatus::*;
        use EditorialStep::*;
        assert_eq!(next_status(Draft, Submit), Ok(Review));
        assert_eq!(next_status(Review, Publish), Ok(Published));
        assert_eq!(next_status(Draft, Publish), Ok(Published));
        assert_eq!(next_status(Review, Return), Ok(Draft));
        assert_eq!(next_status(Published, Unpublish), Ok(Draft));
        assert_eq!(next_status(Published, Publish), Err(ImpossibleStep));
        assert_eq!(next_status(Review, Submit), Err(ImpossibleStep));
        assert_eq!(next_status(Draft, Return), Err(ImpossibleStep));
    }

    #[test]
    fn each_step_names_its_change() {
        use EditorialChange as C;
        use EditorialStatus::*;
        use EditorialStep::*;
        let change = |from, s| step(from, s).map(|t| t.change);
        assert_eq!(change(Draft, Submit), Ok(C::Submitted));
        assert_eq!(change(Draft, Publish), Ok(C::Published));
        assert_eq!(change(Review, Publish), Ok(C::Published));
        assert_eq!(change(Review, Return), Ok(C::Returned));
        assert_eq!(change(Published, Unpublish), Ok(C::Unpublished));
        assert_eq!(change(Published, Submit), Err(ImpossibleStep));
        let t = step(Review, Return).unwrap();
        assert_eq!((t.from, t.to, t.step), (Review, Draft, Return));
        assert_eq!(t.published_at(None, chrono::Utc::now()), None);
    }

    #[test]
    fn publishing_honours_a_schedule_still_to_come() {
        let now = chrono::Utc::now();
        let t = step(EditorialStatus::Review, EditorialStep::Publish).unwrap();
        let later = now + chrono::Duration::hours(2);
        assert_eq!(t.published_at(Some(later), now), Some(later));
        assert_eq!(
            t.published_at(Some(now - chrono::Duration::hours(2)), now),
            Some(now)
        );
        assert_eq!(t.published_at(None, now), Some(now));
    }
}
