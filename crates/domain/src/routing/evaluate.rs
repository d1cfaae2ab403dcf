//! How good the suggestions are on a history: train on the older part, test on the newer part.
//! The split is by time, never at random: a random split lets the model learn from requests
//! that came after the ones it is tested on (the same broken lamp reported twice), and so
//! flatters it.

use super::{Example, Model, Trainer, SHOWN};
use crate::ids::UnitId;
use crate::text::Analyzer;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// The figures of one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub trained: u64,
    pub tested: u64,
    /// Tested requests whose unit was the first suggestion.
    pub top1: u64,
    /// ...was among the three suggestions.
    pub top3: u64,
    /// ...was the unit that handled most of the training requests: what always suggesting
    /// the busiest unit would score.
    pub baseline: u64,
    pub majority: Option<UnitId>,
    /// (actual unit, first suggestion) → how many.
    pub confusion: BTreeMap<(UnitId, UnitId), u64>,
}

impl Evaluation {
    fn share(&self, n: u64) -> f64 {
        if self.tested == 0 {
            0.0
        } else {
            n as f64 / self.tested as f64
        }
    }
    pub fn top1_share(&self) -> f64 {
        self.share(self.top1)
    }
    pub fn top3_share(&self) -> f64 {
        self.share(self.top3)
    }
    pub fn baseline_share(&self) -> f64 {
        self.share(self.baseline)
    }

    /// Trains on `train` and tests on `test`.
    pub fn run<'a>(
        train: impl IntoIterator<Item = &'a Example>,
        test: impl IntoIterator<Item = &'a Example>,
    ) -> Result<Self, super::ModelError> {
        let mut trainer = Trainer::default();
        let mut per_unit: HashMap<UnitId, u64> = HashMap::new();
        for e in train {
            trainer.add(e.text(), e.unit);
            *per_unit.entry(e.unit).or_default() += 1;
        }
        let mut ev = Evaluation {
            trained: trainer.examples(),
            majority: majority(&per_unit),
            ..Self::default()
        };
        let model = Model::from_stored(trainer.finish())?;
        let analyzer = Analyzer::default();
        for e in test {
            ev.record(&model, &analyzer, e);
        }
        Ok(ev)
    }

    /// Scores one held-out request.
    pub fn record(&mut self, model: &Model, analyzer: &Analyzer, e: &Example) {
        let s = model.suggest(analyzer, e.text(), SHOWN, |_| true);
        self.tested += 1;
        if s.first().is_some_and(|s| s.unit == e.unit) {
            self.top1 += 1;
        }
        if s.iter().any(|s| s.unit == e.unit) {
            self.top3 += 1;
        }
        if self.majority == Some(e.unit) {
            self.baseline += 1;
        }
        if let Some(first) = s.first() {
            *self.confusion.entry((e.unit, first.unit)).or_default() += 1;
        }
    }

    /// The most frequent confusions (actual ≠ suggested), largest first.
    pub fn worst_confusions(&self, n: usize) -> Vec<((UnitId, UnitId), u64)> {
        let mut v: Vec<_> = self
            .confusion
            .iter()
            .filter(|((a, p), _)| a != p)
            .map(|(k, c)| (*k, *c))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// The unit with the most requests (the lowest id on a tie, so the answer is stable).
pub fn majority(per_unit: &HashMap<UnitId, u64>) -> Option<UnitId> {
    per_unit
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(u, _)| *u)
}

/// The history split at `cutoff`: what arrived before it (to train on), and from it on (to
/// test on).
pub fn time_split(history: &[Example], cutoff: DateTime<Utc>) -> (Vec<&Example>, Vec<&Example>) {
    history.iter().partition(|e| e.at < cutoff)
}
