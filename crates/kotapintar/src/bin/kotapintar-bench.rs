//! Measures the speed targets of the requests issue on a real server:
//! - accepting requests through the public form (no photos), each durable once answered;
//! - serving a public request page, with 100,000 requests stored.
//!
//! `cargo run --release --bin kotapintar-bench -- [--requests N] [--seconds S] [--concurrency C]
//! [--database-url URL]`. Defaults: 100000 stored requests, 10 s per phase, 32 clients, SQLite
//! in a temporary directory. The server and the load generator share the machine, as they
//! would share the 2 cores of the target server; figures are in BENCHMARKS.md.

use chrono::{Duration, Utc};
use kotapintar::app::{prepare, Application};
use kotapintar::config::{RawSettings, Settings};
use kotapintar_storage::entity::{request, request_event};
use kotapintar_storage::{OpenMode, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

struct Args {
    requests: u64,
    seconds: u64,
    concurrency: usize,
    database_url: Option<String>,
    /// Only seed and serve, for an outside load generator such as wrk; write the codes here.
    serve_codes_to: Option<String>,
    /// Run the dashboard scenario instead: `--dashboard` seeds this many requests (default
    /// 1,000,000) with their performance counters and measures the /kinerja pages.
    dashboard: Option<u64>,
}

fn args() -> Args {
    let mut a = Args {
        requests: 100_000,
        seconds: 10,
        concurrency: 32,
        database_url: None,
        serve_codes_to: None,
        dashboard: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        if k == "--dashboard" {
            a.dashboard = Some(1_000_000);
            continue;
        }
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--requests" => a.requests = v.parse().unwrap_or(a.requests),
            "--seconds" => a.seconds = v.parse().unwrap_or(a.seconds),
            "--concurrency" => a.concurrency = v.parse().unwrap_or(a.concurrency),
            "--database-url" => a.database_url = Some(v),
            "--serve" => a.serve_codes_to = Some(v),
            "--dashboard-requests" => a.dashboard = v.parse().ok(),
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    a
}

/// Stored requests in bulk (straight rows, as an import would write them), each with two
/// timeline entries; a third of them resolved, some confidential.
async fn seed(store: &Store, n: u64) -> anyhow::Result<Vec<String>> {
    let mut codes = Vec::with_capacity(n as usize);
    let start = Instant::now();
    let mut next = 0u64;
    while next < n {
        let tx = store.writer.begin().await?;
        let batch: Vec<u64> = (next..(next + 1000).min(n)).collect();
        let rows: Vec<request::ActiveModel> = batch
            .iter()
            .map(|i| {
                let code = bench_code(*i);
                let now = Utc::now() - Duration::minutes(*i as i64);
                request::ActiveModel {
                    tracking_code: Set(code),
                    kind: Set("pengaduan".into()),
                    service_id: Set(None),
                    title: Set(format!("Laporan contoh nomor {i}: jalan rusak")),
                    description: Set(
                        "Lubang di badan jalan membahayakan pengendara, mohon segera diperbaiki."
                            .into(),
                    ),
                    status: Set(if i % 3 == 0 {
                        "selesai"
                    } else {
                        "didisposisikan"
                    }
                    .into()),
                    location_address: Set(Some("Jl. Raya Kuta".into())),
                    latitude: Set(Some(-8.72 + (*i % 100) as f64 * 0.001)),
                    longitude: Set(Some(115.17)),
                    district_code: Set(Some("51.03.01".into())),
                    village_code: Set(Some("51.03.01.1002".into())),
                    district_name: Set(Some("Kuta".into())),
                    village_name: Set(Some("Kuta".into())),
                    anonymous: Set(false),
                    confidential: Set(i % 50 == 0),
                    reporter_name: Set(Some("Warga".into())),
                    reporter_email: Set(None),
                    reporter_phone: Set(None),
                    reporter_token_hash: Set("0".repeat(64)),
                    answers_json: Set("[]".into()),
                    received_at: Set(now),
                    stage_due_at: Set(Some(now + Duration::days(7))),
                    resolve_due_at: Set(None),
                    resolved_at: Set(None),
                    closed_at: Set(None),
                    response: Set((i % 3 == 0).then(|| "Sudah diperbaiki.".to_string())),
                    reject_reason: Set(None),
                    duplicate_of: Set(None),
                    support_count: Set(0),
                    escalation_level: Set(0),
                    personal_data_erased_at: Set(None),
                    updated_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        request::Entity::insert_many(rows).exec(&tx).await?;
        let batch_codes: Vec<String> = batch.iter().map(|i| bench_code(*i)).collect();
        let ids: Vec<i64> = request::Entity::find()
            .filter(request::Column::TrackingCode.is_in(batch_codes))
            .all(&tx)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let events: Vec<request_event::ActiveModel> = ids
            .into_iter()
            .flat_map(|id| {
                ["submit", "dispatch"]
                    .into_iter()
                    .map(move |step| request_event::ActiveModel {
                        request_id: Set(id),
                        at: Set(Utc::now()),
                        actor: Set("bench".into()),
                        actor_user_id: Set(None),
                        step: Set(step.into()),
                        from_status: Set(None),
                        to_status: Set(if step == "submit" {
                            "diterima"
                        } else {
                            "didisposisikan"
                        }
                        .into()),
                        note: Set(Some("Diteruskan ke perangkat daerah.".into())),
                        note_public: Set(true),
                        unit_id: Set(None),
                        ..Default::default()
                    })
            })
            .collect();
        for chunk in events.chunks(500) {
            request_event::Entity::insert_many(chunk.to_vec())
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        codes.extend(
            batch
                .iter()
                .filter(|i| *i % 50 != 0)
                .map(|i| bench_code(*i)),
        );
        next += 1000;
    }
    eprintln!(
        "seeded {n} requests in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(codes)
}

/// A valid tracking code for the i-th seeded request: i written in the code alphabet.
/// Sends a GET and reads the whole answer: a success is a 200 with its body received.
async fn fetched(req: reqwest::RequestBuilder) -> bool {
    match req.send().await {
        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
        _ => false,
    }
}

fn bench_code(i: u64) -> String {
    let mut digits = [0u8; 5];
    let mut n = i;
    for d in digits.iter_mut().rev() {
        *d = (n % 30) as u8;
        n /= 30;
    }
    kotapintar_domain::request::tracking_code("BDG", 2025, digits)
}

struct Outcome {
    ok: u64,
    failed: u64,
    seconds: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
}

async fn load<F, Fut>(concurrency: usize, seconds: u64, make: F) -> Outcome
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
            .unwrap_or(0.0)
    };
    Outcome {
        ok: all.len() as u64,
        failed: failed.load(Ordering::Relaxed),
        seconds,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
    }
}

fn report(name: &str, o: &Outcome) {
    println!(
        "{name}: {:.0} per second ({} ok, {} failed in {:.1} s; p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms)",
        o.ok as f64 / o.seconds,
        o.ok,
        o.failed,
        o.seconds,
        o.p50_ms,
        o.p95_ms,
        o.p99_ms
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args();
    let dir = tempfile::tempdir()?;
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let settings = Settings::check(RawSettings {
        listen: "127.0.0.1:0".into(),
        database_url: Some(url.clone()),
        data_dir: dir.path().join("data"),
        worker: false,
        log: "warn".into(),
        ..RawSettings::default()
    })?;
    let store = Store::connect(&settings.database_url, OpenMode::CreateIfMissing).await?;
    prepare(&store).await?;
    kotapintar::commands::import_builtin_areas(&store, &settings.regency).await?;
    if let Some(n) = a.dashboard {
        let slugs = dashboard::seed(&store, &settings, n).await?;
        store.close().await;
        return dashboard::measure(&settings, slugs, a.seconds, a.concurrency).await;
    }
    let codes = Arc::new(seed(&store, a.requests).await?);
    store.close().await;

    let app = Application::build(&settings, OpenMode::MustExist).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let bench_store = app.store().clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stop_rx.await;
    }));
    if let Some(path) = &a.serve_codes_to {
        std::fs::write(path, codes.join("\n"))?;
        println!("serving {base} until interrupted; codes in {path}");
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop_tx.send(());
        let _ = server.await;
        return Ok(());
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(a.concurrency)
        .build()?;
    let first = client.get(format!("{base}/lapor")).send().await?;
    let csrf = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("kp_csrf=")
                .map(|r| r.split(';').next().unwrap_or("").to_string())
        })
        .ok_or_else(|| anyhow::anyhow!("no csrf cookie"))?;
    println!(
        "backend: {}; stored requests: {}; clients: {}",
        settings.database_url, a.requests, a.concurrency
    );

    // a new node builds its search index from the database first: measure after that
    let head = kotapintar_storage::events::head(&bench_store.reader).await?;
    let t = Instant::now();
    loop {
        let r = client.get(format!("{base}/cari?q=x")).send().await?;
        let cursor = r
            .headers()
            .get("x-search-cursor")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-1);
        if cursor >= head || t.elapsed().as_secs() > 1800 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    eprintln!(
        "search index ready after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // public request pages
    let (c, b, codes2) = (client.clone(), base.clone(), codes.clone());
    let pages = load(a.concurrency, a.seconds, move |n| {
        let (c, b, codes) = (c.clone(), b.clone(), codes2.clone());
        async move {
            let code = &codes[(n.wrapping_mul(7919) % codes.len() as u64) as usize];
            fetched(c.get(format!("{b}/laporan/{code}"))).await
        }
    })
    .await;
    report("public request page", &pages);

    // the home page (latest content, request figures; its data is kept until the next event)
    let (c, b) = (client.clone(), base.clone());
    let home = load(a.concurrency, a.seconds, move |_| {
        let (c, b) = (c.clone(), b.clone());
        async move { fetched(c.get(format!("{b}/"))).await }
    })
    .await;
    report("home page", &home);

    // the search page
    let (c, b) = (client.clone(), base.clone());
    let search = load(a.concurrency, a.seconds, move |n| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            const Q: [&str; 6] = [
                "lampu",
                "perbaikan jalan",
                "sampah",
                "penerangn",
                "jalan rusak kuta",
                "saluran",
            ];
            let q = Q[(n % Q.len() as u64) as usize];
            fetched(c.get(format!("{b}/cari")).query(&[("q", q)])).await
        }
    })
    .await;
    report("search page /cari", &search);

    // the Open311 list with default filters (the last 90 days, at most 1000 requests), as a
    // client asking for compression gets it
    let (c, b) = (client.clone(), base.clone());
    let open311 = load(a.concurrency, a.seconds, move |_| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            match c
                .get(format!("{b}/open311/v2/requests.json"))
                .header("accept-encoding", "gzip")
                .send()
                .await
            {
                Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await;
    report("Open311 requests.json (default filters)", &open311);

    // intake through the form (the durable answer is the 303 redirect to the follow page)
    let (c, b) = (client.clone(), base.clone());
    let intake = load(a.concurrency, a.seconds, move |n| {
        let (c, b, csrf) = (c.clone(), b.clone(), csrf.clone());
        async move {
            let body = serde_urlencoded::to_string([
                ("_csrf", csrf.as_str()),
                ("kind", "pengaduan"),
                ("title", &format!("Sampah menumpuk {n}")),
                ("description", "Sampah rumah tangga belum diangkut tiga hari di pinggir jalan."),
                ("district_code", "51.03.01"),
                ("confirm_new", "1"),
            ])
            .unwrap_or_default();
            let form = reqwest::multipart::Form::new();
            let form = serde_urlencoded::from_str::<Vec<(String, String)>>(&body)
                .unwrap_or_default()
                .into_iter()
                .fold(form, |f, (k, v)| f.text(k, v));
            matches!(
                c.post(format!("{b}/lapor")).header("cookie", format!("kp_csrf={csrf}")).multipart(form).send().await,
                Ok(r) if r.status() == 303
            )
        }
    })
    .await;
    report("accept a request", &intake);
    // the event feed, as a client catching up reads it (sequentially, 1000 a page)
    let store2 = bench_store.clone();
    let dpupr = kotapintar_storage::units::find_by_code(&store2.reader, "BENCH").await?;
    let unit = match dpupr {
        Some(u) => u,
        None => {
            let draft = kotapintar_domain::unit::UnitInput {
                code: "BENCH".into(),
                name: "Unit uji".into(),
                kind: "dinas".into(),
                active: Some("on".into()),
                ..Default::default()
            }
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            kotapintar_storage::units::create(
                &store2,
                &kotapintar_storage::audit::AuditActor::System("bench".into()),
                draft,
            )
            .await?
        }
    };
    let start_seq = kotapintar_storage::events::head(&store2.reader).await?;
    let n_events = 20_000u64;
    let t = Instant::now();
    let mut i = 0;
    while i < n_events {
        let tx = store2.writer.begin().await?;
        for _ in 0..1000 {
            kotapintar_storage::events::append(
                &tx,
                "request.comment",
                "request",
                "BDG-25-BENCH",
                &[unit.id],
                false,
                &serde_json::json!({"status": "didisposisikan", "note": "catatan"}),
            )
            .await?;
            i += 1;
        }
        tx.commit().await?;
    }
    eprintln!(
        "appended {n_events} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let token = kotapintar_storage::clients::create(
        &store2,
        &kotapintar_storage::audit::AuditActor::System("bench".into()),
        "bench",
        "BENCH",
        "events:read",
        100_000,
    )
    .await?
    .token;
    let t = Instant::now();
    let mut cursor = start_seq;
    let mut read = 0u64;
    loop {
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/events?after={cursor}&limit=1000"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let n = page["events"].as_array().map(|a| a.len()).unwrap_or(0) as u64;
        if n == 0 {
            break;
        }
        read += n;
        cursor = page["next_cursor"].as_i64().unwrap_or(cursor);
    }
    println!(
        "event feed: {:.0} events per second ({read} events in {:.2} s)",
        read as f64 / t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64()
    );

    // webhook dispatch to a local receiver that answers 204
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    let api_client = kotapintar_storage::clients::authenticate(&store2, &token)
        .await?
        .ok_or_else(|| anyhow::anyhow!("bench client"))?;
    kotapintar_storage::webhooks::subscribe(&store2, &api_client, &hook, &[]).await?;
    let n_hooks = 5_000u64;
    let tx = store2.writer.begin().await?;
    for _ in 0..n_hooks {
        kotapintar_storage::events::append(
            &tx,
            "request.comment",
            "request",
            "BDG-25-BENCH",
            &[unit.id],
            false,
            &serde_json::json!({"status": "didisposisikan"}),
        )
        .await?;
    }
    tx.commit().await?;
    let worker = kotapintar_jobs::Worker::new(
        store2.clone(),
        settings.rules.clone(),
        settings.data_dir.join("uploads"),
    );
    let t = Instant::now();
    let mut sent = 0usize;
    while (sent as u64) < n_hooks {
        let n = worker.deliver_webhooks().await?;
        if n == 0 {
            break;
        }
        sent += n;
    }
    println!(
        "webhook dispatch: {:.0} deliveries per second ({sent} in {:.2} s)",
        sent as f64 / t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64()
    );

    let _ = stop_tx.send(());
    let _ = server.await;
    // every accepted request is in the database
    let store = Store::connect(&settings.database_url, OpenMode::MustExist).await?;
    let (_, total) =
        kotapintar_storage::requests::public_list(&store, &Default::default(), 0, 1).await?;
    println!("public requests stored after the run: {total}");
    drop(bench_store);
    Ok(())
}

/// The dashboard scenario: many requests with their performance counters, and the
/// performance pages measured.
mod dashboard {
    use super::{load, report};
    use chrono::{Duration, Utc};
    use kotapintar::config::Settings;
    use kotapintar_domain::performance::{Facts, History};
    use kotapintar_storage::entity::{request, request_unit, service};
    use kotapintar_storage::{OpenMode, Store};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
    use std::sync::Arc;
    use std::time::Instant;

    const UNITS: usize = 27;
    const SERVICES_PER_UNIT: usize = 3;

    /// A small deterministic generator (no dependency on a random source).
    fn mix(mut x: u64) -> u64 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }

    /// Seeds `n` requests spread over the last 365 days across 27 units, 81 services and
    /// the regency's kecamatan, with realistic steps (verified after 0-4 working days,
    /// most resolved, some rejected, some forwarded), then their facts and counters, in
    /// bulk. Returns the units' slugs.
    pub async fn seed(store: &Store, settings: &Settings, n: u64) -> anyhow::Result<Vec<String>> {
        let t = Instant::now();
        let actor = kotapintar_storage::audit::AuditActor::System("bench".into());
        let mut units = Vec::new();
        for u in 0..UNITS {
            let draft = kotapintar_domain::unit::UnitInput {
                code: format!("UNIT{u:02}"),
                name: format!("Perangkat daerah {u:02}"),
                kind: "dinas".into(),
                active: Some("on".into()),
                ..Default::default()
            }
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            units.push(kotapintar_storage::units::create(store, &actor, draft).await?);
        }
        let now = Utc::now();
        let mut services = Vec::new();
        for (i, u) in units.iter().enumerate() {
            for s in 0..SERVICES_PER_UNIT {
                let m = service::Entity::insert(service::ActiveModel {
                    unit_id: Set(u.id.0),
                    code: Set(format!("layanan-{i:02}-{s}")),
                    name: Set(format!("Layanan {s} perangkat daerah {i:02}")),
                    kind: Set("pengaduan".into()),
                    time_limit_days: Set(5 + (s as i32) * 5),
                    questions_json: Set("[]".into()),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec(&store.writer)
                .await?;
                services.push((m.last_insert_id, u.id.0, 5 + (s as i64) * 5));
            }
        }
        let districts: Vec<String> =
            kotapintar_storage::regions::children(store, &settings.regency)
                .await?
                .into_iter()
                .map(|d| d.code)
                .collect();
        let calendar = kotapintar_storage::holidays::calendar(store).await?;
        let offset = settings.rules.utc_offset;
        let mut done = 0u64;
        while done < n {
            let batch: Vec<u64> = (done..(done + 1000).min(n)).collect();
            let tx = store.writer.begin().await?;
            let mut plans = Vec::with_capacity(batch.len());
            let rows: Vec<request::ActiveModel> = batch
                .iter()
                .map(|&i| {
                    let r = mix(i);
                    let (service_id, unit_id, limit) =
                        services[(r % services.len() as u64) as usize];
                    let received = now - Duration::minutes(((r >> 8) % (365 * 24 * 60)) as i64);
                    let outcome = (r >> 40) % 100;
                    let verified = received + Duration::hours(((r >> 20) % 96) as i64);
                    let resolved = verified + Duration::hours(((r >> 28) % (24 * 21)) as i64);
                    let due = received + Duration::days(limit * 7 / 5);
                    // Requests still open are recent ones (the last 30 days), as in a
                    // regency that works its queue; a few of them are overdue.
                    let recent = now - received < Duration::days(30);
                    let (status, resolved_at, closed_at) = if outcome < 5 {
                        ("ditolak", None, Some(verified))
                    } else if (outcome < 70 || !recent) && resolved < now {
                        ("ditutup", Some(resolved), Some(resolved))
                    } else if verified < now {
                        ("ditindaklanjuti", None, None)
                    } else {
                        ("diterima", None, None)
                    };
                    let district = &districts[((r >> 50) % districts.len().max(1) as u64) as usize];
                    // a tenth of the requests were forwarded once, to the next unit
                    let holder = if (r >> 12).is_multiple_of(10) {
                        units[((r >> 16) % UNITS as u64) as usize].id.0
                    } else {
                        unit_id
                    };
                    plans.push((
                        status,
                        holder,
                        received,
                        verified,
                        resolved_at,
                        closed_at,
                        due,
                        service_id,
                        district.clone(),
                    ));
                    let open = matches!(status, "ditindaklanjuti" | "diterima");
                    request::ActiveModel {
                        tracking_code: Set(format!("BDG-25-D{i:07}")),
                        kind: Set("pengaduan".into()),
                        service_id: Set(Some(service_id)),
                        title: Set(format!("Laporan contoh nomor {i}")),
                        description: Set("Lubang di badan jalan membahayakan pengendara.".into()),
                        status: Set(status.into()),
                        location_address: Set(None),
                        latitude: Set(Some(-8.72 + (r % 100) as f64 * 0.002)),
                        longitude: Set(Some(115.17 + ((r >> 4) % 50) as f64 * 0.001)),
                        district_code: Set(Some(district.clone())),
                        village_code: Set(None),
                        district_name: Set(None),
                        village_name: Set(None),
                        anonymous: Set(false),
                        confidential: Set(i % 50 == 0),
                        reporter_name: Set(None),
                        reporter_email: Set(None),
                        reporter_phone: Set(None),
                        reporter_token_hash: Set("0".repeat(64)),
                        answers_json: Set("[]".into()),
                        received_at: Set(received),
                        stage_due_at: Set(open.then_some(due)),
                        resolve_due_at: Set(Some(due)),
                        resolved_at: Set(resolved_at),
                        closed_at: Set(closed_at),
                        response: Set(None),
                        reject_reason: Set((status == "ditolak").then(|| "spam".to_string())),
                        duplicate_of: Set(None),
                        support_count: Set(0),
                        escalation_level: Set(0),
                        personal_data_erased_at: Set(None),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                })
                .collect();
            request::Entity::insert_many(rows).exec(&tx).await?;
            let codes: Vec<String> = batch.iter().map(|i| format!("BDG-25-D{i:07}")).collect();
            let mut ids: Vec<(String, i64)> = request::Entity::find()
                .filter(request::Column::TrackingCode.is_in(codes))
                .all(&tx)
                .await?
                .into_iter()
                .map(|r| (r.tracking_code, r.id))
                .collect();
            ids.sort();
            let mut dispositions = Vec::new();
            let mut facts = Vec::new();
            for (
                (_, id),
                (
                    status,
                    holder,
                    received,
                    verified,
                    resolved_at,
                    closed_at,
                    due,
                    service_id,
                    district,
                ),
            ) in ids.into_iter().zip(plans)
            {
                let dispatched = status != "ditolak" && status != "diterima";
                if dispatched {
                    dispositions.push(request_unit::ActiveModel {
                        request_id: Set(id),
                        unit_id: Set(holder),
                        officer_id: Set(None),
                        active: Set(true),
                        dispatched_at: Set(verified),
                        ..Default::default()
                    });
                }
                let h = History {
                    received_at: received,
                    verified_at: dispatched.then_some(verified),
                    rejected_at: if status == "ditolak" { closed_at } else { None },
                    resolved_at,
                    resolve_due_at: Some(due),
                    units: if dispatched { vec![holder] } else { vec![] },
                    service_id: Some(service_id),
                    district_code: Some(district),
                    village_code: None,
                };
                facts.push((id, Facts::from_history(&h, &calendar, offset)));
            }
            for chunk in dispositions.chunks(1000) {
                request_unit::Entity::insert_many(chunk.to_vec())
                    .exec(&tx)
                    .await?;
            }
            tx.commit().await?;
            kotapintar_storage::performance::load_facts(store, &facts).await?;
            done += batch.len() as u64;
            if done.is_multiple_of(100_000) {
                eprintln!("  {done} requests ({:.0} s)", t.elapsed().as_secs_f64());
            }
        }
        eprintln!(
            "seeded {n} requests with their facts and counters in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        Ok(units.into_iter().map(|u| u.slug).collect())
    }

    pub async fn measure(
        settings: &Settings,
        slugs: Vec<String>,
        seconds: u64,
        concurrency: usize,
    ) -> anyhow::Result<()> {
        let app = kotapintar::app::Application::build(settings, OpenMode::MustExist).await?;
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stop_rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(concurrency)
            .build()?;
        let counters: i64 = {
            let store = Store::connect(&settings.database_url, OpenMode::MustExist).await?;
            use sea_orm::PaginatorTrait;
            let c = kotapintar_storage::entity::perf_counter::Entity::find()
                .count(&store.reader)
                .await? as i64;
            store.close().await;
            c
        };
        println!("dashboard: {counters} counter rows; {concurrency} clients, {seconds} s per page");
        let slugs = Arc::new(slugs);
        // Pages are computed from the counters and reused for 30 s (figures may be a minute
        // behind); the "uncached" phases ask for a different period each time, so every
        // answer is computed afresh.
        for (name, path) in [
            ("/kinerja (90 days)", "/kinerja"),
            ("/kinerja/{unit} (90 days)", "/kinerja/{unit}"),
            ("/kinerja?hari=365", "/kinerja?hari=365"),
            ("/kinerja/{unit}?hari=365", "/kinerja/{unit}?hari=365"),
            ("/kinerja uncached (30 to 329 days)", "/kinerja?hari={days}"),
            (
                "/kinerja/{unit} uncached (30 to 329 days)",
                "/kinerja/{unit}?hari={days}",
            ),
        ] {
            let (c, b, s) = (client.clone(), base.clone(), slugs.clone());
            let o = load(concurrency, seconds, move |n| {
                let (c, b, s) = (c.clone(), b.clone(), s.clone());
                let path = path
                    .replace("{unit}", &s[(n as usize) % s.len()])
                    .replace("{days}", &(30 + (n * 7919) % 300).to_string());
                async move {
                    match c.get(format!("{b}{path}")).send().await {
                        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                        _ => false,
                    }
                }
            })
            .await;
            report(name, &o);
        }
        let _ = stop_tx.send(());
        let _ = server.await;
        Ok(())
    }
}
