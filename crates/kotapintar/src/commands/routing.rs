//! `kotapintar routing evaluate [--days N]` and `kotapintar routing train`.

use chrono::{Duration, Utc};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::routing::{majority, Evaluation, Model, Trainer};
use kotapintar_domain::text::Analyzer;
use kotapintar_storage::routing::{each_example, Window};
use kotapintar_storage::{units, Store};
use std::collections::HashMap;
use std::process::ExitCode;

/// Trains on what arrived before the last `days` days, tests on what arrived since, prints
/// the figures. Nothing is stored.
pub async fn evaluate(store: &Store, days: u32) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let Some(ev) = evaluation(store, days).await? else {
        println!("no dispatched requests older than {days} days to train on");
        return Ok(ExitCode::FAILURE);
    };
    let names: HashMap<UnitId, String> = units::list(store)
        .await?
        .into_iter()
        .map(|u| (u.id, u.code.as_str().to_string()))
        .collect();
    print!(
        "{}",
        report(&ev, days, started.elapsed().as_secs_f64(), &names)
    );
    Ok(ExitCode::SUCCESS)
}

/// The figures `evaluate` prints; none when nothing is old enough to train on. The history
/// is read twice, a page at a time: the older part to train, the newer part to test.
pub async fn evaluation(store: &Store, days: u32) -> anyhow::Result<Option<Evaluation>> {
    let cutoff = Utc::now() - Duration::days(i64::from(days));
    let mut trainer = Trainer::default();
    let mut per_unit: HashMap<UnitId, u64> = HashMap::new();
    let before = Window {
        from: None,
        before: Some(cutoff),
    };
    each_example(store, before, |e| {
        *per_unit.entry(e.unit).or_default() += 1;
        trainer.add(e.text(), e.unit);
    })
    .await?;
    let trained = trainer.examples();
    if trained == 0 {
        return Ok(None);
    }
    let model = Model::from_stored(trainer.finish())?;
    let mut ev = Evaluation {
        trained,
        majority: majority(&per_unit),
        ..Evaluation::default()
    };
    let analyzer = Analyzer::default();
    let since = Window {
        from: Some(cutoff),
        before: None,
    };
    each_example(store, since, |e| ev.record(&model, &analyzer, &e)).await?;
    Ok(Some(ev))
}

fn report(ev: &Evaluation, days: u32, train_secs: f64, names: &HashMap<UnitId, String>) -> String {
    use std::fmt::Write;
    let name = |u: &UnitId| names.get(u).cloned().unwrap_or_else(|| format!("unit {u}"));
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "trained on {} dispatched requests older than {days} days, tested on {} newer ones ({train_secs:.1} s)",
        ev.trained, ev.tested
    );
    if ev.tested == 0 {
        let _ = writeln!(
            out,
            "nothing to test on: no dispatched request in the last {days} days"
        );
        return out;
    }
    let _ = writeln!(out, "top-1 accuracy     {}", pct(ev.top1_share()));
    let _ = writeln!(out, "top-3 accuracy     {}", pct(ev.top3_share()));
    let _ = writeln!(
        out,
        "majority baseline  {} (always {})",
        pct(ev.baseline_share()),
        ev.majority.as_ref().map(name).unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "confusion (actual -> first suggestion), most frequent first:"
    );
    for ((actual, predicted), n) in ev.worst_confusions(15) {
        let _ = writeln!(out, "  {:>6}  {} -> {}", n, name(&actual), name(&predicted));
    }
    let mut rows: HashMap<UnitId, (u64, u64)> = HashMap::new();
    for ((actual, predicted), n) in &ev.confusion {
        let r = rows.entry(*actual).or_default();
        r.1 += n;
        if actual == predicted {
            r.0 += n;
        }
    }
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
    let _ = writeln!(out, "per unit (right first / tested):");
    for (u, (right, all)) in rows {
        let _ = writeln!(
            out,
            "  {:<16} {right:>6} / {all:<6} {}",
            name(&u),
            pct(right as f64 / all as f64)
        );
    }
    out
}

/// Trains and stores a model now.
pub async fn train(store: &Store) -> anyhow::Result<ExitCode> {
    let m = kotapintar_storage::routing::train(store, "cli").await?;
    println!(
        "routing model {} trained on {} requests for {} units in {} ms",
        m.id, m.examples, m.units, m.took_ms
    );
    Ok(ExitCode::SUCCESS)
}
