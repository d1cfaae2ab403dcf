use crate::config::Settings;
use kotapintar_storage::{Backend, Store};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A consistent copy while the server keeps running: SQLite's `VACUUM INTO` (a snapshot in
/// one read transaction) or `pg_dump`, plus the uploaded files.
pub async fn run(
    store: &Store,
    settings: &Settings,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let out = out.unwrap_or_else(|| {
        PathBuf::from("backups").join(format!(
            "kotapintar-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    });
    if out.exists() && std::fs::read_dir(&out)?.next().is_some() {
        anyhow::bail!("{} is not empty; choose a new directory", out.display());
    }
    std::fs::create_dir_all(&out)?;
    let db_file = match store.backend() {
        Backend::Sqlite => {
            let target = out.join("kotapintar.db");
            let path = target
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("backup path is not valid UTF-8"))?
                .replace('\'', "''");
            store
                .writer
                .execute(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("VACUUM INTO '{path}'"),
                ))
                .await?;
            target
        }
        Backend::Postgres => {
            let target = out.join("kotapintar.pgdump");
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(&target)
                .arg("--dbname")
                .arg(settings.database_url.expose())
                .status()
                .await
                .map_err(|e| anyhow::anyhow!("cannot run pg_dump (is it installed?): {e}"))?;
            if !status.success() {
                anyhow::bail!("pg_dump failed with {status}");
            }
            target
        }
    };
    let uploads = settings.data_dir.join("uploads");
    let copied = if uploads.is_dir() {
        copy_dir(&uploads, &out.join("uploads"))?
    } else {
        0
    };
    let size = std::fs::metadata(&db_file)?.len();
    println!(
        "backup written to {}: database {} ({} bytes), {} uploaded files",
        out.display(),
        db_file.file_name().and_then(|n| n.to_str()).unwrap_or(""),
        size,
        copied
    );
    // The key stays out of the backup: a copy of the database with its key is all it takes
    // to forge a consistent audit history.
    if let Ok(Some(key)) = crate::audit_key::read(settings) {
        println!(
            "not in the backup: the audit key {} ({}); keep a copy of it apart from the \
             backups: a restored deployment needs it to verify and extend the audit log",
            key.id(),
            crate::audit_key::describe(settings)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let copied = match entry.file_type() {
            Ok(t) if t.is_dir() => copy_dir(&entry.path(), &target),
            Ok(_) => std::fs::copy(entry.path(), target).map(|_| 1),
            Err(e) => Err(e),
        };
        match copied {
            Ok(k) => n += k,
            // The server runs on while the backup is taken: a photo draft cleared or the
            // files of a refused submission removed between listing and copying belong to
            // nothing the database copy holds. Any other failure fails the backup.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
