use clap::Parser;
use kotapintar::cli::Cli;

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
