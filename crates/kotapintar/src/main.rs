use clap::Parser;
use kotapintar::cli::Cli;

// glibc's malloc spent a third of the server's time under load, and its per-thread arenas
// keep freed memory resident; mimalloc is faster with many threads and returns memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match kotapintar::commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kotapintar: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
