//! `kotapintar-bench --routing N[,N...]`: the routing suggestions at scale, in this process,
//! without a server: generates a history of N dispatched requests (domain::routing::synthetic:
//! shared words between units, typos, vague texts, a busiest unit, 6 % misrouted), trains on
//! it, then tests on N/10 newer ones. Prints the accuracy against the majority baseline, the
//! training time, the stored model's size, the process's peak memory and the time of one
//! suggestion. The history is generated as it is learned, never held whole in memory, as the
//! job reads the database a page at a time.

use kotapintar_domain::ids::UnitId;
use kotapintar_domain::routing::synthetic::{request, Rng, UNITS};
use kotapintar_domain::routing::{majority, Evaluation, Model, Text, Trainer, SHOWN};
use kotapintar_domain::text::Analyzer;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The process's resident memory now and at its peak (Linux `/proc`), in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The measurement's errors (this file is also built as the domain crate's example
/// `routing-bench`, for a release build without the server's dependencies).
pub type BenchResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn run(sizes: &[u64]) -> BenchResult {
    println!(
        "| requests | train | model (JSON) | peak RSS | top-1 | top-3 | majority baseline | suggestion p50 / p99 / max |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        one(*n)?;
    }
    Ok(())
}

fn one(n: u64) -> BenchResult {
    let ids: Vec<UnitId> = (1..=UNITS.len() as i64).map(UnitId).collect();
    let mut rng = Rng::new(n ^ 0x5eed);
    let (rss_before, _) = memory_mib();
    let started = Instant::now();
    let mut trainer = Trainer::default();
    let mut per_unit: HashMap<UnitId, u64> = HashMap::new();
    for _ in 0..n {
        let r = request(&mut rng);
        let unit = ids[r.unit];
        *per_unit.entry(unit).or_default() += 1;
        trainer.add(text(&r.title, &r.description, &r.district), unit);
    }
    let stored = trainer.finish();
    let json = serde_json::to_string(&stored)?;
    let model = Model::from_stored(stored)?;
    let train = started.elapsed();
    let (_, peak) = memory_mib();
    let mut ev = Evaluation {
        trained: n,
        majority: majority(&per_unit),
        ..Evaluation::default()
    };
    let analyzer = Analyzer::default();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..(n / 10).max(1_000) {
        let r = request(&mut rng);
        let unit = ids[r.unit];
        let t = Instant::now();
        let s = model.suggest(
            &analyzer,
            text(&r.title, &r.description, &r.district),
            SHOWN,
            |_| true,
        );
        times.push(t.elapsed());
        ev.tested += 1;
        ev.top1 += u64::from(s.first().is_some_and(|s| s.unit == unit));
        ev.top3 += u64::from(s.iter().any(|s| s.unit == unit));
        ev.baseline += u64::from(ev.majority == Some(unit));
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let us = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
    println!(
        "| {n} | {:.1} s | {:.1} MB | {:.0} MiB (+{:.0}) | {:.1} % | {:.1} % | {:.1} % | {} / {} / {} |",
        train.as_secs_f64(),
        json.len() as f64 / 1e6,
        peak,
        peak - rss_before,
        ev.top1_share() * 100.0,
        ev.top3_share() * 100.0,
        ev.baseline_share() * 100.0,
        us(at(0.5)),
        us(at(0.99)),
        us(at(1.0)),
    );
    Ok(())
}

fn text<'a>(title: &'a str, description: &'a str, district: &'a str) -> Text<'a> {
    Text {
        title,
        description,
        district: Some(district),
        kind: "pengaduan",
    }
}
