//! What `parquetry serve` is told on its command line.

pub use crate::receive::intake::ReceiveConfig;
use parquetry::rules::RuleSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The server's settings; [`Default`] gives Prometheus' defaults where Prometheus has
/// one.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen (Prometheus' port on 127.0.0.1 by default).
    pub listen: SocketAddr,
    /// Longest a query may run (Prometheus' `--query.timeout`, 2 minutes); a request's
    /// `timeout` parameter can only shorten it.
    pub query_timeout: Duration,
    /// Most samples one query may load (Prometheus' `--query.max-samples`).
    pub max_samples: usize,
    /// Queries evaluated at once (Prometheus' `--query.max-concurrency`); later ones wait
    /// for a slot within their timeout.
    pub max_concurrent_queries: usize,
    /// Largest request body accepted, in bytes (Go's limit on form bodies, 10 MB).
    pub max_body_bytes: usize,
    /// How far back a selector looks for a sample (`--query.lookback-delta`), ms.
    pub lookback_delta_ms: i64,
    /// The rule groups `/api/v1/rules` and `/api/v1/alerts` show (`--rules`).
    pub rules: Arc<RuleSet>,
    /// Interval of groups that set none (Prometheus' `evaluation_interval`), ms.
    pub rule_interval_ms: i64,
    /// History before the newest sample over which the rules are evaluated to find their
    /// state, on top of the longest `for` plus `keep_firing_for`, ms.
    pub rule_history_ms: i64,
    /// The receivers' write-ahead log and batching; `None` serves read-only, without
    /// the write routes.
    pub receive: Option<ReceiveConfig>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9090)),
            query_timeout: Duration::from_secs(120),
            max_samples: 50_000_000,
            max_concurrent_queries: 20,
            max_body_bytes: 10 << 20,
            lookback_delta_ms: 5 * 60 * 1000,
            rules: Arc::default(),
            rule_interval_ms: 60 * 1000,
            rule_history_ms: 60 * 60 * 1000,
            receive: None,
        }
    }
}
