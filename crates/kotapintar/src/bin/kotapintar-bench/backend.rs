//! One backend's run: generate (or reuse) the data, start the server over it, wait for its
//! search index, measure the phases.

use crate::phases::{event_feed, fetched, intake, load, mark_phase, webhooks, Phase};
use crate::server::{Memory, Server};
use crate::{backend_name, seed, Args};
use kotapintar::app::prepare;
use kotapintar::config::{RawSettings, Settings};
use kotapintar_storage::{Backend, OpenMode, Store};
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use std::time::Instant;

#[derive(serde::Serialize)]
pub struct Run {
    pub backend: &'static str,
    pub requests: u64,
    pub content_items: u64,
    pub generate_requests_seconds: f64,
    pub generate_content_seconds: f64,
    pub search_ready_seconds: f64,
    /// While the new node built its search index from the database.
    pub startup_memory: Memory,
    /// The child process that built the index (a new node's first start only).
    pub index_build_peak_mib: Option<u64>,
    /// From then on, through every phase: what the memory target is about.
    pub server_memory: Memory,
    pub requests_stored_after: u64,
    pub phases: Vec<Phase>,
}

/// Generates, serves and measures on one backend. `None`: it only served (`--serve`).
pub async fn run_backend(
    a: &Args,
    backend: Backend,
    bin: &std::path::Path,
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Option<Run>> {
    let data = prepare_data(a, backend, url, dir).await?;
    // the chat webhook of the `channel-webhook` phase; its daily cap is raised so that the
    // phase measures the counting, not the refusals past it
    let chat = [
        (
            "KOTAPINTAR_TELEGRAM_SECRET",
            crate::channel::SECRET.to_string(),
        ),
        ("KOTAPINTAR_CHANNEL_DAILY_CAP", "100000000".to_string()),
    ];
    let (server, ready) = start_ready(bin, url, dir, &data.settings, a.concurrency, &chat).await?;
    let (base, client) = (server.base.clone(), ready.client.clone());

    if let Some(path) = &a.serve_codes_to {
        std::fs::write(path, data.codes.join("\n"))?;
        println!("serving {base} until interrupted; codes in {path}");
        let _ = tokio::signal::ctrl_c().await;
        server.stop().await?;
        return Ok(None);
    }

    let mut phases = Vec::new();
    if a.runs("ceiling") {
        phases.push(crate::ceiling::measure(&client, a.concurrency, a.seconds).await?);
    }
    read_phases(a, &server, &client, &data, &mut phases).await;
    dashboard_phases(a, &server, &client, &data, &mut phases).await;
    if a.runs("intake") {
        phases.push(intake(&client, &base, a.concurrency, a.seconds).await?);
        mark_phase(&server, &mut phases);
    }
    if a.runs("channel-webhook") {
        let rate = a.channel_rate;
        phases.push(crate::channel::webhook_ack(&client, &base, rate, a.seconds).await);
        mark_phase(&server, &mut phases);
    }
    let store = Store::connect(&data.settings.database_url, OpenMode::MustExist).await?;
    let unit = kotapintar_storage::units::find_by_code(&store.reader, &data.unit_codes[0])
        .await?
        .ok_or_else(|| anyhow::anyhow!("the first unit is missing"))?;
    if a.runs("event-feed") {
        phases.push(event_feed(&store, &client, &base, &data.tokens[0], unit.id).await?);
        mark_phase(&server, &mut phases);
    }
    let server_memory = server.memory();
    println!(
        "server memory: peak under load {:.0} MiB resident, {:.0} MiB of it heap and stacks at most (at start-up {:.0} MiB; now {:.0} MiB: {:.0} MiB heap and stacks, {:.0} MiB mapped files)",
        server_memory.peak_kib as f64 / 1024.0,
        server_memory.anon_peak_kib as f64 / 1024.0,
        ready.startup_memory.peak_kib as f64 / 1024.0,
        server_memory.rss_kib as f64 / 1024.0,
        server_memory.anon_kib as f64 / 1024.0,
        server_memory.file_kib as f64 / 1024.0
    );
    server.stop().await?;
    if a.runs("webhooks") {
        phases.push(webhooks(&store, &data.settings, &data.tokens[0]).await?);
    }
    let (_, requests_stored_after) =
        kotapintar_storage::requests::public_list(&store, &Default::default(), 0, 1).await?;
    store.close().await;
    Ok(Some(Run {
        backend: backend_name(backend),
        requests: data.requests,
        content_items: data.content,
        generate_requests_seconds: data.request_seconds,
        generate_content_seconds: data.content_seconds,
        search_ready_seconds: ready.search_ready_seconds,
        startup_memory: ready.startup_memory,
        index_build_peak_mib: ready.index_build_peak_mib,
        server_memory,
        requests_stored_after,
        phases,
    }))
}

/// The generated (or reused) data, and what the phases need of it.
pub struct Data {
    pub settings: Settings,
    /// Public tracking codes, and the units' slugs and codes.
    pub codes: Arc<Vec<String>>,
    pub slugs: Arc<Vec<String>>,
    pub unit_codes: Vec<String>,
    /// Bearer tokens of eight applications of the first unit (read scopes).
    pub tokens: Arc<Vec<String>>,
    pub requests: u64,
    pub content: u64,
    pub request_seconds: f64,
    pub content_seconds: f64,
}

/// Prepares the database (schema, areas) and generates the data, or reuses what an earlier
/// run generated (`--reuse`); makes the API clients. Closes its connections at the end.
pub async fn prepare_data(
    a: &Args,
    backend: Backend,
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Data> {
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
    store.close().await;
    Ok(Data {
        settings,
        codes: Arc::new(seeded.codes),
        slugs: Arc::new(seeded.unit_slugs),
        unit_codes: seeded.unit_codes,
        tokens: Arc::new(tokens),
        requests: seeded.requests,
        content: seeded.content,
        request_seconds: seeded.request_seconds,
        content_seconds: seeded.content_seconds,
    })
}

/// The server once its search index has caught up, and what its start cost.
pub struct Ready {
    pub client: reqwest::Client,
    pub search_ready_seconds: f64,
    pub startup_memory: Memory,
    pub index_build_peak_mib: Option<u64>,
}

/// Starts the server (with `env` added to its environment) and waits until its search index
/// holds every event: a new node builds it from the database first, and the measuring begins
/// after that, with the peak memory started afresh.
pub async fn start_ready(
    bin: &std::path::Path,
    url: &str,
    dir: &std::path::Path,
    settings: &Settings,
    concurrency: usize,
    env: &[(&str, String)],
) -> anyhow::Result<(Server, Ready)> {
    let server = Server::start(bin, url, dir, env).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let store = Store::connect(&settings.database_url, OpenMode::MustExist).await?;
    let head = kotapintar_storage::events::head(&store.reader).await?;
    store.close().await;
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
    Ok((
        server,
        Ready {
            client,
            search_ready_seconds,
            startup_memory,
            index_build_peak_mib,
        },
    ))
}

/// The public request page: a different request each time (nothing is ever read twice, so
/// nothing kept helps), and the hundred popular ones (what the page cache is for).
async fn request_pages(
    a: &Args,
    server: &Server,
    client: &reqwest::Client,
    data: &Data,
    phases: &mut Vec<Phase>,
) {
    let (base, codes) = (&server.base, &data.codes);
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
        mark_phase(server, phases);
    }
    if a.runs("request-page-hot") && !codes.is_empty() {
        // the pages people actually read: a hundred requests in the news, each read again
        // and again (the phase above reads each page about once, so nothing is kept for it)
        let (c, b, codes) = (client.clone(), base.clone(), codes.clone());
        phases.push(
            load(
                "request-page-hot",
                "public request page /laporan/{code}, 100 popular requests",
                n,
                s,
                move |i| {
                    let (c, b, codes) = (c.clone(), b.clone(), codes.clone());
                    async move {
                        let code = &codes[(i % codes.len().min(100) as u64) as usize];
                        fetched(c.get(format!("{b}/laporan/{code}"))).await
                    }
                },
            )
            .await,
        );
        mark_phase(server, phases);
    }
}

/// The public pages and the API reads, each a phase of `--concurrency` clients.
async fn read_phases(
    a: &Args,
    server: &Server,
    client: &reqwest::Client,
    data: &Data,
    phases: &mut Vec<Phase>,
) {
    let (base, tokens) = (&server.base, &data.tokens);
    let (n, s) = (a.concurrency, a.seconds);
    request_pages(a, server, client, data, phases).await;
    if a.runs("home") {
        let (c, b) = (client.clone(), base.clone());
        phases.push(
            load("home", "home page /", n, s, move |_| {
                let (c, b) = (c.clone(), b.clone());
                async move { fetched(c.get(format!("{b}/"))).await }
            })
            .await,
        );
        mark_phase(server, phases);
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
        mark_phase(server, phases);
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
        mark_phase(server, phases);
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
        mark_phase(server, phases);
    }
}

/// The dashboard pages, with fewer clients: a regency's leaders, not the public.
async fn dashboard_phases(
    a: &Args,
    server: &Server,
    client: &reqwest::Client,
    data: &Data,
    phases: &mut Vec<Phase>,
) {
    let (base, slugs) = (&server.base, &data.slugs);
    let s = a.seconds;
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
        mark_phase(server, phases);
    }
}
