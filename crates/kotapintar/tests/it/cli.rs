//! The `kotapintar` binary as operators use it.

use crate::harness::TestDb;
use kotapintar_storage::Backend;
use std::process::{Command, Output, Stdio};

fn kotapintar(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotapintar"));
    cmd.args(args)
        .current_dir(db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KOTAPINTAR_DATABASE_URL", &db.url)
        .env("KOTAPINTAR_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run kotapintar");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("kotapintar finishes")
}

/// Lets this process check entries keyed with the key the commands created (`data/audit.key`).
fn hold_audit_key(db: &TestDb) {
    let key = kotapintar::audit_key::read_file(&db.dir.path().join("data").join("audit.key"))
        .expect("the commands created the audit key");
    kotapintar_storage::audit::hold_key(&key);
}

/// The test's database, opened as the server would open it (holding its audit key, if the
/// commands made one).
async fn open_store(db: &TestDb) -> kotapintar_storage::Store {
    if db.dir.path().join("data").join("audit.key").exists() {
        hold_audit_key(db);
    }
    kotapintar_storage::Store::connect(
        &kotapintar_storage::DatabaseUrl::parse(&db.url).unwrap(),
        kotapintar_storage::OpenMode::MustExist,
    )
    .await
    .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

macro_rules! cli_tests {
    ($($name:ident),* $(,)?) => {
        mod cli_sqlite { $( #[tokio::test] async fn $name() { super::$name(kotapintar_storage::Backend::Sqlite).await } )* }
        mod cli_postgres { $( #[tokio::test] async fn $name() { super::$name(kotapintar_storage::Backend::Postgres).await } )* }
    };
}

cli_tests!(
    migrate_then_manage_users,
    areas_import_names_file_line_and_field_and_writes_nothing,
    audit_verify_reports_tampering,
    backup_writes_a_usable_copy,
    bulk_import_checks_every_row_then_imports_once,
);

async fn migrate_then_manage_users(backend: Backend) {
    let db = TestDb::create(backend).await;
    let o = kotapintar(&db, &["migrate"], None);
    assert!(o.status.success(), "{}", out(&o));
    let o = kotapintar(
        &db,
        &[
            "user",
            "create",
            "--username",
            "made",
            "--full-name",
            "I Made",
            "--role",
            "leader",
        ],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("created user made"));
    let generated = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("password printed")
        .to_string();
    assert_eq!(generated.len(), 20);
    let o = kotapintar(
        &db,
        &[
            "user",
            "create",
            "--username",
            "MADE",
            "--full-name",
            "Lain",
            "--role",
            "leader",
        ],
        None,
    );
    assert!(!o.status.success());
    let text = out(&o);
    assert!(
        text.contains("--username: This username is taken."),
        "{text}"
    );
    let o = kotapintar(
        &db,
        &[
            "user",
            "create",
            "--username",
            "x!",
            "--full-name",
            "",
            "--role",
            "officer",
        ],
        None,
    );
    assert!(!o.status.success());
    let text = out(&o);
    assert!(text.contains("--username: Username: 3 to 32"), "{text}");
    assert!(text.contains("--full-name: Required."), "{text}");
    assert!(
        text.contains("--unit: This role needs a work unit."),
        "{text}"
    );
    let o = kotapintar(
        &db,
        &["user", "reset-password", "made", "--password-stdin"],
        Some("kata-sandi-baru-1\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    // integration clients: the token is printed once, bad input names the flag
    let o = kotapintar(
        &db,
        &[
            "client",
            "create",
            "--name",
            "SIMJALAN",
            "--unit",
            "NOPE",
            "--scopes",
            "requests:delete",
        ],
        None,
    );
    assert!(!o.status.success());
    let text = out(&o);
    assert!(
        text.contains("--unit: There is no work unit with this code.")
            && text.contains("--scopes: Unknown scope"),
        "{text}"
    );
    let o = kotapintar(&db, &["user", "disable", "made"], None);
    assert!(o.status.success(), "{}", out(&o));
    let o = kotapintar(&db, &["user", "disable", "nobody"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("no user named 'nobody'"));
    let store = open_store(&db).await;
    assert!(matches!(
        kotapintar_storage::users::authenticate(&store, "made", "kata-sandi-baru-1")
            .await
            .unwrap(),
        kotapintar_storage::users::LoginOutcome::Disabled
    ));
    store.close().await;
}

async fn areas_import_names_file_line_and_field_and_writes_nothing(backend: Backend) {
    let db = TestDb::create(backend).await;
    assert!(kotapintar(&db, &["migrate"], None).status.success());
    let dir = db.dir.path().join("areas");
    std::fs::create_dir_all(&dir).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reference-data/areas");
    for f in ["provinces.csv", "regencies.csv", "districts.csv"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(
        dir.join("villages.csv"),
        "code,district_code,name\n51.03.01.1001,51.03.01,Kuta\n51.03.01.10x2,51.03.01,Legian\n",
    )
    .unwrap();
    let o = kotapintar(
        &db,
        &["areas", "import", "--dir", dir.to_str().unwrap()],
        None,
    );
    assert!(!o.status.success());
    let text = out(&o);
    assert!(
        text.contains("villages.csv, line 3, field 'code'"),
        "{text}"
    );
    assert!(text.contains("nothing was imported"), "{text}");
    // a well-formed file imports; any regency works, e.g. Kota Denpasar
    let o = kotapintar(&db, &["areas", "import", "--regency", "51.71"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Kota Denpasar"), "{}", out(&o));
    let o = kotapintar(&db, &["areas", "import", "--regency", "99.99"], None);
    assert!(!o.status.success());
    assert!(
        out(&o).contains("no regency or city with code 99.99"),
        "{}",
        out(&o)
    );
    let store = open_store(&db).await;
    let badung = kotapintar_domain::region::RegionCode::parse("51.03").unwrap();
    assert!(
        kotapintar_storage::regions::get(&store, &badung)
            .await
            .is_err(),
        "the bad import wrote nothing"
    );
    let denpasar = kotapintar_domain::region::RegionCode::parse("51.71").unwrap();
    assert_eq!(
        kotapintar_storage::regions::children(&store, &denpasar)
            .await
            .unwrap()
            .len(),
        4
    );
    store.close().await;
}

async fn audit_verify_reports_tampering(backend: Backend) {
    let db = TestDb::create(backend).await;
    assert!(kotapintar(&db, &["migrate"], None).status.success());
    assert!(kotapintar(
        &db,
        &[
            "user",
            "create",
            "--username",
            "made",
            "--full-name",
            "I Made",
            "--role",
            "leader"
        ],
        None
    )
    .status
    .success());
    let o = kotapintar(&db, &["audit", "verify"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("audit log intact: 2 entries verified"),
        "{}",
        out(&o)
    );
    let store = open_store(&db).await;
    use sea_orm::ConnectionTrait;
    let backend = store.writer.get_database_backend();
    store
        .writer
        .execute(sea_orm::Statement::from_string(
            backend,
            "UPDATE audit_log SET actor = 'mallory'",
        ))
        .await
        .unwrap();
    store.close().await;
    let o = kotapintar(&db, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("AUDIT LOG BROKEN: entry 1:"),
        "{}",
        out(&o)
    );
}

async fn backup_writes_a_usable_copy(backend: Backend) {
    let db = TestDb::create(backend).await;
    assert!(kotapintar(&db, &["migrate"], None).status.success());
    assert!(kotapintar(
        &db,
        &[
            "user",
            "create",
            "--username",
            "made",
            "--full-name",
            "I Made",
            "--role",
            "leader"
        ],
        None
    )
    .status
    .success());
    let target = db.dir.path().join("backup1");
    let o = kotapintar(&db, &["backup", "--out", target.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", out(&o));
    match backend {
        Backend::Sqlite => {
            let copy = target.join("kotapintar.db");
            let url =
                kotapintar_storage::DatabaseUrl::parse(&format!("sqlite://{}", copy.display()))
                    .unwrap();
            let store =
                kotapintar_storage::Store::connect(&url, kotapintar_storage::OpenMode::MustExist)
                    .await
                    .unwrap();
            assert_eq!(
                kotapintar_storage::users::list(&store, None)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            // the holiday calendar seed and the user, keyed with the deployment's key
            hold_audit_key(&db);
            assert_eq!(
                kotapintar_storage::audit::verify(&store).await.unwrap(),
                Ok(2)
            );
            store.close().await;
        }
        Backend::Postgres => {
            let dump = target.join("kotapintar.pgdump");
            assert!(std::fs::metadata(&dump).unwrap().len() > 1000);
            let listing = Command::new("pg_restore")
                .arg("--list")
                .arg(&dump)
                .output()
                .unwrap();
            assert!(String::from_utf8_lossy(&listing.stdout).contains("audit_log"));
            // restored as docs/deployment.md says, into a new database, it is the same
            let restored = TestDb::create(Backend::Postgres).await;
            let o = Command::new("pg_restore")
                .arg("--no-owner")
                .arg("--dbname")
                .arg(&restored.url)
                .arg(&dump)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", out(&o));
            let store = open_store(&restored).await;
            assert_eq!(
                kotapintar_storage::users::list(&store, None)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            hold_audit_key(&db);
            assert_eq!(
                kotapintar_storage::audit::verify(&store).await.unwrap(),
                Ok(2)
            );
            store.close().await;
            // the audit key is kept apart from the backup, and restored with it
            let keys = restored.dir.path().join("data");
            std::fs::create_dir_all(&keys).unwrap();
            std::fs::copy(
                db.dir.path().join("data").join("audit.key"),
                keys.join("audit.key"),
            )
            .unwrap();
            let o = kotapintar(&restored, &["migrate"], None);
            assert!(o.status.success(), "{}", out(&o));
        }
    }
    // an existing, non-empty target is refused rather than overwritten
    let o = kotapintar(&db, &["backup", "--out", target.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("is not empty"));
}

#[test]
fn serve_refuses_a_missing_or_mistyped_database() {
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_kotapintar"))
            .arg("serve")
            .current_dir(dir.path())
            .env("KOTAPINTAR_DATABASE_URL", url)
            .env("KOTAPINTAR_LISTEN", "127.0.0.1:0")
            .output()
            .unwrap()
    };
    let o = run("sqlite://data/kotapintr.db");
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does not exist"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !dir.path().join("data/kotapintr.db").exists(),
        "no empty database was created"
    );
    let o = run("sqlite3://data/kotapintar.db");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("database_url"));
    let o = Command::new(env!("CARGO_BIN_EXE_kotapintar"))
        .args(["--config", "nope.toml", "migrate"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.toml does not exist"));
}

async fn bulk_import_checks_every_row_then_imports_once(backend: kotapintar_storage::Backend) {
    let db = TestDb::create(backend).await;
    assert!(kotapintar(&db, &["migrate"], None).status.success());
    assert!(kotapintar(&db, &["areas", "import"], None).status.success());
    let dir = db.dir.path();
    std::fs::write(
        dir.join("services.csv"),
        "unit_code,code,name,kind,time_limit_days,questions\nDPUPR,jalan-rusak,Jalan rusak,pengaduan,10,jenis | Jenis | singlevaluelist | required | Berlubang; Retak\n",
    )
    .unwrap();
    // the unit does not exist yet: named, nothing changes
    let o = kotapintar(
        &db,
        &["import", "services", "--file", "services.csv", "--dry-run"],
        None,
    );
    assert!(!o.status.success());
    assert!(
        out(&o).contains(
            "services.csv, line 2, field 'unit_code': There is no work unit with this code."
        ),
        "{}",
        out(&o)
    );
    let store = open_store(&db).await;
    let draft = kotapintar_domain::unit::UnitInput {
        code: "DPUPR".into(),
        name: "Dinas PUPR".into(),
        kind: "dinas".into(),
        active: Some("on".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    kotapintar_storage::units::create(
        &store,
        &kotapintar_storage::audit::AuditActor::System("test".into()),
        draft,
    )
    .await
    .unwrap();
    let o = kotapintar(&db, &["import", "services", "--file", "services.csv"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("services: 1 created, 0 updated"));

    let bad = "source_id,kind,service_code,title,description,status,received_at,resolved_at,response,district_code,answers\n\
        SIM-1,pengaduan,jalan-rusak,Jalan rusak di banjar,Lubang di depan balai banjar sejak lama.,selesai,2025-03-02,2025-03-10,Sudah ditambal.,51.03.01,jenis=Berlubang\n\
        SIM-2,pengaduan,,Lampu mati,Lampu jalan mati di gang sempit.,entah,2025-13-01,,,51.03.99,\n\
        SIM-3,aspirasi,,Taman,Mohon taman kota diperbanyak pohonnya.,ditindaklanjuti,2025-04-01T09:00:00+08:00,,,,\n\
        SIM-4,pengaduan,jalan-rusak,Jalan retak,Retak memanjang di jalan desa.,diterima,2025-04-02,,,,jenis=Amblas\n";
    std::fs::write(dir.join("requests.csv"), bad).unwrap();
    let o = kotapintar(
        &db,
        &[
            "import",
            "requests",
            "--unit",
            "DPUPR",
            "--file",
            "requests.csv",
            "--dry-run",
        ],
        None,
    );
    assert!(!o.status.success());
    let text = out(&o);
    assert!(
        text.contains("requests.csv, line 3, field 'status': Unknown choice."),
        "{text}"
    );
    assert!(
        text.contains("requests.csv, line 3, field 'received_at'"),
        "{text}"
    );
    assert!(
        text.contains("requests.csv, line 5, field 'answers.jenis': Unknown choice."),
        "{text}"
    );
    assert!(text.contains("dry run: 2 rows valid"), "{text}");
    let (_, total) = kotapintar_storage::requests::public_list(&store, &Default::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!(total, 0, "a dry run changes nothing");
    // the real run refuses a file with problems
    let o = kotapintar(
        &db,
        &[
            "import",
            "requests",
            "--unit",
            "DPUPR",
            "--file",
            "requests.csv",
        ],
        None,
    );
    assert!(!o.status.success());
    assert!(out(&o).contains("nothing was imported"));
    // fixed: imported, and again: nothing twice
    let good = bad
        .replace(
            "entah,2025-13-01,,,51.03.99",
            "diterima,2025-03-05,,,51.03.02",
        )
        .replace("jenis=Amblas", "jenis=Retak");
    std::fs::write(dir.join("requests.csv"), &good).unwrap();
    let o = kotapintar(
        &db,
        &[
            "import",
            "requests",
            "--unit",
            "DPUPR",
            "--file",
            "requests.csv",
        ],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("imported 4 requests for DPUPR (0 were imported before)"),
        "{}",
        out(&o)
    );
    let o = kotapintar(
        &db,
        &[
            "import",
            "requests",
            "--unit",
            "DPUPR",
            "--file",
            "requests.csv",
        ],
        None,
    );
    assert!(
        out(&o).contains("imported 0 requests for DPUPR (4 were imported before)"),
        "{}",
        out(&o)
    );
    // JSON works the same way
    std::fs::write(dir.join("more.json"), r#"[{"source_id": "SIM-9", "kind": "pengaduan", "title": "Got mampet", "description": "Got depan pasar mampet dan meluap.", "status": "ditutup", "received_at": "2024-12-01"}]"#).unwrap();
    let o = kotapintar(
        &db,
        &[
            "import",
            "requests",
            "--unit",
            "DPUPR",
            "--file",
            "more.json",
        ],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    let (list, total) =
        kotapintar_storage::requests::public_list(&store, &Default::default(), 0, 10)
            .await
            .unwrap();
    assert_eq!(total, 5);
    let resolved = list
        .iter()
        .find(|r| r.title == "Jalan rusak di banjar")
        .unwrap();
    assert_eq!(resolved.status, kotapintar_domain::request::Status::Selesai);
    assert_eq!(resolved.response.as_deref(), Some("Sudah ditambal."));
    assert_eq!(resolved.unit_names, vec!["Dinas PUPR".to_string()]);
    assert_eq!(
        resolved.received_at.format("%Y-%m-%d").to_string(),
        "2025-03-01",
        "midnight WITA is the evening before in UTC"
    );
    store.close().await;
}
