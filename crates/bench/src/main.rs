//! `opentim-bench`: load-test a server: throughput, latency, logins, memory; `--baseline`
//! compares with a minimal WebSocket relay measured in the same run.
//!
//! ```text
//! opentim-bench one2one --baseline     # P pairs x N messages, blast: delivered/s, losses
//! opentim-bench rate --rate 10000      # fixed rate: p50/p99/max send-to-receive latency
//! opentim-bench sdk                    # one2one through the Rust SDK
//! ```

use clap::Parser;

/// Load-test an opentim server (started by the bench from the `opentim` binary next to this
/// one, or given with --server).
#[derive(Parser)]
#[command(name = "opentim-bench", version)]
struct Cli {
    #[command(flatten)]
    args: opentim_bench::BenchArgs,
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the tokio runtime");
    if let Err(e) = runtime.block_on(opentim_bench::run(cli.args)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
