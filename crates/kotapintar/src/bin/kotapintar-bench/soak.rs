//! The soak (`--soak MINUTES`): the server under a steady mixed load for a long time, to see
//! whether it holds up: resident memory flat after warm-up, no error answers, file descriptors
//! and database connections stable. Each backend gets its own server, data directory and
//! database, and the backends run at the same time (their clients share the machine).
//!
//! The load, paced at `--soak-rate` requests a second over `--concurrency` clients: residents
//! filing through `/lapor`, an application filing through the API, public request pages, the
//! home page, search, the Open311 list, API reads (list, one request, the event feed), a
//! dashboard, and an application's comments on requests its unit handles, each of which the
//! server's own job worker delivers as a webhook to a receiver this process runs.
//!
//! Every 10 s: the server's VmRSS and RssAnon (/proc/PID/status), its open file descriptors
//! (/proc/PID/fd; on SQLite they include the database's files) and, on PostgreSQL, the
//! connections to the bench's database (pg_stat_activity). Written as CSV and drawn as SVG
//! (chart.rs) in `--soak-out` (default `bench/`).

use crate::backend::{prepare_data, start_ready, Data};
use crate::chart::{self, Sample};
use crate::phases::{csrf_token, lapor};
use crate::{backend_name, create_pg, drop_pg, Args};
use kotapintar_storage::{Backend, OpenMode, Store};
use sea_orm::ConnectionTrait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a client sends, in the proportions of `MIX`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Lapor,
    ApiIntake,
    RequestPage,
    Home,
    Search,
    Open311,
    ApiList,
    ApiGet,
    ApiEvents,
    ApiStep,
    Kinerja,
}

const KINDS: [Kind; 11] = [
    Kind::Lapor,
    Kind::ApiIntake,
    Kind::RequestPage,
    Kind::Home,
    Kind::Search,
    Kind::Open311,
    Kind::ApiList,
    Kind::ApiGet,
    Kind::ApiEvents,
    Kind::ApiStep,
    Kind::Kinerja,
];

/// Twenty requests: a fifth of them filings, the rest reads, and one staff step.
const MIX: [Kind; 20] = [
    Kind::Lapor,
    Kind::RequestPage,
    Kind::Search,
    Kind::Home,
    Kind::ApiList,
    Kind::Lapor,
    Kind::RequestPage,
    Kind::ApiStep,
    Kind::Search,
    Kind::ApiIntake,
    Kind::RequestPage,
    Kind::Open311,
    Kind::Lapor,
    Kind::ApiGet,
    Kind::Search,
    Kind::RequestPage,
    Kind::ApiEvents,
    Kind::Home,
    Kind::Kinerja,
    Kind::ApiIntake,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Lapor => "filing through /lapor (303)",
            Kind::ApiIntake => "filing through POST /api/v1/requests (201)",
            Kind::RequestPage => "public request page /laporan/{code}",
            Kind::Home => "home page /",
            Kind::Search => "search /cari",
            Kind::Open311 => "Open311 requests.json",
            Kind::ApiList => "API request list",
            Kind::ApiGet => "API one request",
            Kind::ApiEvents => "API event feed",
            Kind::ApiStep => "API comment step (webhook follows)",
            Kind::Kinerja => "dashboard /kinerja/{unit}",
        }
    }

    /// The one answer that is right: anything else (a 5xx, or a 4xx, since every request the
    /// soak sends is valid) is counted as an error.
    fn expected(self) -> u16 {
        match self {
            Kind::Lapor => 303,
            Kind::ApiIntake => 201,
            _ => 200,
        }
    }

    fn index(self) -> usize {
        KINDS.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Answers counted per kind, and the first few errors described.
#[derive(Default)]
struct Counts {
    ok: [AtomicU64; 11],
    errors: [AtomicU64; 11],
    first_errors: Mutex<Vec<String>>,
}

impl Counts {
    fn total(&self, which: &[AtomicU64; 11]) -> u64 {
        which.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    fn note(&self, kind: Kind, outcome: Result<u16, String>) {
        let i = kind.index();
        match outcome {
            Ok(s) if s == kind.expected() => {
                self.ok[i].fetch_add(1, Ordering::Relaxed);
            }
            other => {
                self.errors[i].fetch_add(1, Ordering::Relaxed);
                let what = match other {
                    Ok(s) => format!("{}: answered {s}", kind.name()),
                    Err(e) => format!("{}: {e}", kind.name()),
                };
                if let Ok(mut first) = self.first_errors.lock() {
                    if first.len() < 20 {
                        first.push(what);
                    }
                }
            }
        }
    }
}

/// One backend's soak, summarised.
pub struct SoakRun {
    pub backend: &'static str,
    pub samples: Vec<Sample>,
    served: Vec<(&'static str, u64, u64)>,
    errors: u64,
    first_errors: Vec<String>,
    webhooks_received: u64,
    steps_acknowledged: u64,
    requests_before: u64,
    requests_after: u64,
}

/// Runs the soak on every backend at once, then writes the CSV and the chart and prints the
/// summary.
pub async fn run(a: &Args, bin: &std::path::Path, minutes: f64) -> anyhow::Result<()> {
    // one or two backends, side by side
    let done = match a.backends.as_slice() {
        [one] => vec![one_backend(a, *one, bin, minutes).await?],
        [first, second, ..] => {
            let (x, y) = tokio::join!(
                one_backend(a, *first, bin, minutes),
                one_backend(a, *second, bin, minutes)
            );
            vec![x?, y?]
        }
        [] => Vec::new(),
    };
    let out = std::path::Path::new(&a.soak_out);
    std::fs::create_dir_all(out)?;
    let csv = out.join("soak-memory.csv");
    let all = chart::merge_csv(&csv, &done)?;
    let svg = out.join("soak-memory.svg");
    std::fs::write(&svg, chart::svg(&all, minutes))?;
    println!("samples in {}, chart in {}", csv.display(), svg.display());
    print_summary(a, minutes, &done);
    Ok(())
}

/// A fresh database and directory for one backend, dropped afterwards.
async fn one_backend(
    a: &Args,
    backend: Backend,
    bin: &std::path::Path,
    minutes: f64,
) -> anyhow::Result<SoakRun> {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().to_path_buf();
    let (url, pg_name) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.join("bench.db").display()), None),
        Backend::Postgres => {
            let (url, name) = create_pg(&a.postgres_url).await?;
            (url, Some(name))
        }
    };
    let run = soak_backend(a, backend, bin, &url, &dir, pg_name.as_deref(), minutes).await;
    if let Some(name) = pg_name {
        drop_pg(&a.postgres_url, &name).await;
    }
    run
}

/// What the soak's clients need besides the generated data.
struct Extra {
    /// A token that may file requests and take steps for the first unit.
    writer_token: String,
    /// Requests in progress at the first unit: the comment steps go to them.
    open_codes: Arc<Vec<String>>,
    /// Webhook deliveries the receiver has had.
    received: Arc<AtomicU64>,
}

/// An application of the first unit allowed to write, subscribed to its unit's events with a
/// receiver in this process that counts what arrives.
async fn extra(data: &Data) -> anyhow::Result<Extra> {
    use kotapintar_storage::entity::{request, request_unit};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    let store = Store::connect(&data.settings.database_url, OpenMode::MustExist).await?;
    let actor = kotapintar_storage::audit::AuditActor::System("bench".into());
    let writer_token = kotapintar_storage::clients::create(
        &store,
        &actor,
        &format!("bench-soak-{}", chrono::Utc::now().timestamp_millis()),
        &data.unit_codes[0],
        "requests:read requests:write events:read",
        100_000,
    )
    .await?
    .token;
    let client = kotapintar_storage::clients::authenticate(&store, &writer_token)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the soak's client"))?;
    kotapintar_storage::webhooks::subscribe(&store, &actor, &client, &hook, &[]).await?;
    let held = request_unit::Entity::find()
        .select_only()
        .column(request_unit::Column::RequestId)
        .filter(request_unit::Column::UnitId.eq(client.unit_id.0))
        .filter(request_unit::Column::Active.eq(true))
        .into_query();
    let open_codes: Vec<String> = request::Entity::find()
        .select_only()
        .column(request::Column::TrackingCode)
        .filter(request::Column::Id.in_subquery(held))
        .filter(request::Column::Status.eq("ditindaklanjuti"))
        .limit(500)
        .into_tuple()
        .all(&store.reader)
        .await?;
    store.close().await;
    anyhow::ensure!(
        !open_codes.is_empty(),
        "the first unit holds no request in progress to comment on: generate more requests"
    );
    Ok(Extra {
        writer_token,
        open_codes: Arc::new(open_codes),
        received,
    })
}

/// How many requests are stored: before and after, to see the filings landed.
async fn stored_requests(data: &Data) -> anyhow::Result<u64> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let store = Store::connect(&data.settings.database_url, OpenMode::MustExist).await?;
    let n = kotapintar_storage::entity::request::Entity::find()
        .count(&store.reader)
        .await?;
    store.close().await;
    Ok(n)
}

async fn soak_backend(
    a: &Args,
    backend: Backend,
    bin: &std::path::Path,
    url: &str,
    dir: &std::path::Path,
    pg_name: Option<&str>,
    minutes: f64,
) -> anyhow::Result<SoakRun> {
    let data = prepare_data(a, backend, url, dir).await?;
    let extra = extra(&data).await?;
    let requests_before = stored_requests(&data).await?;
    // the job worker on, so that webhooks go out as they do in production
    let env = [
        ("KOTAPINTAR_WORKER", "true".to_string()),
        ("KOTAPINTAR_WEBHOOK_ALLOW_PRIVATE", "true".to_string()),
    ];
    let (server, ready) = start_ready(bin, url, dir, &data.settings, a.concurrency, &env).await?;
    let name = backend_name(backend);
    println!(
        "{name}: soak of {minutes} min at {} requests/s over {} clients",
        a.soak_rate, a.concurrency
    );
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(minutes * 60.0);
    let sampler = tokio::spawn(sample_until(
        server.pid(),
        pg_name.map(|n| (a.postgres_url.clone(), n.to_string())),
        counts.clone(),
        started,
        deadline,
        name,
    ));
    let csrf = csrf_token(&ready.client, &server.base).await?;
    let clients = Arc::new(Clients {
        http: ready.client.clone(),
        base: server.base.clone(),
        csrf,
        codes: data.codes.clone(),
        slugs: data.slugs.clone(),
        tokens: data.tokens.clone(),
        writer_token: extra.writer_token.clone(),
        open_codes: extra.open_codes.clone(),
        counts: counts.clone(),
        next: AtomicU64::new(0),
    });
    clients.run(a.concurrency, a.soak_rate, deadline).await;
    let samples = sampler.await.unwrap_or_default();
    // the worker delivers what the last steps caused: wait for it a little
    let steps_acknowledged = counts.ok[Kind::ApiStep.index()].load(Ordering::Relaxed);
    let t = Instant::now();
    while extra.received.load(Ordering::Relaxed) < steps_acknowledged
        && t.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    server.stop().await?;
    let requests_after = stored_requests(&data).await?;
    let first_errors = counts
        .first_errors
        .lock()
        .map(|f| f.clone())
        .unwrap_or_default();
    Ok(SoakRun {
        backend: name,
        samples,
        served: KINDS
            .iter()
            .map(|k| {
                (
                    k.name(),
                    counts.ok[k.index()].load(Ordering::Relaxed),
                    counts.errors[k.index()].load(Ordering::Relaxed),
                )
            })
            .collect(),
        errors: counts.total(&counts.errors),
        first_errors,
        webhooks_received: extra.received.load(Ordering::Relaxed),
        steps_acknowledged,
        requests_before,
        requests_after,
    })
}

/// Samples the server every 10 s from the start to the deadline (both included).
async fn sample_until(
    pid: u32,
    pg: Option<(String, String)>,
    counts: Arc<Counts>,
    started: Instant,
    deadline: Instant,
    backend: &'static str,
) -> Vec<Sample> {
    // one connection to the administrative database, not the bench's: it is not counted
    let admin = match &pg {
        Some((url, _)) => sea_orm::Database::connect(url.as_str()).await.ok(),
        None => None,
    };
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        let now = Instant::now();
        let db_connections = match (&admin, &pg) {
            (Some(conn), Some((_, name))) => connections(conn, name).await,
            _ => None,
        };
        let status = |f: &str| kotapintar::telemetry::proc_status_kib(&pid.to_string(), f);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| d.count() as u64)
            .unwrap_or(0);
        samples.push(Sample {
            backend: backend.to_string(),
            t_s: now.duration_since(started).as_secs_f64(),
            rss_kib: status("VmRSS:").unwrap_or(0),
            anon_kib: status("RssAnon:").unwrap_or(0),
            fds,
            db_connections,
            served: counts.total(&counts.ok),
            errors: counts.total(&counts.errors),
        });
        if now >= deadline {
            break;
        }
    }
    if let Some(conn) = admin {
        let _ = conn.close().await;
    }
    samples
}

/// Connections to the bench's database, the server's pool and anyone else's.
async fn connections(conn: &sea_orm::DatabaseConnection, name: &str) -> Option<u64> {
    let row = conn
        .query_one(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1",
            [name.into()],
        ))
        .await
        .ok()??;
    row.try_get::<i64>("", "n").ok().map(|n| n as u64)
}

/// The soak's clients: each sends the next request of the mix at its share of the pace.
struct Clients {
    http: reqwest::Client,
    base: String,
    csrf: String,
    codes: Arc<Vec<String>>,
    slugs: Arc<Vec<String>>,
    tokens: Arc<Vec<String>>,
    writer_token: String,
    open_codes: Arc<Vec<String>>,
    counts: Arc<Counts>,
    /// The next request's number: its place in the mix, its code, its query.
    next: AtomicU64,
}

impl Clients {
    async fn run(self: Arc<Self>, clients: usize, rate: f64, deadline: Instant) {
        let every = Duration::from_secs_f64(clients as f64 / rate);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let me = self.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if Instant::now() >= deadline {
                        break;
                    }
                    let n = me.next.fetch_add(1, Ordering::Relaxed);
                    let kind = MIX[(n % MIX.len() as u64) as usize];
                    let outcome = me.send(kind, n).await;
                    me.counts.note(kind, outcome);
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Sends one request of `kind` and reads its whole answer; its status, or why none came.
    async fn send(&self, kind: Kind, n: u64) -> Result<u16, String> {
        let (c, b) = (&self.http, &self.base);
        let pick =
            |v: &[String]| v[(n.wrapping_mul(7919) % v.len().max(1) as u64) as usize].clone();
        let tokens = &self.tokens;
        let reader = &tokens[(n % tokens.len() as u64) as usize];
        let writer = &self.writer_token;
        let req = match kind {
            Kind::Lapor => lapor(c, b, &self.csrf, n),
            Kind::ApiIntake => c
                .post(format!("{b}/api/v1/requests"))
                .bearer_auth(writer)
                .json(&serde_json::json!({
                    "kind": "pengaduan",
                    "title": format!("Lampu jalan mati {n}"),
                    "description": "Warga menelepon: lampu jalan di depan balai banjar mati.",
                    "district_code": "51.03.01",
                    "contact": { "name": "Penelpon", "phone": "081234500000" }
                })),
            Kind::RequestPage => c.get(format!("{b}/laporan/{}", pick(&self.codes))),
            Kind::Home => c.get(format!("{b}/")),
            Kind::Search => {
                const Q: [&str; 4] = ["lampu", "perbaikan jalan", "sampah", "penerangn"];
                c.get(format!("{b}/cari"))
                    .query(&[("q", Q[(n % Q.len() as u64) as usize])])
            }
            Kind::Open311 => c
                .get(format!("{b}/open311/v2/requests.json"))
                .header("accept-encoding", "gzip"),
            Kind::ApiList => c
                .get(format!("{b}/api/v1/requests?page={}", n % 20))
                .bearer_auth(reader),
            Kind::ApiGet => c
                .get(format!("{b}/api/v1/requests/{}", pick(&self.open_codes)))
                .bearer_auth(reader),
            Kind::ApiEvents => c
                .get(format!("{b}/api/v1/events?limit=100"))
                .bearer_auth(reader),
            Kind::ApiStep => c
                .post(format!(
                    "{b}/api/v1/requests/{}/steps",
                    pick(&self.open_codes)
                ))
                .bearer_auth(writer)
                .json(&serde_json::json!({
                    "action": "comment",
                    "note": format!("Petugas sudah meninjau lokasi ({n})."),
                })),
            Kind::Kinerja => c.get(format!("{b}/kinerja/{}", pick(&self.slugs))),
        };
        let r = req.send().await.map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        r.bytes().await.map_err(|e| e.to_string())?;
        Ok(status)
    }
}

fn print_summary(a: &Args, minutes: f64, runs: &[SoakRun]) {
    println!();
    println!(
        "kotapintar-bench --soak {minutes}, {}; {} requests and {} content items generated; {} requests/s over {} clients on each backend, backends at once",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        a.requests,
        a.content,
        a.soak_rate,
        a.concurrency
    );
    println!("machine: {}", crate::table::machine());
    println!();
    let header: Vec<&str> = runs.iter().map(|r| r.backend).collect();
    println!("| | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(runs.len()));
    let row = |label: &str, f: &dyn Fn(&SoakRun) -> String| {
        let cells: Vec<String> = runs.iter().map(f).collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    for line in chart::summary_rows() {
        row(line.label, &|r| {
            (line.cell)(&chart::Summary::of(&r.samples))
        });
    }
    row("error answers (5xx, unexpected 4xx, no answer)", &|r| {
        format!("**{}**", r.errors)
    });
    row("requests stored before / after", &|r| {
        format!("{} / {}", r.requests_before, r.requests_after)
    });
    row(
        "webhook deliveries received / comment steps acknowledged",
        &|r| format!("{} / {}", r.webhooks_received, r.steps_acknowledged),
    );
    for (i, k) in KINDS.iter().enumerate() {
        row(k.name(), &|r| {
            let (_, ok, err) = r.served[i];
            if err > 0 {
                format!("{ok} (**{err} errors**)")
            } else {
                ok.to_string()
            }
        });
    }
    println!();
    for r in runs {
        for e in &r.first_errors {
            println!("{}: {e}", r.backend);
        }
    }
}
