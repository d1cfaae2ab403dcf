//! Crash safety and backups, with the `kotapintar` binary run as operators run it.
//!
//! - Many residents file requests at once through the public form while `kotapintar serve`
//!   is killed with SIGKILL, several times. Every request whose tracking code was answered
//!   must be in the database, intact, with everything its transaction wrote; the database
//!   must pass its integrity check; the restarted server must serve it.
//! - `kotapintar backup` copies a running SQLite deployment under the same load, and the copy,
//!   restored as the README says, serves again.
//!
//! Integrity checks: SQLite's `PRAGMA integrity_check` and `PRAGMA foreign_key_check`;
//! PostgreSQL's `amcheck` extension (every B-tree index checked against its table with
//! `bt_index_check(index, heapallindexed => true)`, every table's pages with `verify_heapam`).
//! On both, the application's own invariants: each request has its timeline entry, its
//! `request.created` event and its performance facts, the event head matches the last event,
//! and the audit hash chain verifies.

use crate::harness::{jpeg_with_gps, TestDb, ADMIN_PASSWORD};
use kotapintar_storage::entity::request_photo;
use kotapintar_storage::entity::{event, events_head, job, request, request_event, request_fact};
use kotapintar_storage::{Backend, DatabaseUrl, OpenMode, Store};
use rand::Rng;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

macro_rules! crash_tests {
    ($($name:ident),* $(,)?) => {
        mod crash_sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(kotapintar_storage::Backend::Sqlite).await }
        )* }
        mod crash_postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(kotapintar_storage::Backend::Postgres).await }
        )* }
    };
}

crash_tests!(
    every_answered_request_survives_sigkill_under_load,
    a_new_node_builds_its_search_index_in_a_child_process,
);

const ROUNDS: usize = 3;
const CLIENTS: usize = 16;
/// Requests answered in a round before the kill, so it lands in the middle of the load.
const ANSWERED_BEFORE_KILL: usize = 40;

fn kotapintar(dir: &Path, db_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kotapintar"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KOTAPINTAR_DATABASE_URL", db_url)
        .env("KOTAPINTAR_LOG", "warn")
        .output()
        .expect("run kotapintar")
}

/// `kotapintar serve` as a child process in `dir` (its data directory is `dir/data`). Killed
/// with SIGKILL when dropped, so a failing test leaves nothing running.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the server and waits until it answers. `db_url`: `None` uses the default,
    /// `sqlite://data/kotapintar.db`, as a restored deployment does.
    async fn start(dir: &Path, db_url: Option<&str>) -> Self {
        Self::start_logging(dir, db_url, "warn").await
    }

    /// `start`, with the server's log at `level` (`KOTAPINTAR_LOG`).
    async fn start_logging(dir: &Path, db_url: Option<&str>, level: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("serve-{port}.log"));
        // Email and WhatsApp/SMS go to a port where nothing listens: the worker runs (as in
        // production, writing beside the intake), its notification jobs fail and stay queued,
        // where the checks find them. (Without a configuration they would be dropped.)
        let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.join("kotapintar.toml"),
            format!(
                "[smtp]\nhost = \"127.0.0.1\"\nport = {nowhere}\nfrom = \"kotapintar <noreply@badungkab.go.id>\"\n\n\
                 [message_gateway]\nurl = \"http://127.0.0.1:{nowhere}/kirim\"\n"
            ),
        )
        .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotapintar"));
        cmd.arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KOTAPINTAR_LISTEN", format!("127.0.0.1:{port}"))
            .env("KOTAPINTAR_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("KOTAPINTAR_LOG", level)
            // the load comes from one address and posts forms at once
            .env("KOTAPINTAR_RATE_LIMIT_READS_PER_MINUTE", "0")
            .env("KOTAPINTAR_RATE_LIMIT_FILINGS_PER_HOUR", "0")
            .env("KOTAPINTAR_MESSAGES_PER_PHONE_PER_DAY", "0")
            .env("KOTAPINTAR_FORM_MIN_FILL_SECONDS", "0")
            .stdout(Stdio::null())
            // a file, not a pipe: nobody reads a pipe while the server runs, and a full one
            // would stall the server's logging
            .stderr(std::fs::File::create(&log).unwrap());
        if let Some(url) = db_url {
            cmd.env("KOTAPINTAR_DATABASE_URL", url);
        }
        let mut child = cmd.spawn().expect("start kotapintar serve");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{base}/lapor")).send().await {
                assert_eq!(r.status(), 200);
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "kotapintar serve exited with {status}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "kotapintar serve did not come up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base, log }
    }

    /// SIGKILL: no graceful shutdown, nothing flushed.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let status = self.child.wait().unwrap();
        assert!(
            !status.success(),
            "the server was killed, it did not exit: {status}; {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request as sent through the form, and what the server answered.
#[derive(Debug, Clone)]
struct Sent {
    code: String,
    token: String,
    title: String,
    description: String,
    name: String,
    email: String,
    phone: String,
    photo: bool,
}

/// Residents filing requests until told to stop: each its own browser (cookie and CSRF
/// token), keep-alive connections, one request in flight each.
struct Load {
    stop: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<Sent>>>,
    unexpected: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(base: &str, clients: usize, round: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let unexpected = Arc::new(Mutex::new(Vec::new()));
        let photo = Arc::new(jpeg_with_gps(64, 48));
        let tasks = (0..clients)
            .map(|k| {
                let (base, stop, answered, unexpected, photo) = (
                    base.to_string(),
                    stop.clone(),
                    answered.clone(),
                    unexpected.clone(),
                    photo.clone(),
                );
                tokio::spawn(async move {
                    resident(base, round, k, stop, answered, unexpected, photo).await
                })
            })
            .collect();
        Self {
            stop,
            answered,
            unexpected,
            tasks,
        }
    }

    fn answered(&self) -> usize {
        self.answered.lock().unwrap().len()
    }

    async fn wait_for_answers(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.answered() < n {
            assert!(
                Instant::now() < deadline,
                "only {} requests answered in 30 s; unexpected answers: {:?}",
                self.answered(),
                self.unexpected.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the residents and returns what was answered.
    async fn finish(self) -> Vec<Sent> {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            t.await.unwrap();
        }
        let unexpected = self.unexpected.lock().unwrap().clone();
        assert!(
            unexpected.is_empty(),
            "answers other than 303: {unexpected:?}"
        );
        let answered = self.answered.lock().unwrap().clone();
        answered
    }
}

async fn resident(
    base: String,
    round: usize,
    k: usize,
    stop: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<Sent>>>,
    unexpected: Arc<Mutex<Vec<String>>>,
    photo: Arc<Vec<u8>>,
) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let first = client.get(format!("{base}/lapor")).send().await.unwrap();
    let csrf = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("kp_csrf=")
                .map(|r| r.split(';').next().unwrap_or("").to_string())
        })
        .expect("CSRF cookie");
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let sent = Sent {
            code: String::new(),
            token: String::new(),
            title: format!("Uji ketahanan putaran {round} warga {k} laporan {i}"),
            // one word no other request has, to find it by search: r1k3n7
            description: format!(
                "Lampu jalan di gang {k} padam sejak malam ke-{i}; mohon diperbaiki. Tanda uji r{round}k{k}n{i}."
            ),
            // no word of the name is in the title: the public text masks every part of it
            name: format!("Nyoman Sentosa {round}-{k}-{i}"),
            email: format!("warga.{round}.{k}.{i}@contoh.id"),
            phone: format!("0812-{round}{k:02}-{i:04}"),
            photo: i % 4 == 0,
        };
        let mut form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("kind", "pengaduan")
            .text("title", sent.title.clone())
            .text("description", sent.description.clone())
            .text("name", sent.name.clone())
            .text("email", sent.email.clone())
            .text("phone", sent.phone.clone())
            .text("confirm_new", "1");
        if sent.photo {
            form = form.part(
                "photos",
                reqwest::multipart::Part::bytes(photo.to_vec()).file_name("lampu.jpg"),
            );
        }
        let res = client
            .post(format!("{base}/lapor"))
            .header("cookie", format!("kp_csrf={csrf}"))
            .multipart(form)
            .send()
            .await;
        match res {
            Ok(r) if r.status() == 303 => {
                // /laporan/{code}/ikuti/{token}?...
                let loc = r.headers()["location"].to_str().unwrap().to_string();
                let rest = loc.strip_prefix("/laporan/").unwrap();
                let (code, rest) = rest.split_once("/ikuti/").unwrap();
                let token = rest.split('?').next().unwrap();
                answered.lock().unwrap().push(Sent {
                    code: code.to_string(),
                    token: token.to_string(),
                    ..sent
                });
            }
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                unexpected.lock().unwrap().push(format!(
                    "{status}: {}",
                    body.chars().take(300).collect::<String>()
                ));
            }
            // the server is gone (killed): a request in flight got no answer, which is allowed
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

async fn open(url: &str) -> Store {
    Store::connect(&DatabaseUrl::parse(url).unwrap(), OpenMode::MustExist)
        .await
        .unwrap()
}

async fn query_strings(store: &Store, sql: &str) -> Vec<String> {
    let backend = store.reader.get_database_backend();
    store
        .reader
        .query_all(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| {
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap_or_default()
        })
        .collect()
}

/// The database's own integrity check; panics with what it found.
async fn integrity_check(store: &Store) {
    match store.backend() {
        Backend::Sqlite => {
            assert_eq!(
                query_strings(store, "PRAGMA integrity_check").await,
                vec!["ok".to_string()]
            );
            assert_eq!(
                query_strings(store, "PRAGMA foreign_key_check").await,
                Vec::<String>::new(),
                "foreign keys"
            );
        }
        Backend::Postgres => {
            store
                .writer
                .execute(Statement::from_string(
                    DbBackend::Postgres,
                    "CREATE EXTENSION IF NOT EXISTS amcheck",
                ))
                .await
                .expect("the amcheck extension (PostgreSQL contrib) is needed for this test");
            // bt_index_check raises an error on the first inconsistency it finds
            let indexes = query_strings(
                store,
                "SELECT count(*) FROM (SELECT bt_index_check(c.oid, true) FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE am.amname = 'btree' AND n.nspname = 'public') checked",
            )
            .await;
            let checked: i64 = indexes[0].parse().unwrap();
            assert!(checked > 20, "only {checked} indexes checked");
            let corrupt = query_strings(
                store,
                "SELECT c.relname::text || ': ' || v.msg FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 CROSS JOIN LATERAL verify_heapam(c.oid) v \
                 WHERE c.relkind = 'r' AND n.nspname = 'public'",
            )
            .await;
            assert_eq!(corrupt, Vec::<String>::new(), "verify_heapam");
        }
    }
}

/// Every answered request is present and intact; every stored request is whole (its
/// transaction wrote all or nothing); the database passes its integrity checks.
async fn check_intact(store: &Store, answered: &[Sent], uploads: &Path) {
    // the server keyed the audit log with the key file beside the uploads
    if let Some(data) = uploads.parent() {
        let key = kotapintar::audit_key::read_file(&data.join("audit.key")).unwrap();
        kotapintar_storage::audit::hold_key(&key);
    }
    integrity_check(store).await;
    let requests: HashMap<String, request::Model> = request::Entity::find()
        .all(&store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.tracking_code.clone(), r))
        .collect();
    let mut photos: HashMap<i64, Vec<request_photo::Model>> = HashMap::new();
    for p in request_photo::Entity::find()
        .all(&store.reader)
        .await
        .unwrap()
    {
        photos.entry(p.request_id).or_default().push(p);
    }
    // notification jobs per tracking code (their text names it); the server's SMTP server and
    // gateway do not answer, so they wait in the queue
    let mut notices: HashMap<String, usize> = HashMap::new();
    for j in job::Entity::find().all(&store.reader).await.unwrap() {
        if let Some(at) = j.payload.find("BDG-") {
            let code: String = j.payload[at..].chars().take(12).collect();
            *notices.entry(code).or_insert(0) += 1;
        }
    }
    for s in answered {
        let r = requests
            .get(&s.code)
            .unwrap_or_else(|| panic!("answered request {} is missing", s.code));
        assert_eq!(
            (
                r.title.as_str(),
                r.description.as_str(),
                r.kind.as_str(),
                r.status.as_str()
            ),
            (
                s.title.as_str(),
                s.description.as_str(),
                "pengaduan",
                "diterima"
            ),
            "{}",
            s.code
        );
        assert_eq!(
            (
                r.reporter_name.as_deref(),
                r.reporter_email.as_deref(),
                r.reporter_phone.as_deref()
            ),
            (
                Some(s.name.as_str()),
                Some(s.email.as_str()),
                Some(s.phone.as_str())
            ),
            "{}",
            s.code
        );
        assert_eq!(
            r.reporter_token_hash,
            kotapintar_storage::requests::hash_token(&s.token),
            "{}: the reporter's link works",
            s.code
        );
        let stored = photos.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(stored.len(), usize::from(s.photo), "{}: photos", s.code);
        for p in stored {
            for f in [&p.file_name, &p.thumb_name] {
                let len = std::fs::metadata(uploads.join(f))
                    .unwrap_or_else(|e| panic!("{}: photo file {f}: {e}", s.code))
                    .len();
                assert!(len > 100, "{}: photo file {f} is {len} bytes", s.code);
            }
        }
        assert_eq!(
            notices.get(&s.code),
            Some(&2),
            "{}: the email and the WhatsApp/SMS notice were queued with it",
            s.code
        );
    }
    // whole transactions only, for every stored request (answered or not)
    let ids: HashSet<i64> = requests.values().map(|r| r.id).collect();
    let submitted: HashSet<i64> = request_event::Entity::find()
        .all(&store.reader)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.step == "submit")
        .map(|e| e.request_id)
        .collect();
    assert_eq!(submitted, ids, "each request has its timeline entry");
    let facts: HashSet<i64> = request_fact::Entity::find()
        .all(&store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.request_id)
        .collect();
    assert_eq!(facts, ids, "each request has its performance facts");
    let events = event::Entity::find().all(&store.reader).await.unwrap();
    let mut created: BTreeMap<String, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == "request.created") {
        *created.entry(e.subject_id.clone()).or_insert(0) += 1;
    }
    assert_eq!(
        created.keys().collect::<HashSet<_>>(),
        requests.keys().collect::<HashSet<_>>(),
        "each request has its event"
    );
    assert!(created.values().all(|n| *n == 1));
    let head = events_head::Entity::find_by_id(1)
        .one(&store.reader)
        .await
        .unwrap()
        .unwrap()
        .seq;
    assert_eq!(
        head,
        events.iter().map(|e| e.seq).max().unwrap_or(0),
        "the event head is the last event"
    );
    assert!(
        matches!(kotapintar_storage::audit::verify(store).await.unwrap(), Ok(n) if n > 0),
        "audit chain"
    );
}

/// The server shows a sample of the answered requests on their public pages.
async fn serves(server: &Server, answered: &[Sent]) {
    let client = reqwest::Client::new();
    let step = (answered.len() / 10).max(1);
    for s in answered.iter().step_by(step) {
        let r = client
            .get(format!("{}/laporan/{}", server.base, s.code))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", s.code);
        assert!(r.text().await.unwrap().contains(&s.title), "{}", s.code);
    }
}

async fn every_answered_request_survives_sigkill_under_load(backend: Backend) {
    let db = TestDb::create(backend).await;
    let dir = db.dir.path();
    let o = kotapintar(dir, &db.url, &["migrate"]);
    assert!(o.status.success(), "{o:?}");
    let uploads = dir.join("data").join("uploads");
    let mut answered: Vec<Sent> = Vec::new();
    let mut server = Server::start(dir, Some(&db.url)).await;
    for round in 1..=ROUNDS {
        let load = Load::start(&server.base, CLIENTS, round);
        load.wait_for_answers(ANSWERED_BEFORE_KILL).await;
        // somewhere in the middle of the load, not at a fixed point
        let jitter = rand::thread_rng().gen_range(0..150);
        tokio::time::sleep(Duration::from_millis(jitter)).await;
        server.kill();
        let this_round = load.finish().await;
        // the state the crash left, before anything opens the database again
        let store = open(&db.url).await;
        answered.extend(this_round.iter().cloned());
        check_intact(&store, &answered, &uploads).await;
        let stored = request::Entity::find()
            .all(&store.reader)
            .await
            .unwrap()
            .len();
        println!(
            "{backend:?} round {round}: {} answered before SIGKILL, {} stored in all ({} answered in all)",
            this_round.len(),
            stored,
            answered.len()
        );
        store.close().await;
        // restarted, it serves every round's requests again, and takes new ones
        server = Server::start(dir, Some(&db.url)).await;
        serves(&server, &answered).await;
    }
    let load = Load::start(&server.base, 2, ROUNDS + 1);
    load.wait_for_answers(4).await;
    let last = load.finish().await;
    serves(&server, &last).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_of_a_running_deployment_under_load_restores() {
    let db = TestDb::create(Backend::Sqlite).await;
    let dir = db.dir.path();
    assert!(kotapintar(dir, &db.url, &["migrate"]).status.success());
    let server = Server::start(dir, Some(&db.url)).await;
    let load = Load::start(&server.base, 8, 1);
    load.wait_for_answers(40).await;
    // everything answered before the backup starts must be in it
    let before: Vec<Sent> = load.answered.lock().unwrap().clone();
    let target = dir.join("backup");
    let (dir_owned, url, target_owned) = (dir.to_path_buf(), db.url.clone(), target.clone());
    let o = tokio::task::spawn_blocking(move || {
        kotapintar(
            &dir_owned,
            &url,
            &["backup", "--out", target_owned.to_str().unwrap()],
        )
    })
    .await
    .unwrap();
    let during = load.answered() - before.len();
    assert!(o.status.success(), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("uploaded files"),
        "{o:?}"
    );
    // writes went on while the backup ran
    assert!(during > 0, "no request was answered during the backup");
    let all = load.finish().await;
    // this node's index takes in every request, so it ends up ahead of the copy
    let original = open(&db.url).await;
    let head = kotapintar_storage::events::head(&original.reader)
        .await
        .unwrap();
    original.close().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while search_cursor(&server).await < head {
        assert!(Instant::now() < deadline, "the index did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
    println!(
        "backup: {} answered before it, {during} while it ran, {} in all",
        before.len(),
        all.len()
    );

    // restore as the README says: the copy and the uploads into a data directory
    let restored = tempfile::tempdir().unwrap();
    let data = restored.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(target.join("kotapintar.db"), data.join("kotapintar.db")).unwrap();
    copy_dir(&target.join("uploads"), &data.join("uploads"));
    // the audit key is kept apart from the backups (`kotapintar backup` says so)
    std::fs::copy(dir.join("data").join("audit.key"), data.join("audit.key")).unwrap();
    // as when the copy replaces the database in place: this node's search index stays, and
    // it is ahead of the copy (it saw the requests filed after the backup)
    copy_dir(&dir.join("data").join("search"), &data.join("search"));
    let url = format!("sqlite://{}", data.join("kotapintar.db").display());
    let store = open(&url).await;
    check_intact(&store, &before, &data.join("uploads")).await;
    let copy_head = kotapintar_storage::events::head(&store.reader)
        .await
        .unwrap();
    assert!(
        head > copy_head,
        "the index left in place ({head}) is ahead of the restored database ({copy_head})"
    );
    let stored = request::Entity::find().all(&store.reader).await.unwrap();
    assert!(
        stored.len() >= before.len() && stored.len() <= all.len() + 8,
        "{} stored, {} answered before the backup, {} in all",
        stored.len(),
        before.len(),
        all.len()
    );
    let photo = request_photo::Entity::find()
        .all(&store.reader)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("some requests had photos");
    store.close().await;

    // the restored deployment serves: pages, photos, and search (its index is rebuilt)
    let server = Server::start(restored.path(), None).await;
    serves(&server, &before).await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/foto/{}", server.base, photo.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    // search: what the copy holds, and what is filed after the restore, is found
    let load = Load::start(&server.base, 1, 2);
    load.wait_for_answers(1).await;
    let after_restore = load.finish().await;
    for s in [&before[0], &after_restore[0]] {
        found_by_search(&server, s, "the restored node").await;
    }
}

/// Waits (up to 20 s) until the server's search finds `s` by the word only it has.
async fn found_by_search(server: &Server, s: &Sent, node: &str) {
    let client = reqwest::Client::new();
    let query = s
        .description
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches('.');
    let wanted = format!("/laporan/{}", s.code);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let html = client
            .get(format!("{}/cari?q={query}", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains(&wanted) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{node}'s search does not find {wanted} for '{query}'"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A node without a search index (new, or its files lost) builds it in a child process, so
/// the memory the build takes goes back to the system, then follows the database as always.
async fn a_new_node_builds_its_search_index_in_a_child_process(backend: Backend) {
    let db = TestDb::create(backend).await;
    let dir = db.dir.path();
    let o = kotapintar(dir, &db.url, &["migrate"]);
    assert!(o.status.success(), "{o:?}");
    let server = Server::start(dir, Some(&db.url)).await;
    let load = Load::start(&server.base, 4, 1);
    load.wait_for_answers(20).await;
    let before = load.finish().await;
    drop(server);
    let search_dir = dir.join("data").join("search");
    std::fs::remove_dir_all(&search_dir).unwrap();

    // The build command on its own, as the server runs it: it reports on standard output,
    // and gives up at once when its standard input closes (its server is gone), so that it
    // never holds the index's lock against a restarted server.
    let child = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotapintar"));
        cmd.args(["search", "rebuild", "--child"])
            .current_dir(dir)
            .env_clear()
            .env("KOTAPINTAR_DATABASE_URL", &db.url)
            .env("KOTAPINTAR_LOG", "warn");
        cmd
    };
    let orphan = child().stdin(Stdio::null()).output().unwrap();
    assert_eq!(orphan.status.code(), Some(3), "{orphan:?}");
    let mut kept_open = child()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = kept_open.stdin.take();
    let built = kept_open.wait_with_output().unwrap();
    drop(stdin);
    assert!(built.status.success(), "{built:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&built.stdout).expect("a JSON report on standard output");
    assert!(
        report["documents"].as_u64().unwrap() >= before.len() as u64,
        "{report}"
    );
    if cfg!(target_os = "linux") {
        assert!(
            report["peak_memory_kib"].as_u64().unwrap() > 1024,
            "{report}"
        );
    }

    // The server on a lost index: the child builds it, the server opens the result.
    std::fs::remove_dir_all(&search_dir).unwrap();
    let server = Server::start_logging(dir, Some(&db.url), "info").await;
    let store = open(&db.url).await;
    let head = kotapintar_storage::events::head(&store.reader)
        .await
        .unwrap();
    store.close().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while search_cursor(&server).await < head {
        assert!(Instant::now() < deadline, "the new index did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found_by_search(&server, &before[0], "the new node").await;
    found_by_search(&server, before.last().unwrap(), "the new node").await;
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("search index built in a child process"),
        "the server's log: {log}"
    );
    assert!(!log.contains("in a child process failed"), "{log}");
    // and it goes on following the database with the writer it took back
    let load = Load::start(&server.base, 1, 2);
    load.wait_for_answers(1).await;
    let after = load.finish().await;
    found_by_search(&server, &after[0], "the new node").await;
}

/// The event up to which the server's search index has absorbed the database.
async fn search_cursor(server: &Server) -> i64 {
    let r = reqwest::get(format!("{}/cari?q=zzzz-cursor-probe", server.base))
        .await
        .unwrap();
    r.headers()
        .get("x-search-cursor")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
