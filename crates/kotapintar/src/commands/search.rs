//! `kotapintar search rebuild`: the index is derived data, so it can always be made again from
//! the database (after an upgrade that changes the analysis, or if the files are lost).

use crate::config::Settings;
use kotapintar_search::{sync, SearchIndex};
use std::io::Write;

/// Rebuilds the index in `settings.search_dir`; returns the number of documents.
pub async fn rebuild(settings: &Settings) -> anyhow::Result<u64> {
    let store = super::open(settings).await?;
    let index = SearchIndex::open(&settings.search_dir).map_err(|e| {
        anyhow::anyhow!(
            "{e} (is a server running with the same search directory {}?)",
            settings.search_dir.display()
        )
    })?;
    let started = std::time::Instant::now();
    let mut last = std::time::Instant::now();
    let n = sync::rebuild(&store, &index, |n| {
        if last.elapsed().as_millis() >= 500 {
            let _ = write!(std::io::stderr(), "\r  {n} documents indexed");
            last = std::time::Instant::now();
        }
    })
    .await?;
    eprintln!(
        "\r  {n} documents indexed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(n)
}

/// `kotapintar search rebuild --child`: the build a server hands to a child process
/// (`sync::Builder::Child`). The server has already prepared the database and let go of the
/// index directory's writer. Prints a `BuildReport` on standard output.
pub async fn build_for_server(settings: &Settings) -> anyhow::Result<()> {
    // The server holds our standard input open and never writes to it: when it closes, the
    // server is gone, and a build nobody waits for would only hold the directory's lock
    // against the server's restart.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(3);
    });
    let store = kotapintar_storage::Store::connect(
        &settings.database_url,
        kotapintar_storage::OpenMode::MustExist,
    )
    .await?;
    let index = SearchIndex::open(&settings.search_dir)?;
    let started = std::time::Instant::now();
    let documents = sync::rebuild_logged(&store, &index).await?;
    // The commit leaves dozens of small segments for tantivy to merge. Merged here, by the
    // child, with memory that goes back to the system when it exits; otherwise the server's
    // writer would merge them under load.
    index.release_writer()?;
    drop(index);
    store.close().await;
    let report = sync::BuildReport {
        documents,
        seconds: started.elapsed().as_secs_f64(),
        peak_memory_kib: crate::telemetry::proc_status_kib("self", "VmHWM:"),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// How a server started from this binary builds its index in a child process: the same
/// program, told the settings this server resolved (through the environment, which beats
/// the configuration file, and which other users cannot read, unlike a command line).
pub fn child_build(
    settings: &Settings,
    config: &std::path::Path,
) -> anyhow::Result<sync::ChildBuild> {
    let program = std::env::current_exe()?;
    let env = |k: &str, v: &std::ffi::OsStr| (k.into(), v.to_os_string());
    Ok(sync::ChildBuild {
        program,
        args: ["search", "rebuild", "--child"].map(Into::into).to_vec(),
        envs: vec![
            env(
                "KOTAPINTAR_DATABASE_URL",
                settings.database_url.expose().as_ref(),
            ),
            env("KOTAPINTAR_DATA_DIR", settings.data_dir.as_os_str()),
            env("KOTAPINTAR_SEARCH_DIR", settings.search_dir.as_os_str()),
            env("KOTAPINTAR_CONFIG", config.as_os_str()),
        ],
    })
}
