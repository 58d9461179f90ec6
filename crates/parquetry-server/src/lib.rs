//! `parquetry serve`: a store behind Prometheus', Loki's and Tempo's HTTP APIs, so that
//! Grafana, `promtool` and every client of those servers read the archive as they read
//! the live stack.
//!
//! [`router`] builds the routes over an open [`Database`]; [`serve`] runs them on a
//! listener until a shutdown signal; [`run`] does both for the command line. Every
//! request reads the newest committed version of the store, so data ingested while the
//! server runs is visible at once. Queries run on blocking threads, at most
//! [`ServerConfig::max_concurrent_queries`] at a time, each bounded by a timeout and
//! cancelled when its client goes away.

mod api_error;
mod config;
mod label_lists;
mod loki;
mod params;
mod prometheus;
mod query_run;
mod receive;
mod request_log;
mod state;
mod streamed_body;
mod tempo;

pub use api_error::{ApiError, ErrorType};
pub use config::{ReceiveConfig, ServerConfig};
pub use params::Params;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::serve::{Listener, ListenerExt};
use parquetry::Database;
use state::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Every route of the server over `db`: Prometheus', Loki's and Tempo's HTTP APIs on
/// one port, with gzip responses for clients that accept them, request bodies bounded
/// by `config.max_body_bytes`, one structured log line per request on standard error,
/// and 404 for unknown paths. With `config.receive`, the receivers too: their
/// write-ahead log is replayed and committed first (an error says why it could not
/// be), and their flusher runs on the current Tokio runtime.
pub fn router(db: Database, config: ServerConfig) -> Result<Router, String> {
    let max_body = config.max_body_bytes;
    let state = Arc::new(AppState::start(db, config)?);
    let receivers = match &state.intake {
        Some(intake) => receive::routes(intake.clone()),
        None => Router::new(),
    };
    Ok(prometheus::routes()
        .merge(loki::routes())
        .merge(tempo::routes())
        .merge(receivers)
        .fallback(api_error::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body))
        // The fastest level: answers are large and mostly go over fast links, where the
        // default level costs more time than the bytes it saves.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(axum::middleware::from_fn(request_log::log_request)))
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish. Every connection sends without Nagle's delay (see [`without_nagle`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(without_nagle(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// `listener`, with every connection it accepts set to send at once: with Nagle's
/// algorithm, an answer's last, partly filled segment waits for the client's delayed
/// acknowledgement (about 40 ms on Linux) whenever an earlier segment is still
/// unacknowledged, which on a kept-alive connection happens to most small answers.
fn without_nagle(
    listener: tokio::net::TcpListener,
) -> impl Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    listener.tap_io(|tcp| {
        // A socket that refuses the option still serves, only with Nagle's delay.
        let _ = tcp.set_nodelay(true);
    })
}

/// Binds `config.listen` and serves `db` until Ctrl-C or SIGTERM, on a runtime of its
/// own; `ready` is called with the bound address once connections are accepted (port 0
/// picks a free port).
pub fn run(db: Database, config: ServerConfig, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        ready(listener.local_addr()?);
        let app = router(db, config).map_err(std::io::Error::other)?;
        serve(listener, app, shutdown_signal()).await
    })
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

#[cfg(test)]
mod tests;
