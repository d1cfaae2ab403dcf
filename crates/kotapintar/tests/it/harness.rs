//! `TestApp`: the real application, started on a fresh database and a free port.
//!
//! PostgreSQL comes from `KOTAPINTAR_TEST_DATABASE_URL` (any database on the server; the
//! harness creates and drops its own), else `postgres://postgres@127.0.0.1:5432/postgres`.
//! A missing server fails the tests: `./scripts/test` is what finds or starts one.

use kotapintar::app::Application;
use kotapintar::config::{RawSettings, Secret, Settings};
use kotapintar_storage::{Backend, OpenMode, Store};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::sync::Arc;
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin-password-123";

/// Generates one `#[tokio::test]` per backend for each named `async fn(TestApp)`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::TestApp::spawn(kotapintar_storage::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::TestApp::spawn(kotapintar_storage::Backend::Postgres).await).await
                }
            )*
        }
    };
}

fn pg_admin_url() -> String {
    std::env::var("KOTAPINTAR_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own for one test: a SQLite file in a temporary directory, or a
/// PostgreSQL database that is dropped when the test ends.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("kotapintar.db").display()),
                dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let admin = pg_admin_url();
                let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is needed for the tests and is not reachable at {admin}: {e}. Run ./scripts/test, or set KOTAPINTAR_TEST_DATABASE_URL")
                });
                let name = format!("kp_test_{}", uuid::Uuid::new_v4().simple());
                conn.execute(Statement::from_string(
                    DbBackend::Postgres,
                    format!("CREATE DATABASE {name}"),
                ))
                .await
                .expect("create test database");
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Self {
                    url: format!("{base}/{name}"),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(conn) = Database::connect(pg_admin_url()).await {
                    let _ = conn
                        .execute(Statement::from_string(
                            DbBackend::Postgres,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        ))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub store: Store,
    /// Kept so the database lives as long as the app (shared by the nodes of a cluster test).
    pub _db: Arc<TestDb>,
    pub settings: Settings,
    /// Every email the app sends arrives here (a real SMTP server on a free port).
    pub mail: Arc<crate::smtp_sink::SmtpSink>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn settings_with_smtp(db: &TestDb, smtp_port: Option<u16>) -> Settings {
    let mut smtp = kotapintar_jobs::notify::SmtpConfig::default();
    if let Some(port) = smtp_port {
        smtp.host = Some("127.0.0.1".into());
        smtp.port = port;
        smtp.from = "kotapintar <noreply@badungkab.go.id>".into();
    }
    Settings::check(RawSettings {
        smtp,
        listen: "127.0.0.1:0".into(),
        database_url: Some(db.url.clone()),
        data_dir: db.dir.path().join("data"),
        admin_password: Some(
            serde_json::from_value::<Secret>(serde_json::json!(ADMIN_PASSWORD)).expect("secret"),
        ),
        log: "warn".into(),
        // Tests run background jobs themselves (`TestApp::run_jobs`), so they see each step.
        worker: false,
        // The test suites' webhook receivers listen on 127.0.0.1; the SSRF tests turn it off.
        webhook_allow_private: true,
        // Tests post forms at once and search many times from one address; the abuse tests
        // (security_abuse.rs) set these low on purpose.
        rate_limit_reads_per_minute: 0,
        rate_limit_filings_per_hour: 0,
        messages_per_phone_per_day: 0,
        form_min_fill_seconds: 0,
        ..RawSettings::default()
    })
    .expect("test settings")
}

impl TestApp {
    /// Today in the regency (WITA by default), as the server counts days: between 16:00 and
    /// 24:00 UTC that is already tomorrow's date.
    pub fn local_today(&self) -> chrono::NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.settings.rules.utc_offset)
            .date_naive()
    }

    pub async fn spawn(backend: Backend) -> Self {
        let db = Arc::new(TestDb::create(backend).await);
        let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
        let settings = settings_with_smtp(&db, Some(mail.port));
        Self::start(db, mail, settings).await
    }

    /// Starts the application with these settings on `db` (which may already hold the data of
    /// another running node: the cluster tests start several on one database).
    pub async fn start(
        db: Arc<TestDb>,
        mail: Arc<crate::smtp_sink::SmtpSink>,
        settings: Settings,
    ) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = tracing_subscriber::fmt().with_env_filter("info").try_init();
        }
        let app = Application::build(&settings, OpenMode::CreateIfMissing)
            .await
            .expect("application starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let store = app.store().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        let jar = Arc::new(Jar::default());
        let client = client_with(jar.clone());
        Self {
            base,
            client,
            jar,
            store,
            _db: db,
            settings,
            mail,
            stop: Some(tx),
            server: Some(server),
        }
    }

    /// A second, independent visitor (its own cookies).
    pub fn new_visitor(&self) -> (reqwest::Client, Arc<Jar>) {
        let jar = Arc::new(Jar::default());
        (client_with(jar.clone()), jar)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_of(&self.jar, &self.base, name)
    }

    /// Posts a form the way the browser does, with the visitor's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        if self.cookie("kp_csrf").is_none() {
            self.get("/").await;
        }
        let token = self.cookie("kp_csrf").expect("csrf cookie");
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/staf"),
            ],
        )
        .await
    }

    pub async fn login_admin(&self) {
        let r = self.login("admin", ADMIN_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "admin login");
    }

    pub async fn logout(&self) -> Response {
        self.post_form("/logout", &[]).await
    }

    /// Runs every job that is due, as the worker would.
    pub async fn run_jobs(&self) -> Vec<kotapintar_jobs::Turn> {
        kotapintar_jobs::Worker::new(
            self.store.clone(),
            self.settings.rules.clone(),
            self.settings.data_dir.join("uploads"),
        )
        .with_notifications(&self.settings.smtp, &self.settings.message_gateway)
        .expect("notification settings")
        .with_chat_channels(
            &self.settings.telegram,
            &self.settings.whatsapp,
            &self.settings.sms,
        )
        .expect("channel settings")
        .allow_private_webhooks(self.settings.webhook_allow_private)
        .drain()
        .await
        .expect("jobs run")
    }

    /// Imports the configured regency's areas from the built-in data.
    pub async fn import_areas(&self) {
        kotapintar::commands::import_builtin_areas(&self.store, &self.settings.regency)
            .await
            .expect("areas import");
        self.caches_see_writes().await;
    }

    /// After a test has written to the database directly (not through the running app): the
    /// app's caches see it on the next request, as they see its own writes. (In a deployment
    /// such a write comes from another process, and reaches the caches by `NOTIFY` or within
    /// `events::POLL`.)
    pub async fn caches_see_writes(&self) {
        self.store
            .head
            .refresh(&self.store.reader)
            .await
            .expect("events head");
        self.store.head.touch();
    }

    /// Creates a unit through the admin form (the admin must be logged in).
    pub async fn create_unit(&self, code: &str, name: &str) {
        let r = self
            .post_form(
                "/staf/unit/baru",
                &[
                    ("code", code),
                    ("name", name),
                    ("kind", "dinas"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "create unit {code}: {}",
            r.text().await.unwrap_or_default()
        );
    }

    pub async fn create_user(&self, username: &str, role: &str, unit: &str, password: &str) {
        let r = self
            .post_form(
                "/staf/pengguna/baru",
                &[
                    ("username", username),
                    ("full_name", "Test User"),
                    ("role", role),
                    ("unit_code", unit),
                    ("password", password),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "create user {username}: {}",
            r.text().await.unwrap_or_default()
        );
    }
}

impl TestApp {
    /// Files a request through the public form, as a browser sends it (multipart).
    pub async fn file_request(
        &self,
        fields: &[(&str, &str)],
        photos: &[(&str, Vec<u8>)],
    ) -> Response {
        if self.cookie("kp_csrf").is_none() {
            self.get("/").await;
        }
        let token = self.cookie("kp_csrf").expect("csrf cookie");
        let mut form = reqwest::multipart::Form::new().text("_csrf", token);
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in photos {
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string());
            form = form.part("photos", part);
        }
        self.client
            .post(self.url("/lapor"))
            .multipart(form)
            .send()
            .await
            .expect("POST /lapor")
    }

    /// Posts a multipart form (with files) the way the browser does, with the CSRF token.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Response {
        if self.cookie("kp_csrf").is_none() {
            self.get("/").await;
        }
        let token = self.cookie("kp_csrf").expect("csrf cookie");
        let mut form = reqwest::multipart::Form::new().text("_csrf", token);
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string());
            form = form.part(field.to_string(), part);
        }
        self.client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("POST multipart")
    }

    /// Waits until this node's search index has absorbed every event written so far.
    pub async fn search_caught_up(&self) {
        let head = kotapintar_storage::events::head(&self.store.reader)
            .await
            .expect("events head");
        // the index belongs to the running app: its cursor is read from the search page
        for _ in 0..100 {
            let r = self.get("/cari?q=zzzz-cursor-probe").await;
            let cursor = r
                .headers()
                .get("x-search-cursor")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(-1);
            if cursor >= head {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the search index did not catch up with event {head} within 10 s");
    }

    /// The tracking code and the secret token from the redirect after filing.
    pub fn filed(r: &Response) -> (String, String) {
        let loc = location(r);
        let rest = loc
            .strip_prefix("/laporan/")
            .unwrap_or_else(|| panic!("not a filing redirect: {loc}"));
        let (code, rest) = rest.split_once("/ikuti/").expect("follow link");
        let token = rest.split('?').next().unwrap_or("");
        (code.to_string(), token.to_string())
    }

    /// Dispatches a request to a unit, as the logged-in desk member or admin does.
    pub async fn dispatch(&self, id: i64, unit_code: &str) {
        let unit = kotapintar_storage::units::find_by_code(&self.store.reader, unit_code)
            .await
            .expect("query")
            .expect("unit exists");
        let r = self
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[("action", "dispatch"), ("units", &unit.id.to_string())],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "dispatch {id} to {unit_code}"
        );
    }

    pub async fn request_id(&self, code: &str) -> i64 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        kotapintar_storage::entity::request::Entity::find()
            .filter(kotapintar_storage::entity::request::Column::TrackingCode.eq(code))
            .one(&self.store.reader)
            .await
            .expect("query")
            .expect("request exists")
            .id
    }
}

/// A small real JPEG, with an EXIF block carrying a GPS position (which must be stripped).
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode jpeg");
    let jpeg = out.into_inner();
    // APP1 "Exif" with a minimal little-endian TIFF header and a GPS marker string
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPSLatitude-8.7201GPSLongitude115.1689");
    let len = (exif.len() + 2) as u16;
    let mut with = vec![0xFF, 0xD8, 0xFF, 0xE1];
    with.extend_from_slice(&len.to_be_bytes());
    with.extend_from_slice(&exif);
    with.extend_from_slice(&jpeg[2..]);
    with
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.abort();
        }
    }
}

pub fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(Policy::none())
        .build()
        .expect("http client")
}

pub fn cookie_of(jar: &Jar, base: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(base).ok()?;
    let header = jar.cookies(&url)?;
    header.to_str().ok()?.split("; ").find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}
