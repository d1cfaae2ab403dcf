use crate::config::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;

/// Structured logs on stderr: readable text by default, JSON lines when configured.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A memory figure of a process (`pid`, or `self`) in KiB, such as `VmHWM:` (peak resident)
/// or `RssAnon:`, from `/proc/PID/status`; `None` where the system does not report it.
pub fn proc_status_kib(pid: &str, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_memory_figures_of_a_process() {
        if cfg!(target_os = "linux") {
            let peak = super::proc_status_kib("self", "VmHWM:").unwrap();
            assert!(peak > 1024, "{peak} KiB");
        }
        assert_eq!(super::proc_status_kib("self", "NoSuchField:"), None);
        assert_eq!(super::proc_status_kib("0", "VmHWM:"), None);
    }
}
