//! The results: one Markdown table (a row per phase, a column per backend) and the JSON.

use crate::backend::Run;
use crate::phases::Phase;
use crate::Args;

/// What machine this ran on, for the table and the JSON.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string();
    format!("{cpus} CPUs ({model}), {mem_gib:.0} GiB, load average {load} at the end")
}

pub fn cell(p: Option<&Phase>) -> String {
    let Some(p) = p else { return "-".into() };
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let fail = if p.failed > 0 {
        format!(", **{} failed**", p.failed)
    } else {
        String::new()
    };
    let ceiling = p
        .ceiling_pct
        .map(|c| format!(", {c:.1} % of ceiling"))
        .unwrap_or_default();
    if p.p50_ms.is_some() {
        format!(
            "{:.0} /s (p50 {}, p95 {}, p99 {} ms{ceiling}{fail})",
            p.per_second,
            ms(p.p50_ms),
            ms(p.p95_ms),
            ms(p.p99_ms)
        )
    } else {
        format!("{:.0} {}/s{fail}", p.per_second, p.unit)
    }
}

/// One Markdown table: a row per phase, a column per backend.
pub fn print_table(a: &Args, runs: &[Run]) {
    println!();
    println!(
        "kotapintar-bench, {}; {} stored requests, {} content items; {} s per phase, {} clients ({} for dashboards)",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        runs.first().map_or(a.requests, |r| r.requests),
        runs.first().map_or(a.content, |r| r.content_items),
        a.seconds,
        a.concurrency,
        a.dashboard_concurrency
    );
    println!("machine: {}", machine());
    println!();
    let header: Vec<&str> = runs.iter().map(|r| r.backend).collect();
    println!("| phase | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(runs.len()));
    let mut names: Vec<(&str, &str)> = Vec::new();
    for r in runs {
        for p in &r.phases {
            if !names.iter().any(|(n, _)| *n == p.name) {
                names.push((p.name, p.what.as_str()));
            }
        }
    }
    for (name, what) in names {
        let cells: Vec<String> = runs
            .iter()
            .map(|r| cell(r.phases.iter().find(|p| p.name == name)))
            .collect();
        println!("| {what} | {} |", cells.join(" | "));
    }
    let row = |label: &str, f: &dyn Fn(&Run) -> String| {
        let cells: Vec<String> = runs.iter().map(f).collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    row("server peak memory under load (resident, VmHWM)", &|r| {
        format!("**{:.0} MiB**", r.server_memory.peak_kib as f64 / 1024.0)
    });
    row(
        "of which heap and stacks at most (RssAnon, sampled)",
        &|r| format!("{:.0} MiB", r.server_memory.anon_peak_kib as f64 / 1024.0),
    );
    row(
        "server peak memory at start-up (while its search index was built)",
        &|r| format!("{:.0} MiB", r.startup_memory.peak_kib as f64 / 1024.0),
    );
    row(
        "peak memory of the child process that built the index",
        &|r| {
            r.index_build_peak_mib
                .map_or("none built".into(), |m| format!("{m} MiB"))
        },
    );
    row("generating requests / content", &|r| {
        format!(
            "{:.0} s / {:.0} s",
            r.generate_requests_seconds, r.generate_content_seconds
        )
    });
    row("search index ready after start", &|r| {
        format!("{:.1} s", r.search_ready_seconds)
    });
    println!();
}

pub fn json(a: &Args, runs: &[Run]) -> serde_json::Value {
    serde_json::json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "machine": machine(),
        "requests": runs.first().map_or(a.requests, |r| r.requests),
        "content_items": runs.first().map_or(a.content, |r| r.content_items),
        "seconds_per_phase": a.seconds,
        "clients": a.concurrency,
        "dashboard_clients": a.dashboard_concurrency,
        "runs": runs,
    })
}
