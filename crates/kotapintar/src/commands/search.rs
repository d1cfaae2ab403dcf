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
