//! The `lantern` package's library half: what spans several crates — the demo (aggregator plus
//! school nodes on synthetic data) and the benchmarks. `main.rs` only dispatches to it and to the
//! crates.

pub mod bench;
pub mod demo;

/// Logs to stderr, filtered by `RUST_LOG` (default: info for Lantern, warn for the rest).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,lantern=info,lantern_node=info,lantern_aggregator=info")
    });
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
