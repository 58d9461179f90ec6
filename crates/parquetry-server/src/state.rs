//! What every request shares: the open store, the settings, and the query slots.

use crate::api_error::{ApiError, ErrorType};
use crate::config::ServerConfig;
use crate::prometheus::RulesNow;
use crate::receive::intake::Intake;
use parquetry::{Database, Engine};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The server's shared state.
pub struct AppState {
    db: Arc<Database>,
    /// The server's settings.
    pub config: ServerConfig,
    /// One permit per query that may be evaluated at once.
    pub slots: Arc<Semaphore>,
    /// The rules' state over the latest store version it was asked for; the lock also
    /// keeps two requests from evaluating the rules at once.
    pub rules_now: tokio::sync::Mutex<Option<Arc<RulesNow>>>,
    /// Where the receivers put what they accept; `None` when the server is read-only.
    pub intake: Option<Arc<Intake>>,
}

impl AppState {
    /// The state over `db` with `config`, read-only.
    pub fn new(db: Database, config: ServerConfig) -> AppState {
        let slots = Arc::new(Semaphore::new(config.max_concurrent_queries.max(1)));
        AppState {
            db: Arc::new(db),
            config,
            slots,
            rules_now: tokio::sync::Mutex::new(None),
            intake: None,
        }
    }

    /// The state over `db` with `config`, with the receivers' intake started (its
    /// write-ahead log replayed and committed) when `config.receive` asks for it. Must
    /// run on a Tokio runtime, where the intake's flusher runs.
    pub fn start(db: Database, config: ServerConfig) -> Result<AppState, String> {
        let mut state = AppState::new(db, config);
        if let Some(receive) = &state.config.receive {
            state.intake = Some(Intake::start(state.db.clone(), receive.clone())?);
        }
        Ok(state)
    }

    /// The newest snapshot of the store, taken on a blocking thread.
    pub async fn engine(self: &Arc<Self>) -> Result<Arc<Engine>, ApiError> {
        self.with_latest(Ok).await
    }

    /// Runs `work` over the newest snapshot of the store on one blocking thread, which
    /// also takes the snapshot (one hand-off between threads, not two): the snapshot is
    /// re-read first when a commit landed since the last one was taken (a listing of the
    /// store's log; the store itself is read again only then).
    pub async fn with_latest<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(Arc<Engine>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        blocking(move || {
            let engine = state.db.latest().map_err(|e| ApiError::from_engine(e, "query"))?;
            work(engine)
        })
        .await
    }
}

/// Runs `work` on a blocking thread and gives its result; a panic in it is an
/// `internal` error, never a dropped connection.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(ApiError::new(
            ErrorType::Internal,
            format!("the request failed: {e}"),
        ))
    })
}
