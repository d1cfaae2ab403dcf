//! Likely duplicates of a request, for the desk: open requests of the same kind received
//! within [`WINDOW_DAYS`] of it, scored by how much of their text they share (the analysis of
//! the search and the routing suggestions: stems, so "berlubang" and "lubang" meet) and, when
//! both have a point, how close they are. Each suggestion carries its evidence: the score, the
//! shared words, the distance in metres and the days apart.
//!
//! Bounded: storage hands at most [`MAX_CANDIDATES`] candidates from the time window; scoring
//! is linear in their words.

use crate::ids::RequestId;
use crate::text::Analyzer;
use std::collections::BTreeSet;

/// Candidates are received within this many days before or after the request.
pub const WINDOW_DAYS: i64 = 30;
/// Within this distance two points count as the same place.
pub const NEAR_METRES: f64 = 500.0;
/// At most this many candidates are read and scored.
pub const MAX_CANDIDATES: u64 = 300;
/// At most this many suggestions are shown.
pub const SHOWN: usize = 5;

/// Words every complaint carries, which say nothing about which problem it is.
const COMMON: &[&str] = &[
    "yang", "dan", "di", "ke", "dari", "ini", "itu", "sudah", "belum", "ada", "tidak", "mohon",
    "tolong", "warga", "kami", "saya", "dengan", "untuk", "pada", "sangat", "lama", "segera",
    "bapak", "ibu", "pak", "bu", "agar", "bisa", "karena", "juga", "akan", "sejak", "minggu",
    "hari", "bulan", "sekitar", "depan", "dekat",
];

/// A request as the comparison reads it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: RequestId,
    pub text: String,
    pub point: Option<(f64, f64)>,
    pub service: Option<i64>,
    /// When it was received, in seconds since the epoch.
    pub received: i64,
}

/// One likely duplicate with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub id: RequestId,
    /// 0 to 100.
    pub score: u32,
    pub shared_words: Vec<String>,
    pub distance_m: Option<u32>,
    pub days_apart: u32,
}

fn words(a: &Analyzer, text: &str) -> BTreeSet<String> {
    a.analyse(text)
        .into_iter()
        .map(|t| t.text)
        .filter(|w| w.chars().count() > 2 && !COMMON.contains(&w.as_str()))
        .collect()
}

/// Great-circle distance in metres between two (latitude, longitude) points.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_000.0;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The likely duplicates of `of` among `candidates`, best first, at most [`SHOWN`].
///
/// The score is the share of words in common (Jaccard over the analysed words, without the
/// words every complaint has) for 70 points, closeness for 25 (full at the same spot, none
/// from [`NEAR_METRES`] on) and the same service for 5. A candidate with no word in common is
/// not suggested however close (two different problems in one street), nor one far away
/// with little text in common.
pub fn suggest(of: &Candidate, candidates: &[Candidate]) -> Vec<Suggestion> {
    let a = Analyzer::default();
    let mine = words(&a, &of.text);
    let mut out: Vec<Suggestion> = candidates
        .iter()
        .filter(|c| c.id != of.id)
        .filter_map(|c| {
            let theirs = words(&a, &c.text);
            let shared: Vec<String> = mine.intersection(&theirs).cloned().collect();
            if shared.is_empty() {
                return None;
            }
            let union = mine.union(&theirs).count().max(1);
            let jaccard = shared.len() as f64 / union as f64;
            let distance = of.point.zip(c.point).map(|(p, q)| distance_m(p, q));
            let near = distance.map_or(0.0, |d| (1.0 - d / NEAR_METRES).max(0.0));
            if jaccard < 0.15 && near == 0.0 {
                return None;
            }
            let same_service = of.service.is_some() && of.service == c.service;
            let score = 70.0 * jaccard + 25.0 * near + if same_service { 5.0 } else { 0.0 };
            Some(Suggestion {
                id: c.id,
                score: score.round().clamp(0.0, 100.0) as u32,
                shared_words: shared,
                distance_m: distance.map(|d| d.round() as u32),
                days_apart: ((of.received - c.received).unsigned_abs() / 86_400) as u32,
            })
        })
        .collect();
    out.sort_by(|x, y| y.score.cmp(&x.score).then(x.id.0.cmp(&y.id.0)));
    out.truncate(SHOWN);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, text: &str, point: Option<(f64, f64)>) -> Candidate {
        Candidate {
            id: RequestId(id),
            text: text.into(),
            point,
            service: None,
            received: 0,
        }
    }

    const HERE: (f64, f64) = (-8.7201, 115.1689);

    #[test]
    fn a_near_duplicate_ranks_above_an_unrelated_request() {
        let of = c(1, "Jalan berlubang besar di depan pasar Kuta", Some(HERE));
        // about 100 m north
        let dup = c(2, "Lubang jalan di depan pasar", Some((-8.7192, 115.1689)));
        let other = c(3, "Lampu jalan mati di gang", Some((-8.7201, 115.17)));
        let far = c(4, "Pohon tumbang menutup jalan", Some((-8.6, 115.2)));
        let got = suggest(&of, &[other.clone(), far, dup]);
        assert_eq!(got[0].id, RequestId(2), "{got:?}");
        let d = got[0].distance_m.unwrap();
        assert!((90..=110).contains(&d), "{d}");
        assert!(got[0].shared_words.contains(&"lubang".to_string()));
        assert!(got[0].shared_words.contains(&"pasar".to_string()));
        assert!(
            got.iter().all(|s| s.id != RequestId(4)),
            "no word in common"
        );
        if let Some(o) = got.iter().find(|s| s.id == RequestId(3)) {
            assert!(o.score < got[0].score);
        }
    }

    #[test]
    fn itself_and_common_words_only_are_not_duplicates() {
        let of = c(1, "Mohon segera, sudah lama warga menunggu", None);
        let same_words = c(2, "Tolong segera, warga sudah lama", None);
        assert!(suggest(&of, &[of.clone(), same_words]).is_empty());
    }

    #[test]
    fn days_apart_and_at_most_five() {
        let mut of = c(1, "Sampah menumpuk di TPS pasar", None);
        of.received = 10 * 86_400;
        let many: Vec<Candidate> = (2..20)
            .map(|i| {
                let mut x = c(i, "Sampah menumpuk di TPS", None);
                x.received = 7 * 86_400;
                x
            })
            .collect();
        let got = suggest(&of, &many);
        assert_eq!(got.len(), SHOWN);
        assert!(got.iter().all(|s| s.days_apart == 3));
    }

    #[test]
    fn distance_is_in_metres() {
        let d = distance_m(HERE, (-8.7192, 115.1689));
        assert!((95.0..105.0).contains(&d), "{d}");
        assert_eq!(distance_m(HERE, HERE), 0.0);
    }
}
