//! `parquetry serve`: the store behind Prometheus', Loki's and Tempo's HTTP APIs until
//! Ctrl-C or SIGTERM.

use crate::time_args;
use anyhow::{Context, Result};
use parquetry::Database;
use parquetry::logs::ingest::LogIngestOptions;
use parquetry::rules::{LoadOptions, RuleSet};
use parquetry_server::{ReceiveConfig, ServerConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Serve a store over HTTP.
#[derive(clap::Args)]
pub struct Args {
    /// The store: a folder, or an object-store URL (s3://bucket/prefix, …).
    #[arg(long)]
    store: PathBuf,
    /// Address and port to listen on (port 0 picks a free one, printed at start).
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: SocketAddr,
    /// Longest a query may run (a request's `timeout` may only shorten it).
    #[arg(long = "query.timeout", default_value = "2m")]
    query_timeout: String,
    /// Most samples one query may load.
    #[arg(long = "query.max-samples", default_value_t = 50_000_000)]
    max_samples: usize,
    /// Queries evaluated at once; later ones wait for a slot within their timeout.
    #[arg(long = "query.max-concurrency", default_value_t = 20)]
    max_concurrency: usize,
    /// How far back a selector looks for a sample.
    #[arg(long = "query.lookback-delta", default_value = "5m")]
    lookback_delta: String,
    /// Bytes of decompressed data pages kept in memory for queries that read them again
    /// (0: none). A query over a few rows of many series decompresses whole pages; kept,
    /// the next query over the same pages neither reads nor decompresses them. The
    /// server's memory grows by up to this much.
    #[arg(long = "query.page-cache-bytes", default_value_t = 32 << 20)]
    page_cache_bytes: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long = "max-body-bytes", default_value_t = 10 << 20)]
    max_body_bytes: usize,
    /// Prometheus rule files shown by /api/v1/rules and /api/v1/alerts, in the state
    /// they reach over the history before the newest sample (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Interval of rule groups that set none (Prometheus' evaluation_interval).
    #[arg(long = "rules.interval", default_value = "1m")]
    rule_interval: String,
    /// History before the newest sample the rules are evaluated over, on top of their
    /// longest `for` plus `keep_firing_for`.
    #[arg(long = "rules.history", default_value = "1h")]
    rule_history: String,
    /// Serve queries only: no receivers (remote write, Loki push, OTLP).
    #[arg(long = "read-only")]
    read_only: bool,
    /// The receivers' write-ahead log folder, on local disk (default: `_wal` in a
    /// store folder; required for an object-store URL).
    #[arg(long = "wal-dir")]
    wal_dir: Option<PathBuf>,
    /// Longest time received data waits before it is committed.
    #[arg(long = "write.flush-interval", default_value = "5s")]
    flush_interval: String,
    /// Samples waiting that start a commit before the flush interval ends (a log entry
    /// or a span counts as one).
    #[arg(long = "write.flush-samples", default_value_t = 1_000_000)]
    flush_samples: usize,
    /// Samples waiting beyond which writes are refused with 429 until a commit (a log
    /// entry or a span counts as one).
    #[arg(long = "write.max-pending-samples", default_value_t = 10_000_000)]
    max_pending_samples: usize,
    /// Bytes of request bodies waiting that start a commit before the flush interval
    /// ends (bounds the memory of decoded spans and log lines).
    #[arg(long = "write.flush-bytes", default_value_t = 64 << 20)]
    flush_bytes: usize,
    /// Bytes of request bodies waiting beyond which writes are refused with 429 until a
    /// commit.
    #[arg(long = "write.max-pending-bytes", default_value_t = 512 << 20)]
    max_pending_bytes: usize,
    /// Pushed logs: add a `service_name` label as Loki 3 does by default.
    #[arg(long = "service-name")]
    service_name: bool,
    /// Pushed logs: add `detected_level` structured metadata as Loki 3 does by default.
    #[arg(long = "detect-level")]
    detect_level: bool,
}

/// The receivers' settings, or `None` with `--read-only`.
fn receive_config(args: &Args) -> Result<Option<ReceiveConfig>> {
    if args.read_only {
        return Ok(None);
    }
    let wal_dir = match &args.wal_dir {
        Some(dir) => dir.clone(),
        None if args.store.to_string_lossy().contains("://") => anyhow::bail!(
            "a store in object storage needs --wal-dir, a local folder for the receivers' write-ahead log (or --read-only)"
        ),
        None => args.store.join("_wal"),
    };
    let flush_ms = time_args::duration(&args.flush_interval)?;
    anyhow::ensure!(flush_ms > 0, "--write.flush-interval must be positive");
    Ok(Some(ReceiveConfig {
        flush_interval: Duration::from_millis(flush_ms as u64),
        flush_samples: args.flush_samples.max(1),
        max_pending_samples: args.max_pending_samples.max(1),
        flush_bytes: args.flush_bytes.max(1),
        max_pending_bytes: args.max_pending_bytes.max(1),
        logs: LogIngestOptions {
            service_name: args.service_name,
            detected_level: args.detect_level,
            ..LogIngestOptions::default()
        },
        ..ReceiveConfig::new(wal_dir)
    }))
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    // A receiving server starts a store where there is none yet.
    let db = if args.read_only {
        Database::open(&args.store)
    } else {
        Database::create(&args.store)
    }
    .with_context(|| format!("opening the store {}", args.store.display()))?;
    parquetry::table::scan::page_cache::set_page_cache_bytes(args.page_cache_bytes);
    let timeout_ms = time_args::duration(&args.query_timeout)?;
    let rules = RuleSet::load(&args.rules, LoadOptions::default())?;
    let rule_interval_ms = time_args::duration(&args.rule_interval)?;
    anyhow::ensure!(rule_interval_ms > 0, "--rules.interval must be positive");
    let config = ServerConfig {
        listen: args.listen,
        query_timeout: Duration::from_millis(timeout_ms.max(0) as u64),
        max_samples: args.max_samples,
        max_concurrent_queries: args.max_concurrency,
        max_body_bytes: args.max_body_bytes,
        lookback_delta_ms: time_args::duration(&args.lookback_delta)?,
        rules: Arc::new(rules),
        rule_interval_ms,
        rule_history_ms: time_args::duration(&args.rule_history)?.max(0),
        receive: receive_config(&args)?,
    };
    parquetry_server::run(db, config, |address| {
        eprintln!("parquetry serve: {} on http://{address}", args.store.display());
    })
    .with_context(|| format!("serving on {}", args.listen))
}
