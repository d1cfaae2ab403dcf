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
//! Every read phase is also given as a fraction of the ceiling, a minimal axum page measured
//! in the same run (`ceiling.rs`).
//!
//! Defaults: SQLite, 100,000 requests, 10,000 content items, 10 s per phase, 32 clients.
//! `--full` is the scale: 1,000,000 requests and 100,000 content items.
//!
//! `--soak MINUTES [--soak-rate R] [--soak-out DIR]` runs no phases: mixed load at R requests a
//! second (default 50) for MINUTES on each backend at once, sampling the server's memory, file
//! descriptors and database connections every 10 s (soak.rs); 20,000 requests, 2,000
//! content items and 8 clients unless told otherwise.
//!
//! `--routing N[,N...]` runs no server: the routing suggestions' accuracy, training time and
//! memory, and suggestion latency over generated histories of N requests (routing.rs).

mod backend;
mod ceiling;
mod channel;
mod chart;
mod phases;
mod routing;
mod seed;
mod server;
mod soak;
mod table;

use backend::run_backend;
use kotapintar_storage::Backend;
use sea_orm::ConnectionTrait;
use table::{json, print_table};

// the server's allocator, for the ceiling server (`ceiling.rs`) that runs as this binary
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// `--soak MINUTES`: mixed load for that long instead of the phases (see soak.rs).
    soak_minutes: Option<f64>,
    /// The soak's pace, requests per second on each backend, and where its CSV and chart go.
    soak_rate: f64,
    soak_out: String,
    /// `--routing N,...`: measure the routing suggestions at these sizes instead.
    routing: Vec<u64>,
    /// `--channel-rate R`: chat webhooks arriving per second in the `channel-webhook` phase.
    channel_rate: u64,
}

const PHASES: [&str; 14] = [
    "ceiling",
    "request-page",
    "request-page-hot",
    "home",
    "search",
    "open311-list",
    "api-request-list",
    "kinerja",
    "kinerja-unit",
    "kinerja-uncached",
    "intake",
    "channel-webhook",
    "event-feed",
    "webhooks",
];

fn usage() -> ! {
    eprintln!(
        "usage: kotapintar-bench [--backend sqlite|postgres|both] [--requests N] [--content N] [--full]\n\
         \x20      [--seconds S] [--concurrency C] [--json FILE] [--only PHASE,...] [--postgres-url URL]\n\
         \x20      [--database-url URL [--reuse]] [--data-dir DIR] [--server-bin PATH] [--serve CODES_FILE] [--dashboard]\n\
         \x20      [--soak MINUTES [--soak-rate PER_SECOND] [--soak-out DIR]] [--routing N,...] [--channel-rate PER_SECOND]\n\
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
        soak_minutes: None,
        soak_rate: 50.0,
        soak_out: "bench".into(),
        routing: Vec::new(),
        channel_rate: 1000,
    };
    let (mut sized, mut clients_set) = (false, false);
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
            "--requests" => {
                a.requests = number(&v);
                sized = true;
            }
            "--dashboard-requests" => {
                a.requests = number(&v);
                a.content = 0;
                a.only = vec!["kinerja".into()];
            }
            "--content" => {
                a.content = number(&v);
                sized = true;
            }
            "--seconds" => a.seconds = number(&v),
            "--concurrency" => {
                a.concurrency = number(&v).max(1) as usize;
                clients_set = true;
            }
            "--dashboard-concurrency" => a.dashboard_concurrency = number(&v).max(1) as usize,
            "--json" => a.json = Some(v),
            "--only" => a.only = v.split(',').map(|s| s.trim().to_string()).collect(),
            "--postgres-url" => a.postgres_url = v,
            "--database-url" => a.database_url = Some(v),
            "--server-bin" => a.server_bin = Some(v),
            "--data-dir" => a.data_dir = Some(v),
            "--serve" => a.serve_codes_to = Some(v),
            "--soak" => a.soak_minutes = Some(v.parse::<f64>().unwrap_or_else(|_| usage())),
            "--soak-rate" => a.soak_rate = number(&v).max(1) as f64,
            "--soak-out" => a.soak_out = v,
            "--channel-rate" => a.channel_rate = number(&v).max(1),
            "--routing" => a.routing = v.split(',').map(|n| number(n.trim())).collect(),
            _ => usage(),
        }
    }
    // A soak is about time, not size: a modest regency, unless told otherwise.
    if a.soak_minutes.is_some() && !sized {
        (a.requests, a.content) = (20_000, 2_000);
    }
    if a.soak_minutes.is_some() && !clients_set {
        a.concurrency = 8;
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

pub fn backend_name(b: Backend) -> &'static str {
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

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--ceiling-server") {
        return ceiling::serve();
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    let a = args();
    if !a.routing.is_empty() {
        return routing::run(&a.routing).map_err(|e| anyhow::anyhow!(e));
    }
    let bin = match &a.server_bin {
        Some(p) => p.into(),
        None => server::default_binary()?,
    };
    if let Some(minutes) = a.soak_minutes {
        return soak::run(&a, &bin, minutes).await;
    }
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
