//! The chat webhook's acknowledgement under a fixed arrival rate (issue 20: within 50 ms p99
//! at 1,000 messages a second). Providers deliver on their own schedule, not when the last
//! delivery was answered, so this is an open loop: message n leaves at n / rate seconds
//! whether or not earlier ones were answered, and a slow answer cannot slow the arrivals.
//! Telegram's format is used (one secret header, no signature to compute); each message comes
//! from its own chat, so the per-sender limit measures its counting, not its refusals.

use crate::phases::{report, Phase};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The secret the bench's server is started with (`KOTAPINTAR_TELEGRAM_SECRET`).
pub const SECRET: &str = "bench-telegram-secret";

fn update(n: u64) -> String {
    let chat = 7_000_000_000u64 + n;
    serde_json::json!({
        "update_id": 900_000_000u64 + n,
        "message": {
            "message_id": n + 1,
            "date": 1_765_180_800u64,
            "chat": { "id": chat, "type": "private", "first_name": "Warga" },
            "from": { "id": chat, "is_bot": false, "first_name": "Warga" },
            "text": "halo"
        }
    })
    .to_string()
}

/// Posts `rate` updates a second for `seconds` and measures each acknowledgement (a 200).
pub async fn webhook_ack(client: &reqwest::Client, base: &str, rate: u64, seconds: u64) -> Phase {
    let total = rate.max(1) * seconds;
    let url = Arc::new(format!("{base}/channels/telegram"));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / rate.max(1) as f64);
        tokio::time::sleep_until(due.into()).await;
        let (c, url, body) = (client.clone(), url.clone(), update(n));
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = c
                .post(url.as_str())
                .header("content-type", "application/json")
                .header("x-telegram-bot-api-secret-token", SECRET)
                .body(body)
                .send()
                .await;
            match r {
                Ok(r) if r.status() == 200 => Some(t.elapsed().as_secs_f64() * 1000.0),
                _ => None,
            }
        }));
    }
    let mut all = Vec::with_capacity(tasks.len());
    let mut failed = 0;
    for t in tasks {
        match t.await.ok().flatten() {
            Some(ms) => all.push(ms),
            None => failed += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
    };
    let phase = Phase {
        name: "channel-webhook",
        what: format!("acknowledge a Telegram webhook, {rate} arriving per second"),
        unit: "updates",
        clients: 0,
        ok: all.len() as u64,
        failed,
        seconds: elapsed,
        per_second: all.len() as f64 / elapsed,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        rss_peak_kib: 0,
        anon_peak_kib: 0,
        ceiling_pct: None,
    };
    report(&phase);
    phase
}
