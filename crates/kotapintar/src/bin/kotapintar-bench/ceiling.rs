//! The ceiling: what this machine, this load generator and these settings can do at all. A
//! minimal axum server answering one fixed small HTML page, in a process of its own (this
//! binary again, `--ceiling-server`, with the server's allocator), measured like every read
//! phase; each read phase is then reported as a fraction of it, so that figures from a
//! loaded or a quiet machine can be compared.

use crate::phases::{fetched, load, Phase};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::AsyncBufReadExt;

/// The page: about the size of a short public page's head and first lines.
const PAGE: &str = concat!(
    "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">",
    "<title>kotapintar</title></head><body><main><h1>Halo</h1>",
    "<p>Halaman tetap untuk mengukur batas atas mesin ini.</p></main></body></html>"
);

/// The ceiling measured last (answers per second, as f64 bits; 0: none yet).
static CEILING: AtomicU64 = AtomicU64::new(0);

pub fn current() -> Option<f64> {
    match CEILING.load(Ordering::Acquire) {
        0 => None,
        bits => Some(f64::from_bits(bits)),
    }
}

/// The child's side: serves the page until killed, after printing its port.
pub fn serve() -> anyhow::Result<()> {
    // the real server's runtime: one worker per core
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(|| async { axum::response::Html(PAGE) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("port {}", listener.local_addr()?.port());
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}

/// Starts the ceiling server, loads it as the read phases are loaded, and remembers the
/// figure for them.
pub async fn measure(
    client: &reqwest::Client,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Phase> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--ceiling-server")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("the ceiling server has no stdout"))?;
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await?;
    let port: u16 = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("the ceiling server said {line:?}"))?;
    println!(
        "   load average before the ceiling: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let (c, url) = (client.clone(), format!("http://127.0.0.1:{port}/"));
    let phase = load(
        "ceiling",
        "ceiling: minimal axum page (same allocator, clients, seconds)",
        concurrency,
        seconds,
        move |_| {
            let (c, url) = (c.clone(), url.clone());
            async move { fetched(c.get(url)).await }
        },
    )
    .await;
    let _ = child.kill().await;
    CEILING.store(phase.per_second.to_bits(), Ordering::Release);
    Ok(phase)
}
