//! The benchmark: generates a regency's data at a chosen scale, starts the real server
//! (`kotapintar serve`, a child process, job worker off) over it, and measures each public and
//! API path that has a speed target, on SQLite, PostgreSQL or both. Prints one table and
//! writes it as JSON. BENCHMARKS.md has the figures and how to read them; `scripts/bench`
//! builds and runs it from a clean clone.
//!
//! `kotapintar-bench [--backend sqlite|postgres|both] [--requests N] [--content N] [--full]
//! [--seconds S] [--concurrency C] [--json FILE] [--only PHASE,...] [--postgres-url URL]
//! [--database-url URL] [--server-bin PATH] [--serve CODES_FILE] [--dashboard]`
//!
//! Defaults: SQLite, 100,000 requests, 10,000 content items, 10 s per phase, 32 clients.
//! `--full` is the scale: 1,000,000 requests and 100,000 content items.

mod seed;
mod server;

use kotapintar::app::prepare;
use kotapintar::config::{RawSettings, Settings};
use kotapintar_storage::{Backend, OpenMode, Store};
use sea_orm::ConnectionTrait;
use server::{Memory, Server};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

struct Args {
    backends: Vec<Backend>,
    requests: u64,
    content: u64,
    seconds: u64,
    concurrency: usize,
    /// The dashboard pages are measured with fewer clients: a regency's leaders, not the public.
    dashboard_concurrency: usize,
    json: Option<String>,
    only: Vec<String>,
    postgres_url: String,
    /// Use this (empty) database instead of a fresh one.
    database_url: Option<String>,
    /// With `database_url`: when it already holds generated data, measure that instead of
    /// generating again (a 1,000,000-request database takes 20 to 35 minutes to make).
    reuse: bool,
    /// Keep the server's data (search index, uploads) here between runs, instead of in a
    /// temporary directory: with `--reuse`, a new run does not rebuild the search index.
    data_dir: Option<String>,
    server_bin: Option<String>,
    /// Only generate and serve, for an outside load generator such as wrk; codes go here.
    serve_codes_to: Option<String>,
}

const PHASES: [&str; 11] = [
    "request-page",
    "home",
    "search",
    "open311-list",
    "api-request-list",
    "kinerja",
    "kinerja-unit",
    "kinerja-uncached",
    "intake",
    "event-feed",
    "webhooks",
];

fn usage() -> ! {
    eprintln!(
        "usage: kotapintar-bench [--backend sqlite|postgres|both] [--requests N] [--content N] [--full]\n\
         \x20      [--seconds S] [--concurrency C] [--json FILE] [--only PHASE,...] [--postgres-url URL]\n\
         \x20      [--database-url URL [--reuse]] [--data-dir DIR] [--server-bin PATH] [--serve CODES_FILE] [--dashboard]\n\
         phases: {}",
        PHASES.join(", ")
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        backends: vec![Backend::Sqlite],
        requests: 100_000,
        content: 10_000,
        seconds: 10,
        concurrency: 32,
        dashboard_concurrency: 4,
        json: None,
        only: Vec::new(),
        postgres_url: std::env::var("KOTAPINTAR_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        database_url: None,
        reuse: false,
        data_dir: None,
        server_bin: None,
        serve_codes_to: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--full" => {
                (a.requests, a.content) = (1_000_000, 100_000);
                continue;
            }
            // the dashboard scenario of issue 7: 1,000,000 requests, the /kinerja pages only
            "--dashboard" => {
                (a.requests, a.content) = (1_000_000, 0);
                a.only = vec!["kinerja".into()];
                continue;
            }
            "--reuse" => {
                a.reuse = true;
                continue;
            }
            "--help" | "-h" => usage(),
            _ => {}
        }
        let Some(v) = it.next() else { usage() };
        let number = |v: &str| {
            v.replace(['_', ','], "")
                .parse::<u64>()
                .unwrap_or_else(|_| usage())
        };
        match k.as_str() {
            "--backend" => {
                a.backends = match v.as_str() {
                    "sqlite" => vec![Backend::Sqlite],
                    "postgres" | "postgresql" => vec![Backend::Postgres],
                    "both" => vec![Backend::Sqlite, Backend::Postgres],
                    _ => usage(),
                }
            }
            "--requests" => a.requests = number(&v),
            "--dashboard-requests" => {
                a.requests = number(&v);
                a.content = 0;
                a.only = vec!["kinerja".into()];
            }
            "--content" => a.content = number(&v),
            "--seconds" => a.seconds = number(&v),
            "--concurrency" => a.concurrency = number(&v).max(1) as usize,
            "--dashboard-concurrency" => a.dashboard_concurrency = number(&v).max(1) as usize,
            "--json" => a.json = Some(v),
            "--only" => a.only = v.split(',').map(|s| s.trim().to_string()).collect(),
            "--postgres-url" => a.postgres_url = v,
            "--database-url" => a.database_url = Some(v),
            "--server-bin" => a.server_bin = Some(v),
            "--data-dir" => a.data_dir = Some(v),
            "--serve" => a.serve_codes_to = Some(v),
            _ => usage(),
        }
    }
    if a.reuse && a.database_url.is_none() {
        usage()
    }
    if let Some(url) = &a.database_url {
        a.backends = vec![if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }];
    }
    a
}

impl Args {
    /// `--only` names phases or their beginnings (`kinerja` is every dashboard phase).
    fn runs(&self, phase: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| phase.starts_with(o.as_str()))
    }
}

/// One measured phase.
#[derive(Clone, serde::Serialize)]
struct Phase {
    name: &'static str,
    what: String,
    /// What `per_second` counts: answers, or events/deliveries for the feed and webhooks.
    unit: &'static str,
    clients: usize,
    ok: u64,
    failed: u64,
    seconds: f64,
    per_second: f64,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// The server's most resident memory, and heap and stacks, sampled during this phase.
    rss_peak_kib: u64,
    anon_peak_kib: u64,
}

#[derive(serde::Serialize)]
struct Run {
    backend: &'static str,
    requests: u64,
    content_items: u64,
    generate_requests_seconds: f64,
    generate_content_seconds: f64,
    search_ready_seconds: f64,
    /// While the new node built its search index from the database.
    startup_memory: Memory,
    /// The child process that built the index (a new node's first start only).
    index_build_peak_mib: Option<u64>,
    /// From then on, through every phase: what the memory target is about.
    server_memory: Memory,
    requests_stored_after: u64,
    phases: Vec<Phase>,
}

/// Sends a GET and reads the whole answer: a success is a 200 with its body received.
async fn fetched(req: reqwest::RequestBuilder) -> bool {
    match req.send().await {
        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
        _ => false,
    }
}

/// `concurrency` clients, each sending its next request when the last one is answered, for
/// `seconds`; latencies of successful answers only.
async fn load<F, Fut>(
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
    };
    report(&phase);
    phase
}

/// Notes the server's memory peaks during the phase just measured, and prints them.
fn mark_phase(server: &Server, phases: &mut [Phase]) {
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

fn report(p: &Phase) {
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    println!(
        "{}: {:.0} {} per second ({} ok, {} failed in {:.1} s, {} clients; p50 {} ms, p95 {} ms, p99 {} ms)",
        p.what,
        p.per_second,
        p.unit,
        p.ok,
        p.failed,
        p.seconds,
        p.clients,
        ms(p.p50_ms),
        ms(p.p95_ms),
        ms(p.p99_ms)
    );
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// A fresh, empty PostgreSQL database next to the one `admin` names; dropped by `drop_pg`.
async fn create_pg(admin: &str) -> anyhow::Result<(String, String)> {
    let name = format!(
        "kp_bench_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp()
    );
    let conn = sea_orm::Database::connect(admin)
        .await
        .map_err(|e| anyhow::anyhow!("PostgreSQL at {admin}: {e} (set --postgres-url)"))?;
    conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    conn.close().await?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    Ok((format!("{base}/{name}"), name))
}

async fn drop_pg(admin: &str, name: &str) {
    if let Ok(conn) = sea_orm::Database::connect(admin).await {
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = conn.close().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args();
    let bin = match &a.server_bin {
        Some(p) => p.into(),
        None => server::default_binary()?,
    };
    let mut runs = Vec::new();
    for backend in a.backends.clone() {
        let temp = tempfile::tempdir()?;
        let dir = match &a.data_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                std::path::PathBuf::from(d)
            }
            None => temp.path().to_path_buf(),
        };
        let (url, pg_name) = match (&a.database_url, backend) {
            (Some(url), _) => (url.clone(), None),
            (None, Backend::Sqlite) => {
                (format!("sqlite://{}", dir.join("bench.db").display()), None)
            }
            (None, Backend::Postgres) => {
                let (url, name) = create_pg(&a.postgres_url).await?;
                (url, Some(name))
            }
        };
        let run = run_backend(&a, backend, &bin, &url, &dir).await;
        if let Some(name) = pg_name {
            drop_pg(&a.postgres_url, &name).await;
        }
        match run? {
            Some(r) => runs.push(r),
            None => return Ok(()),
        }
    }
    print_table(&a, &runs);
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(&json(&a, &runs))?)?;
        println!("written to {path}");
    }
    Ok(())
}

/// Generates, serves and measures on one backend. `None`: it only served (`--serve`).
async fn run_backend(
    a: &Args,
    backend: Backend,
    bin: &std::path::Path,
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Option<Run>> {
    println!(
        "== {}: {} requests and {} content items",
        backend_name(backend),
        a.requests,
        a.content
    );
    let settings = Settings::check(RawSettings {
        listen: "127.0.0.1:0".into(),
        database_url: Some(url.to_string()),
        data_dir: dir.join("data"),
        worker: false,
        log: "warn".into(),
        ..RawSettings::default()
    })?;
    let store = Store::connect(&settings.database_url, OpenMode::CreateIfMissing).await?;
    prepare(&store, &settings).await?;
    let reused = if a.reuse {
        seed::existing(&store).await?
    } else {
        None
    };
    let seeded = match reused {
        Some(s) => {
            println!(
                "   reusing the {} public requests already there",
                s.codes.len()
            );
            s
        }
        None => {
            kotapintar::commands::import_builtin_areas(&store, &settings.regency).await?;
            let seeded = seed::all(&store, &settings, a.requests, a.content).await?;
            // What PostgreSQL's autovacuum does after a bulk load, done at once: without
            // statistics its planner takes `request_id IN (..)` for half a table and scans
            // it. (SQLite keeps no statistics unless told to, and a deployment does not.)
            if store.backend() == Backend::Postgres {
                store.writer.execute_unprepared("VACUUM ANALYZE").await?;
            }
            seeded
        }
    };
    let actor = kotapintar_storage::audit::AuditActor::System("bench".into());
    // Applications of the first unit: they read its requests and its events. Each may send
    // at most 100,000 requests a minute, so the list phase spreads its calls over eight, and
    // no answer is a 429.
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(
            kotapintar_storage::clients::create(
                &store,
                &actor,
                &format!("bench-{i}-{}", chrono::Utc::now().timestamp_millis()),
                &seeded.unit_codes[0],
                "requests:read events:read",
                100_000,
            )
            .await?
            .token,
        );
    }
    let tokens = Arc::new(tokens);
    let token = tokens[0].clone();
    store.close().await;
    let codes = Arc::new(seeded.codes);
    let slugs = Arc::new(seeded.unit_slugs);

    let server = Server::start(bin, url, dir).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(a.concurrency)
        .build()?;

    // a new node builds its search index from the database first: measure after that
    let store = Store::connect(&settings.database_url, OpenMode::MustExist).await?;
    let head = kotapintar_storage::events::head(&store.reader).await?;
    let t = Instant::now();
    loop {
        let r = client.get(format!("{base}/cari?q=x")).send().await?;
        let cursor = r
            .headers()
            .get("x-search-cursor")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-1);
        if cursor >= head || t.elapsed().as_secs() > 3600 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let search_ready_seconds = t.elapsed().as_secs_f64();
    println!("search index ready after {search_ready_seconds:.1} s; server at {base}");
    // Building the index is what a new node does once (a restarted one keeps its index): its
    // peak is reported apart, and the peak under load is measured from here.
    let startup_memory = server.memory();
    let index_build_peak_mib = server.index_build_peak_mib();
    server.reset_peak()?;

    if let Some(path) = &a.serve_codes_to {
        std::fs::write(path, codes.join("\n"))?;
        println!("serving {base} until interrupted; codes in {path}");
        let _ = tokio::signal::ctrl_c().await;
        server.stop().await?;
        return Ok(None);
    }

    let mut phases = Vec::new();
    let (n, s) = (a.concurrency, a.seconds);

    if a.runs("request-page") && !codes.is_empty() {
        let (c, b, codes) = (client.clone(), base.clone(), codes.clone());
        phases.push(
            load(
                "request-page",
                "public request page /laporan/{code}",
                n,
                s,
                move |i| {
                    let (c, b, codes) = (c.clone(), b.clone(), codes.clone());
                    async move {
                        let code = &codes[(i.wrapping_mul(7919) % codes.len() as u64) as usize];
                        fetched(c.get(format!("{b}/laporan/{code}"))).await
                    }
                },
            )
            .await,
        );
        mark_phase(&server, &mut phases);
    }
    if a.runs("home") {
        let (c, b) = (client.clone(), base.clone());
        phases.push(
            load("home", "home page /", n, s, move |_| {
                let (c, b) = (c.clone(), b.clone());
                async move { fetched(c.get(format!("{b}/"))).await }
            })
            .await,
        );
        mark_phase(&server, &mut phases);
    }
    if a.runs("search") {
        let (c, b) = (client.clone(), base.clone());
        phases.push(
            load(
                "search",
                "search page /cari (six queries)",
                n,
                s,
                move |i| {
                    let (c, b) = (c.clone(), b.clone());
                    async move {
                        const Q: [&str; 6] = [
                            "lampu",
                            "perbaikan jalan",
                            "sampah",
                            "penerangn",
                            "jalan berlubang kuta",
                            "saluran",
                        ];
                        let q = Q[(i % Q.len() as u64) as usize];
                        fetched(c.get(format!("{b}/cari")).query(&[("q", q)])).await
                    }
                },
            )
            .await,
        );
        mark_phase(&server, &mut phases);
    }
    if a.runs("open311-list") {
        // default filters (the last 90 days, at most 1000 requests), compressed as clients ask
        let (c, b) = (client.clone(), base.clone());
        phases.push(
            load(
                "open311-list",
                "Open311 requests.json, default filters, gzip",
                n,
                s,
                move |_| {
                    let (c, b) = (c.clone(), b.clone());
                    async move {
                        fetched(
                            c.get(format!("{b}/open311/v2/requests.json"))
                                .header("accept-encoding", "gzip"),
                        )
                        .await
                    }
                },
            )
            .await,
        );
        mark_phase(&server, &mut phases);
    }
    if a.runs("api-request-list") {
        // a unit's application paging through the requests its unit handles, 50 a page
        let (c, b, tk) = (client.clone(), base.clone(), tokens.clone());
        phases.push(
            load(
                "api-request-list",
                "API /api/v1/requests?page=0..19 (bearer)",
                n,
                s,
                move |i| {
                    let (c, b) = (c.clone(), b.clone());
                    let tk = tk[(i % tk.len() as u64) as usize].clone();
                    async move {
                        fetched(
                            c.get(format!("{b}/api/v1/requests?page={}", i % 20))
                                .bearer_auth(tk),
                        )
                        .await
                    }
                },
            )
            .await,
        );
        mark_phase(&server, &mut phases);
    }
    // Dashboard pages are computed from the counters and reused for 30 s (figures may be a
    // minute behind); the uncached phase asks for a different period each time.
    for (name, what, path) in [
        ("kinerja", "dashboard /kinerja (90 days)", "/kinerja"),
        (
            "kinerja-unit",
            "dashboard /kinerja/{unit} (90 days)",
            "/kinerja/{unit}",
        ),
        (
            "kinerja-uncached",
            "dashboard /kinerja/{unit}?hari=30..329 (computed each time)",
            "/kinerja/{unit}?hari={days}",
        ),
    ] {
        if !a.runs(name) {
            continue;
        }
        let (c, b, sl) = (client.clone(), base.clone(), slugs.clone());
        phases.push(
            load(name, what, a.dashboard_concurrency, s, move |i| {
                let (c, b) = (c.clone(), b.clone());
                let path = path
                    .replace("{unit}", &sl[(i as usize) % sl.len()])
                    .replace("{days}", &(30 + (i * 7919) % 300).to_string());
                async move { fetched(c.get(format!("{b}{path}"))).await }
            })
            .await,
        );
        mark_phase(&server, &mut phases);
    }
    if a.runs("intake") {
        phases.push(intake(&client, &base, n, s).await?);
        mark_phase(&server, &mut phases);
    }
    let unit = kotapintar_storage::units::find_by_code(&store.reader, &seeded.unit_codes[0])
        .await?
        .ok_or_else(|| anyhow::anyhow!("the first unit is missing"))?;
    if a.runs("event-feed") {
        phases.push(event_feed(&store, &client, &base, &token, unit.id).await?);
        mark_phase(&server, &mut phases);
    }
    let server_memory = server.memory();
    println!(
        "server memory: peak under load {:.0} MiB resident, {:.0} MiB of it heap and stacks at most (at start-up {:.0} MiB; now {:.0} MiB: {:.0} MiB heap and stacks, {:.0} MiB mapped files)",
        server_memory.peak_kib as f64 / 1024.0,
        server_memory.anon_peak_kib as f64 / 1024.0,
        startup_memory.peak_kib as f64 / 1024.0,
        server_memory.rss_kib as f64 / 1024.0,
        server_memory.anon_kib as f64 / 1024.0,
        server_memory.file_kib as f64 / 1024.0
    );
    server.stop().await?;
    if a.runs("webhooks") {
        phases.push(webhooks(&store, &settings, &token).await?);
    }
    let (_, requests_stored_after) =
        kotapintar_storage::requests::public_list(&store, &Default::default(), 0, 1).await?;
    store.close().await;
    Ok(Some(Run {
        backend: backend_name(backend),
        requests: seeded.requests,
        content_items: seeded.content,
        generate_requests_seconds: seeded.request_seconds,
        generate_content_seconds: seeded.content_seconds,
        search_ready_seconds,
        startup_memory,
        index_build_peak_mib,
        server_memory,
        requests_stored_after,
        phases,
    }))
}

/// Intake through the public form (multipart, CSRF token, no photos); only a 303 counts,
/// which is sent after the transaction committed.
async fn intake(
    client: &reqwest::Client,
    base: &str,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Phase> {
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
    let (c, b) = (client.clone(), base.to_string());
    Ok(load(
        "intake",
        "accept a request (public form, durable)",
        concurrency,
        seconds,
        move |n| {
            let (c, b, csrf) = (c.clone(), b.clone(), csrf.clone());
            async move {
                let form = reqwest::multipart::Form::new()
                    .text("_csrf", csrf.clone())
                    .text("kind", "pengaduan")
                    .text("title", format!("Sampah menumpuk {n}"))
                    .text(
                        "description",
                        "Sampah rumah tangga belum diangkut tiga hari di pinggir jalan.",
                    )
                    .text("district_code", "51.03.01")
                    .text("confirm_new", "1");
                matches!(
                    c.post(format!("{b}/lapor"))
                        .header("cookie", format!("kp_csrf={csrf}"))
                        .multipart(form)
                        .send()
                        .await,
                    Ok(r) if r.status() == 303
                )
            }
        },
    )
    .await)
}

/// The event feed as a client catching up reads it: 20,000 events appended for one unit, then
/// read sequentially, 1000 a page.
async fn event_feed(
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
            kotapintar_storage::events::append(
                &tx,
                "request.comment",
                "request",
                "BDG-25-BENCH",
                &[unit],
                false,
                &serde_json::json!({"status": "didisposisikan", "note": "catatan"}),
            )
            .await?;
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
    };
    report(&p);
    Ok(p)
}

/// Webhook dispatch by the job worker (in this process; the server is stopped) to a local
/// receiver answering 204: 5,000 events for one subscription.
async fn webhooks(store: &Store, settings: &Settings, token: &str) -> anyhow::Result<Phase> {
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
        kotapintar_storage::events::append(
            &tx,
            "request.comment",
            "request",
            "BDG-25-BENCH",
            &[api_client.unit_id],
            false,
            &serde_json::json!({"status": "didisposisikan"}),
        )
        .await?;
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
    };
    report(&p);
    Ok(p)
}

/// What machine this ran on, for the table and the JSON.
fn machine() -> String {
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

fn cell(p: Option<&Phase>) -> String {
    let Some(p) = p else { return "-".into() };
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let fail = if p.failed > 0 {
        format!(", **{} failed**", p.failed)
    } else {
        String::new()
    };
    if p.p50_ms.is_some() {
        format!(
            "{:.0} /s (p50 {}, p95 {}, p99 {} ms{fail})",
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
fn print_table(a: &Args, runs: &[Run]) {
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

fn json(a: &Args, runs: &[Run]) -> serde_json::Value {
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
