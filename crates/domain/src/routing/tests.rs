use super::synthetic::{history, UNITS};
use super::*;
use chrono::{Duration, TimeZone};

fn ids() -> Vec<UnitId> {
    (1..=UNITS.len() as i64).map(|i| UnitId(i * 10)).collect()
}

fn text<'a>(title: &'a str, description: &'a str, district: Option<&'a str>) -> Text<'a> {
    Text {
        title,
        description,
        district,
        kind: "pengaduan",
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn a_learnable_history_beats_the_majority_baseline_on_newer_requests() {
    let h = history(6_000, 7, start(), Duration::hours(1), &ids());
    // the last sixth, by time, is held out
    let cutoff = h[5_000].at;
    let (train, test) = time_split(&h, cutoff);
    assert_eq!((train.len(), test.len()), (5_000, 1_000));
    let ev = Evaluation::run(train, test).unwrap();
    assert_eq!(ev.tested, 1_000);
    assert_eq!(ev.majority, Some(UnitId(10)), "PUPR has the largest share");
    let (top1, top3, base) = (ev.top1_share(), ev.top3_share(), ev.baseline_share());
    assert!(base > 0.15 && base < 0.35, "baseline {base}");
    assert!(top1 > base + 0.3, "top-1 {top1} vs baseline {base}");
    assert!(
        top3 > top1 + 0.05 && top3 > 0.85,
        "top-3 {top3}, top-1 {top1}"
    );
    // the overlap is real: the model is not perfect on this history
    assert!(
        top1 < 0.97,
        "top-1 {top1}: the history is too easy to mean anything"
    );
    assert!(!ev.worst_confusions(3).is_empty());
}

#[test]
fn an_unlearnable_history_does_not_beat_the_baseline() {
    // the same texts with units shuffled: nothing to learn, and the figure must say so
    let mut h = history(3_000, 11, start(), Duration::hours(1), &ids());
    let mut rng = synthetic::Rng::new(3);
    for e in &mut h {
        e.unit = ids()[rng.below(ids().len())];
    }
    let (train, test) = time_split(&h, h[2_500].at);
    let ev = Evaluation::run(train, test).unwrap();
    assert!(ev.top1_share() < 0.2, "top-1 {}", ev.top1_share());
}

fn trained() -> Model {
    let mut t = Trainer::default();
    for e in history(3_000, 5, start(), Duration::hours(1), &ids()) {
        t.add(e.text(), e.unit);
    }
    Model::from_stored(t.finish()).unwrap()
}

#[test]
fn suggestions_are_ranked_confident_and_survive_typos() {
    let m = trained();
    let a = Analyzer::default();
    let s = m.suggest(
        &a,
        text("Sampah menumpuk", "sampah di TPS bau sekali", None),
        3,
        |_| true,
    );
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].unit, UnitId(30), "DLH");
    assert!(s[0].confidence > s[1].confidence && s[1].confidence >= s[2].confidence);
    let sum: f32 = m
        .suggest(&a, text("x", "y", None), 100, |_| true)
        .iter()
        .map(|s| s.confidence)
        .sum();
    assert!(
        (sum - 1.0).abs() < 1e-3,
        "confidences over all units add to one: {sum}"
    );
    // misspelt: "smpah", "menumpk"
    let typo = m.suggest(&a, text("smpah menumpk", "", None), 3, |_| true);
    assert_eq!(typo[0].unit, UnitId(30));
}

#[test]
fn the_kecamatan_decides_between_kecamatan_offices() {
    let m = trained();
    let a = Analyzer::default();
    let kuta = m.suggest(
        &a,
        text("surat keterangan", "", Some("51.03.02")),
        1,
        |_| true,
    );
    let mengwi = m.suggest(
        &a,
        text("surat keterangan", "", Some("51.03.04")),
        1,
        |_| true,
    );
    assert_eq!(kuta[0].unit, UnitId(120));
    assert_eq!(mengwi[0].unit, UnitId(130));
}

#[test]
fn words_no_unit_ever_had_do_not_favour_the_smallest_unit() {
    let mut t = Trainer::default();
    for _ in 0..50 {
        t.add(
            text(
                "jalan berlubang",
                "jalan rusak berlubang di depan pasar",
                None,
            ),
            UnitId(1),
        );
    }
    t.add(
        text("usulan trotoar", "mohon dibangun trotoar", None),
        UnitId(2),
    );
    let m = Model::from_stored(t.finish()).unwrap();
    let s = m.suggest(
        &Analyzer::default(),
        text(
            "Jalan ambles",
            "bahu jalan ambles setelah hujan deras membahayakan kendaraan",
            None,
        ),
        2,
        |_| true,
    );
    assert_eq!(s[0].unit, UnitId(1), "{s:?}");
    assert!(s[0].confidence > 0.9, "{s:?}");
}

#[test]
fn function_words_carry_no_weight() {
    let a = Analyzer::default();
    assert_eq!(
        features(&a, text("lampu yang mati", "dan di sana", None)),
        features(&a, text("lampu mati", "sana", None))
    );
}

#[test]
fn closed_units_are_not_suggested() {
    let m = trained();
    let a = Analyzer::default();
    let s = m.suggest(&a, text("sampah", "sampah", None), 3, |u| u != UnitId(30));
    assert!(s.iter().all(|s| s.unit != UnitId(30)));
    assert!(m
        .suggest(&a, text("sampah", "", None), 3, |_| false)
        .is_empty());
}

#[test]
fn the_stored_model_round_trips_and_is_checked() {
    let mut t = Trainer::default();
    t.add(text("lampu mati", "", None), UnitId(1));
    t.add(text("jalan rusak", "", None), UnitId(2));
    let stored = t.finish();
    let json = serde_json::to_string(&stored).unwrap();
    let back: StoredModel = serde_json::from_str(&json).unwrap();
    assert_eq!(back, stored);
    assert_eq!(back.examples(), 2);
    let m = Model::from_stored(back.clone()).unwrap();
    assert_eq!(
        m.suggest(&Analyzer::default(), text("lampu", "", None), 1, |_| true)[0].unit,
        UnitId(1)
    );
    let mut wrong = back.clone();
    wrong.version = 99;
    assert_eq!(
        Model::from_stored(wrong).unwrap_err(),
        ModelError::Version(99)
    );
    let mut bad = back;
    bad.features[0].1.push((7, 1.0));
    assert!(matches!(
        Model::from_stored(bad),
        Err(ModelError::Inconsistent(_))
    ));
    assert!(matches!(
        Model::from_stored(Trainer::default().finish()),
        Err(ModelError::Inconsistent(_))
    ));
}

#[test]
fn the_rank_of_the_choice_says_accepted_or_overridden() {
    let shown = [
        Suggestion {
            unit: UnitId(5),
            confidence: 0.6,
        },
        Suggestion {
            unit: UnitId(6),
            confidence: 0.3,
        },
        Suggestion {
            unit: UnitId(7),
            confidence: 0.1,
        },
    ];
    assert_eq!(rank_of_choice(&shown, &[UnitId(5)]), Some(1));
    assert_eq!(rank_of_choice(&shown, &[UnitId(7), UnitId(5)]), Some(3));
    assert_eq!(rank_of_choice(&shown, &[UnitId(9)]), None);
    assert_eq!(rank_of_choice(&shown, &[]), None);
    assert_eq!(rank_of_choice(&[], &[UnitId(5)]), None);
    assert_eq!(shown[0].percent(), 60);
    assert_eq!(
        Suggestion {
            unit: UnitId(1),
            confidence: 0.999
        }
        .percent(),
        99
    );
    assert_eq!(
        Suggestion {
            unit: UnitId(1),
            confidence: 0.0
        }
        .percent(),
        1
    );
}

#[test]
fn features_are_stable_and_weigh_one_per_word() {
    let a = Analyzer::default();
    let f = features(&a, text("Lampu", "", None));
    // the stem, its trigrams, and the kind
    let words: f32 = f.iter().take(f.len() - 1).map(|(_, w)| w).sum();
    assert!((words - 1.0).abs() < 1e-6);
    assert_eq!(f, features(&a, text("LAMPU", "", None)));
    // FNV-1a is fixed: a stored model keeps its meaning across builds
    assert_eq!(super::bucket(b'w', b"lampu"), super::bucket(b'w', b"lampu"));
    assert_ne!(super::bucket(b'w', b"lampu"), super::bucket(b'g', b"lampu"));
}
