//! Training and scoring. The trainer counts features per unit in one pass (the history can be
//! read in pages, never all at once); the stored model is those counts; the model in memory
//! adds the log-ratios scoring needs.

use super::{features, Suggestion, Text};
use crate::ids::UnitId;
use crate::text::Analyzer;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Laplace smoothing: the count every feature is assumed to have with every unit.
const ALPHA: f64 = 0.5;

/// Counts features per unit, one example at a time.
#[derive(Default)]
pub struct Trainer {
    analyzer: Analyzer,
    units: Vec<UnitId>,
    index: HashMap<UnitId, u16>,
    docs: Vec<u64>,
    totals: Vec<f64>,
    counts: HashMap<u32, Vec<(u16, f32)>>,
}

impl Trainer {
    /// Learns from one dispatched request. A history with more than 65,535 distinct units is
    /// not a regency's; their extra units are left out.
    pub fn add(&mut self, text: Text<'_>, unit: UnitId) {
        let class = match self.index.get(&unit) {
            Some(c) => *c,
            None => {
                let Ok(c) = u16::try_from(self.units.len()) else {
                    return;
                };
                self.units.push(unit);
                self.docs.push(0);
                self.totals.push(0.0);
                self.index.insert(unit, c);
                c
            }
        };
        let ci = usize::from(class);
        self.docs[ci] += 1;
        for (b, w) in features(&self.analyzer, text) {
            self.totals[ci] += f64::from(w);
            let row = self.counts.entry(b).or_default();
            match row.iter_mut().find(|(c, _)| *c == class) {
                Some((_, n)) => *n += w,
                None => row.push((class, w)),
            }
        }
    }

    /// How many examples it has learned from.
    pub fn examples(&self) -> u64 {
        self.docs.iter().sum()
    }

    /// The counts, as stored.
    pub fn finish(self) -> StoredModel {
        let mut features: Vec<(u32, Vec<(u16, f32)>)> = self.counts.into_iter().collect();
        features.sort_unstable_by_key(|(b, _)| *b);
        StoredModel {
            version: StoredModel::VERSION,
            units: self.units,
            docs: self.docs,
            totals: self.totals,
            features,
        }
    }
}

/// A trained model as it is stored (JSON): the units, and per feature bucket how much of it
/// each unit's requests had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredModel {
    /// The layout's version: a model of another one is not read, and is trained again.
    pub version: u32,
    pub units: Vec<UnitId>,
    /// Requests learned from, per unit.
    pub docs: Vec<u64>,
    /// Feature weight seen, per unit.
    pub totals: Vec<f64>,
    pub features: Vec<(u32, Vec<(u16, f32)>)>,
}

impl StoredModel {
    pub const VERSION: u32 = 1;

    pub fn examples(&self) -> u64 {
        self.docs.iter().sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the stored routing model is of version {0}, not {v}", v = StoredModel::VERSION)]
    Version(u32),
    #[error("the stored routing model is inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// A model ready to score texts.
#[derive(Debug)]
pub struct Model {
    units: Vec<UnitId>,
    docs: Vec<u64>,
    /// Per unit: log prior.
    prior: Vec<f64>,
    /// Per unit: the log-probability of a feature the unit never had.
    unseen: Vec<f64>,
    /// Per bucket: per unit that had it, how much more likely it is than unseen (log).
    lift: HashMap<u32, Vec<(u16, f32)>>,
}

impl Model {
    pub fn from_stored(s: StoredModel) -> Result<Self, ModelError> {
        if s.version != StoredModel::VERSION {
            return Err(ModelError::Version(s.version));
        }
        let n = s.units.len();
        if s.docs.len() != n || s.totals.len() != n {
            return Err(ModelError::Inconsistent("per-unit lists differ in length"));
        }
        let all: u64 = s.docs.iter().sum();
        if all == 0 {
            return Err(ModelError::Inconsistent("no examples"));
        }
        let vocabulary = s.features.len().max(1) as f64;
        let prior = s
            .docs
            .iter()
            .map(|d| ((*d as f64 + 1.0) / (all as f64 + n as f64)).ln())
            .collect();
        let denominators: Vec<f64> = s
            .totals
            .iter()
            .map(|t| (t + ALPHA * vocabulary).ln())
            .collect();
        let unseen = denominators.iter().map(|d| ALPHA.ln() - d).collect();
        let mut lift = HashMap::with_capacity(s.features.len());
        for (b, row) in s.features {
            let mut out = Vec::with_capacity(row.len());
            for (c, count) in row {
                if usize::from(c) >= n {
                    return Err(ModelError::Inconsistent("a feature names an unknown unit"));
                }
                out.push((c, ((f64::from(count) + ALPHA) / ALPHA).ln() as f32));
            }
            lift.insert(b, out);
        }
        Ok(Self {
            units: s.units,
            docs: s.docs,
            prior,
            unseen,
            lift,
        })
    }

    /// The units the model knows, with how many requests it learned from for each.
    pub fn units(&self) -> impl Iterator<Item = (UnitId, u64)> + '_ {
        self.units.iter().copied().zip(self.docs.iter().copied())
    }

    pub fn examples(&self) -> u64 {
        self.docs.iter().sum()
    }

    /// The `top` most likely units among those `allowed` (units since closed are not
    /// suggested), most likely first, with confidences over the allowed units.
    pub fn suggest(
        &self,
        analyzer: &Analyzer,
        text: Text<'_>,
        top: usize,
        allowed: impl Fn(UnitId) -> bool,
    ) -> Vec<Suggestion> {
        // A word no unit's requests ever had says nothing about the unit; counted, it would
        // favour the units with the fewest requests, whose smoothing makes any unseen word
        // least unlikely.
        let known: Vec<(f64, &Vec<(u16, f32)>)> = features(analyzer, text)
            .into_iter()
            .filter_map(|(b, w)| self.lift.get(&b).map(|row| (f64::from(w), row)))
            .collect();
        let weight: f64 = known.iter().map(|(w, _)| w).sum();
        let mut score: Vec<f64> = self
            .prior
            .iter()
            .zip(&self.unseen)
            .map(|(p, u)| p + weight * u)
            .collect();
        for (w, row) in known {
            for (c, l) in row {
                score[usize::from(*c)] += w * f64::from(*l);
            }
        }
        let mut ranked: Vec<(usize, f64)> = score
            .into_iter()
            .enumerate()
            .filter(|(c, _)| allowed(self.units[*c]))
            .collect();
        let Some(best) = ranked.iter().map(|(_, s)| *s).reduce(f64::max) else {
            return Vec::new();
        };
        let sum: f64 = ranked.iter().map(|(_, s)| (s - best).exp()).sum();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(top)
            .map(|(c, s)| Suggestion {
                unit: self.units[c],
                confidence: ((s - best).exp() / sum) as f32,
            })
            .collect()
    }
}
