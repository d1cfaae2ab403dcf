//! Routing: which unit should handle a request. This module holds the learned suggestion: a
//! multinomial naive Bayes classifier over the request's words (the same Indonesian analysis as
//! the search, `crate::text`), their letter trigrams (so "lampu", "lamp" and "lampuu" still
//! share most of their evidence) and the kecamatan and kind of request, trained from the
//! requests the regency dispatched before.
//!
//! Why naive Bayes: it trains in one pass over the history with memory bounded by the number of
//! distinct features (hashed into a fixed number of buckets), needs no iteration or learning
//! rate to tune, and scores a text in microseconds. Why tempered: the trigrams of a word are
//! not independent evidence, so each word carries a weight of one in all (half for its stem,
//! half shared by its trigrams); the confidences are then far less extreme than a plain naive
//! Bayes posterior, though still a model's estimate, not a calibrated probability.
//!
//! The model and every answer derived from it are for staff only: they are learned from what
//! the desk sees, and say which unit handles what kind of complaint.

mod evaluate;
mod model;
pub mod rules;
pub mod synthetic;

pub use evaluate::{majority, time_split, Evaluation};
pub use model::{Model, ModelError, StoredModel, Trainer};

use crate::ids::UnitId;
use crate::text::Analyzer;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Number of hash buckets the features fall into: a bound on the model's size whatever the
/// history holds (2^20: about a million).
pub const BUCKETS: u32 = 1 << 20;

/// How many units the desk is shown.
pub const SHOWN: usize = 3;

/// What the classifier reads of a request: only what the desk already sees, and of the text
/// only its public (masked) form, so no personal data enters the model.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// The kecamatan's code, if the reporter gave a place.
    pub district: Option<&'a str>,
    /// The kind of request (`pengaduan`, `aspirasi`, ...).
    pub kind: &'a str,
}

/// One dispatched request of the history: its text and the unit that handled it.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub title: String,
    pub description: String,
    pub district: Option<String>,
    pub kind: String,
    pub unit: UnitId,
    /// When it arrived: histories are split by time, never at random.
    pub at: DateTime<Utc>,
}

impl Example {
    pub fn text(&self) -> Text<'_> {
        Text {
            title: &self.title,
            description: &self.description,
            district: self.district.as_deref(),
            kind: &self.kind,
        }
    }
}

/// One suggested unit with the model's confidence in it (0..=1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub unit: UnitId,
    pub confidence: f32,
}

impl Suggestion {
    /// The confidence as a whole percentage, never shown as 0 or 100: the model is never sure.
    pub fn percent(&self) -> u8 {
        ((self.confidence * 100.0).round() as i32).clamp(1, 99) as u8
    }
}

/// Where the unit the desk chose stood among the suggestions it was shown: `Some(1)` when it
/// took the first, `None` when it chose a unit that was not suggested (an override).
pub fn rank_of_choice(shown: &[Suggestion], chosen: &[UnitId]) -> Option<u8> {
    let first = chosen.first()?;
    shown
        .iter()
        .position(|s| s.unit == *first)
        .and_then(|i| u8::try_from(i + 1).ok())
}

/// Words every kind of request has ("yang", "dan", "di"): a unit that happens to have few,
/// long requests would otherwise own them. Search keeps them (a phrase needs them).
const STOP_WORDS: [&str; 28] = [
    "yang", "dan", "di", "ke", "dari", "ini", "itu", "untuk", "dengan", "pada", "dalam", "atau",
    "juga", "akan", "karena", "sehingga", "agar", "oleh", "bagi", "para", "sebagai", "adalah",
    "saya", "kami", "kita", "anda", "tersebut", "telah",
];

/// The features of a text, as (bucket, weight) pairs.
pub fn features(analyzer: &Analyzer, t: Text<'_>) -> Vec<(u32, f32)> {
    let mut out = Vec::with_capacity(64);
    for text in [t.title, t.description] {
        for term in analyzer.analyse(text) {
            if !STOP_WORDS.contains(&term.text.as_str()) {
                word_features(&term.text, &mut out);
            }
        }
    }
    if let Some(d) = t.district.filter(|d| !d.is_empty()) {
        out.push((bucket(b'k', d.as_bytes()), 1.0));
    }
    out.push((bucket(b'j', t.kind.as_bytes()), 1.0));
    out
}

/// A word's stem (half its weight) and its letter trigrams with the word's edges marked (the
/// other half, shared), so a typo costs a word only part of its evidence.
fn word_features(stem: &str, out: &mut Vec<(u32, f32)>) {
    let mut padded = Vec::with_capacity(stem.len() + 2);
    padded.push(b'^');
    padded.extend_from_slice(stem.as_bytes());
    padded.push(b'$');
    if padded.len() < 5 {
        // a word of one or two letters: its trigrams would be the word itself
        out.push((bucket(b'w', stem.as_bytes()), 1.0));
        return;
    }
    out.push((bucket(b'w', stem.as_bytes()), 0.5));
    let grams = padded.len() - 2;
    let w = 0.5 / grams as f32;
    for g in padded.windows(3) {
        out.push((bucket(b'g', g), w));
    }
}

/// FNV-1a of a tagged feature, folded into the buckets: stable across builds and machines, so
/// a stored model means the same everywhere.
fn bucket(tag: u8, bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in std::iter::once(&tag).chain(bytes) {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % BUCKETS
}

#[cfg(test)]
mod tests;
