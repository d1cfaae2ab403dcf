//! The server under test: `kotapintar serve` as a child process, so that its memory is
//! measured alone (the load generator and the data generator live in the bench process).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Server {
    child: tokio::process::Child,
    pid: u32,
    pub base: String,
    log: PathBuf,
    /// The most heap (`RssAnon`) seen by the sampler since the last `reset_peak`, in KiB.
    anon_peak: Arc<AtomicU64>,
    /// The same (and resident memory's) since the last phase ended.
    phase_peaks: Arc<(AtomicU64, AtomicU64)>,
}

/// Resident memory of the server in KiB, from /proc/PID/status: `peak` is VmHWM (the most it
/// ever had resident: heap and mapped files, such as the search index, together);
/// `anon_peak` the most heap and stacks alone, sampled every 20 ms; the others are now.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    pub peak_kib: u64,
    pub anon_peak_kib: u64,
    pub rss_kib: u64,
    pub anon_kib: u64,
    pub file_kib: u64,
}

fn status_field(pid: u32, name: &str) -> u64 {
    kotapintar::telemetry::proc_status_kib(&pid.to_string(), name).unwrap_or(0)
}

/// The `kotapintar` binary built beside this one (`cargo build --release` builds both).
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name(format!("kotapintar{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: build it with `cargo build --release --bins` (or pass --server-bin)",
        bin.display()
    );
    Ok(bin)
}

impl Server {
    /// Starts `kotapintar serve` on a free port over an existing database, job worker off,
    /// its data and search index in `dir`, and waits until it answers.
    /// `env`: more settings for it (the soak turns its job worker on).
    pub async fn start(
        bin: &Path,
        database_url: &str,
        dir: &Path,
        env: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = dir.join("server.log");
        let child = tokio::process::Command::new(bin)
            .arg("serve")
            // no kotapintar.toml of the caller's is read
            .current_dir(dir)
            .env("KOTAPINTAR_DATABASE_URL", database_url)
            .env("KOTAPINTAR_LISTEN", format!("127.0.0.1:{port}"))
            .env("KOTAPINTAR_DATA_DIR", dir.join("data"))
            .env("KOTAPINTAR_SEARCH_DIR", dir.join("search"))
            .env("KOTAPINTAR_WORKER", "false")
            // the load comes from one address and posts forms at once
            .env("KOTAPINTAR_RATE_LIMIT_READS_PER_MINUTE", "0")
            .env("KOTAPINTAR_RATE_LIMIT_FILINGS_PER_HOUR", "0")
            .env("KOTAPINTAR_MESSAGES_PER_PHONE_PER_DAY", "0")
            .env("KOTAPINTAR_FORM_MIN_FILL_SECONDS", "0")
            // the search follower's info lines report a build in a child process, with its peak
            .env("KOTAPINTAR_LOG", "warn,kotapintar_search::sync=info")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow::anyhow!("the server exited at once"))?;
        let anon_peak = Arc::new(AtomicU64::new(0));
        let phase_peaks = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        {
            let (anon_peak, phase_peaks) = (anon_peak.clone(), phase_peaks.clone());
            // ends with the bench process; reads nothing once the server is gone
            tokio::spawn(async move {
                loop {
                    let anon = status_field(pid, "RssAnon:");
                    anon_peak.fetch_max(anon, Ordering::Relaxed);
                    phase_peaks
                        .0
                        .fetch_max(status_field(pid, "VmRSS:"), Ordering::Relaxed);
                    phase_peaks.1.fetch_max(anon, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
        let mut server = Server {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            log,
            anon_peak,
            phase_peaks,
        };
        let client = reqwest::Client::new();
        let t = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!("the server stopped ({status}): {}", server.log_tail());
            }
            if let Ok(r) = client.get(format!("{}/", server.base)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(900),
                "the server did not answer within 15 minutes: {}",
                server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The most resident memory, and heap and stacks, since the last call (sampled).
    pub fn take_phase_peaks(&self) -> (u64, u64) {
        (
            self.phase_peaks.0.swap(0, Ordering::Relaxed),
            self.phase_peaks.1.swap(0, Ordering::Relaxed),
        )
    }

    pub fn memory(&self) -> Memory {
        let field = |name: &str| status_field(self.pid, name);
        Memory {
            peak_kib: field("VmHWM:"),
            anon_peak_kib: self.anon_peak.load(Ordering::Relaxed),
            rss_kib: field("VmRSS:"),
            anon_kib: field("RssAnon:"),
            file_kib: field("RssFile:"),
        }
    }

    /// Starts the peak (`VmHWM`) afresh from the current resident size (Linux: `5` written to
    /// `clear_refs`), so that a later reading covers only what happened since.
    pub fn reset_peak(&self) -> anyhow::Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5")
            .map_err(|e| anyhow::anyhow!("cannot reset the server's peak memory: {e}"))?;
        self.anon_peak.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// The last lines the server logged (warnings and errors), for a failure message.
    /// The peak resident memory of the child process that built the search index, in MiB,
    /// as the server logged it (`sync::Builder::Child`); `None` if the server built none.
    pub fn index_build_peak_mib(&self) -> Option<u64> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .rev()
            .filter(|l| l.contains("search index built in a child process"))
            .filter_map(|l| l.split("child_peak_memory_mib=").nth(1))
            .find_map(|v| v.split_whitespace().next()?.parse().ok())
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}
