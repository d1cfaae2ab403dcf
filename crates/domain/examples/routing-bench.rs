//! `cargo run --release -p kotapintar-domain --example routing-bench -- N[,N...]`: the same
//! measurement as `kotapintar-bench --routing N,...` (the same file), built with only the
//! domain's dependencies, so a release build takes minutes instead of the whole server's.

#[path = "../../kotapintar/src/bin/kotapintar-bench/routing.rs"]
mod routing;

fn main() -> routing::BenchResult {
    let sizes: Vec<u64> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "10000,100000".into())
        .split(',')
        .map(|n| n.trim().replace('_', "").parse())
        .collect::<Result<_, _>>()?;
    routing::run(&sizes)
}
