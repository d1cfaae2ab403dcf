//! The measured phases: the load generator, and the phases that are not plain GET loops
//! (intake through the public form, the event feed, webhook dispatch).

use crate::server::Server;
use kotapintar::config::Settings;
use kotapintar_storage::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// One measured phase.
#[derive(Clone, serde::Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub what: String,
    /// What `per_second` counts: answers, or events/deliveries for the feed and webhooks.
    pub unit: &'static str,
    pub clients: usize,
    pub ok: u64,
    pub failed: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The server's most resident memory, and heap and stacks, sampled during this phase.
    pub rss_peak_kib: u64,
    pub anon_peak_kib: u64,
    /// `per_second` as a percentage of the ceiling measured in the same run (read phases).
    pub ceiling_pct: Option<f64>,
}

/// Sends a GET and reads the whole answer: a success is a 200 with its body received.
pub async fn fetched(req: reqwest::RequestBuilder) -> bool {
    match req.send().await {
        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
        _ => false,
    }
}

/// `concurrency` clients, each sending its next request when the last one is answered, for
/// `seconds`; latencies of successful answers only.
pub async fn load<F, Fut>(
    name: &'static str,
    what: &str,
    concurrency: usize,
    seconds: u64,
    make: F,
) -> Phase
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (make, counter, failed) = (make.clone(), counter.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                if make(n).await {
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
    };
    let phase = Phase {
        name,
        what: what.to_string(),
        unit: "answers",
        clients: concurrency,
        ok: all.len() as u64,
        failed: failed.load(Ordering::Relaxed),
        seconds,
        per_second: all.len() as f64 / seconds,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        rss_peak_kib: 0,
        anon_peak_kib: 0,
        ceiling_pct: crate::ceiling::current()
            .filter(|c| *c > 0.0 && name != "ceiling")
            .map(|c| all.len() as f64 / seconds / c * 100.0),
    };
    report(&phase);
    phase
}

/// Notes the server's memory peaks during the phase just measured, and prints them.
pub fn mark_phase(server: &Server, phases: &mut [Phase]) {
    let (rss, anon) = server.take_phase_peaks();
    if let Some(p) = phases.last_mut() {
        (p.rss_peak_kib, p.anon_peak_kib) = (rss, anon);
        println!(
            "   server during it: at most {:.0} MiB resident, {:.0} MiB of it heap and stacks",
            rss as f64 / 1024.0,
            anon as f64 / 1024.0
        );
    }
}

pub fn report(p: &Phase) {
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let ceiling = p
        .ceiling_pct
        .map(|c| format!(" ({c:.1} % of ceiling)"))
        .unwrap_or_default();
    println!(
        "{}: {:.0} /s{ceiling} ({} {} ok, {} failed in {:.1} s, {} clients; p50 {} ms, p95 {} ms, p99 {} ms)",
        p.what,
        p.per_second,
        p.ok,
        p.unit,
        p.failed,
        p.seconds,
        p.clients,
        ms(p.p50_ms),
        ms(p.p95_ms),
        ms(p.p99_ms)
    );
}

/// The CSRF token the public form sets in its cookie.
pub async fn csrf_token(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let first = client.get(format!("{base}/lapor")).send().await?;
    first
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("kp_csrf=")
                .map(|r| r.split(';').next().unwrap_or("").to_string())
        })
        .ok_or_else(|| anyhow::anyhow!("no csrf cookie"))
}

/// The n-th resident's filing through `/lapor` (multipart, no photos); a 303 is its receipt.
pub fn lapor(c: &reqwest::Client, base: &str, csrf: &str, n: u64) -> reqwest::RequestBuilder {
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf.to_string())
        .text("kind", "pengaduan")
        .text("title", format!("Sampah menumpuk {n}"))
        .text(
            "description",
            "Sampah rumah tangga belum diangkut tiga hari di pinggir jalan.",
        )
        .text("district_code", "51.03.01")
        .text("confirm_new", "1");
    c.post(format!("{base}/lapor"))
        .header("cookie", format!("kp_csrf={csrf}"))
        .multipart(form)
}

/// Intake through the public form (multipart, CSRF token, no photos); only a 303 counts,
/// which is sent after the transaction committed.
pub async fn intake(
    client: &reqwest::Client,
    base: &str,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Phase> {
    let csrf = csrf_token(client, base).await?;
    let (c, b) = (client.clone(), base.to_string());
    Ok(load(
        "intake",
        "accept a request (public form, durable)",
        concurrency,
        seconds,
        move |n| {
            let (c, b, csrf) = (c.clone(), b.clone(), csrf.clone());
            async move {
                matches!(
                    lapor(&c, &b, &csrf, n).send().await,
                    Ok(r) if r.status() == 303
                )
            }
        },
    )
    .await)
}

/// The event feed as a client catching up reads it: 20,000 events appended for one unit, then
/// read sequentially, 1000 a page.
/// Appends the event of a comment on a bench request of `unit` (the feed and the webhooks
/// carry the same kind of event).
async fn append_comment(
    tx: &sea_orm::DatabaseTransaction,
    unit: kotapintar_domain::ids::UnitId,
    note: Option<&str>,
) -> anyhow::Result<()> {
    kotapintar_storage::events::append_event(
        tx,
        &kotapintar_domain::event::DomainEvent::Request(
            kotapintar_domain::event::RequestStepEvent {
                tracking_code: "BDG-25-BENCH".into(),
                kind: "pengaduan".into(),
                step: kotapintar_domain::event::RequestStep::Comment,
                from_status: Some("didisposisikan".into()),
                status: "didisposisikan".into(),
                note: note.map(String::from),
                units: vec![unit.0],
                confidential: false,
            },
        ),
        &[unit],
        false,
    )
    .await?;
    Ok(())
}

pub async fn event_feed(
    store: &Store,
    client: &reqwest::Client,
    base: &str,
    token: &str,
    unit: kotapintar_domain::ids::UnitId,
) -> anyhow::Result<Phase> {
    use sea_orm::TransactionTrait;
    let start_seq = kotapintar_storage::events::head(&store.reader).await?;
    let n_events = 20_000u64;
    for _ in 0..n_events / 1000 {
        let tx = store.writer.begin().await?;
        for _ in 0..1000 {
            append_comment(&tx, unit, Some("catatan")).await?;
        }
        tx.commit().await?;
    }
    let t = Instant::now();
    let mut cursor = start_seq;
    let (mut read, mut pages) = (0u64, 0u64);
    loop {
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/events?after={cursor}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let n = page["events"].as_array().map(|a| a.len()).unwrap_or(0) as u64;
        if n == 0 {
            break;
        }
        read += n;
        pages += 1;
        cursor = page["next_cursor"].as_i64().unwrap_or(cursor);
    }
    let seconds = t.elapsed().as_secs_f64();
    let p = Phase {
        name: "event-feed",
        what: "event feed /api/v1/events, 1000 a page, read in sequence".into(),
        unit: "events",
        clients: 1,
        ok: read,
        failed: n_events.saturating_sub(read),
        seconds,
        per_second: read as f64 / seconds,
        p50_ms: None,
        p95_ms: None,
        p99_ms: (pages > 0).then(|| seconds * 1000.0 / pages as f64),
        rss_peak_kib: 0,
        anon_peak_kib: 0,
        ceiling_pct: None,
    };
    report(&p);
    Ok(p)
}

/// Webhook dispatch by the job worker (in this process; the server is stopped) to a local
/// receiver answering 204: 5,000 events for one subscription.
pub async fn webhooks(store: &Store, settings: &Settings, token: &str) -> anyhow::Result<Phase> {
    use sea_orm::TransactionTrait;
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    let api_client = kotapintar_storage::clients::authenticate(store, token)
        .await?
        .ok_or_else(|| anyhow::anyhow!("bench client"))?;
    kotapintar_storage::webhooks::subscribe(
        store,
        &kotapintar_storage::audit::AuditActor::System("bench".into()),
        &api_client,
        &hook,
        &[],
    )
    .await?;
    let n_hooks = 5_000u64;
    let tx = store.writer.begin().await?;
    for _ in 0..n_hooks {
        append_comment(&tx, api_client.unit_id, None).await?;
    }
    tx.commit().await?;
    // the bench's receiver is on this machine, a private address by design
    let worker = kotapintar_jobs::Worker::new(
        store.clone(),
        settings.rules.clone(),
        settings.data_dir.join("uploads"),
    )
    .allow_private_webhooks(true);
    let t = Instant::now();
    let mut sent = 0u64;
    while sent < n_hooks {
        let n = worker.deliver_webhooks().await?;
        if n == 0 {
            break;
        }
        sent += n as u64;
    }
    let seconds = t.elapsed().as_secs_f64();
    let p = Phase {
        name: "webhooks",
        what: "webhook dispatch by the worker to a local receiver".into(),
        unit: "deliveries",
        clients: 1,
        ok: sent,
        failed: n_hooks.saturating_sub(sent),
        seconds,
        per_second: sent as f64 / seconds,
        p50_ms: None,
        p95_ms: None,
        p99_ms: None,
        rss_peak_kib: 0,
        anon_peak_kib: 0,
        ceiling_pct: None,
    };
    report(&p);
    Ok(p)
}
