//! Running one query as Prometheus does: within a concurrency slot, under a timeout,
//! and stopped as soon as its client goes away.

use crate::api_error::{ApiError, ErrorType};
use crate::state::AppState;
use parquetry::promql::eval::EvalOptions;
use parquetry::{Engine, QueryOptions};
use parquetry_model::Cancel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Cancels its token when dropped: a request future dropped because its connection
/// closed, or a query past its deadline, stops the evaluation it started (an evaluation
/// that ended is not affected).
struct CancelOnDrop(Option<Cancel>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = self.0.take() {
            cancel.cancel();
        }
    }
}

/// Evaluates `work` over the newest snapshot on a blocking thread (which also takes
/// the snapshot, so a query costs one hand-off between threads), holding one of the
/// server's query slots until it ends. The deadline is the server's query timeout, or
/// `timeout_ms` (the request's `timeout` parameter) when shorter; waiting for a slot
/// counts against it. At the deadline the answer is a `timeout` error and the token in
/// the options is cancelled: PromQL checks it between batches, LogQL before each read
/// of entries, TraceQL before each trace, remote read between batches of series. Until
/// the evaluation notices, it keeps its slot, so the bound on concurrent work holds.
/// Engine errors become API errors through `errors`.
pub async fn run_query<T: Send + 'static>(
    state: &Arc<AppState>,
    timeout_ms: Option<i64>,
    errors: fn(parquetry::Error) -> ApiError,
    work: impl FnOnce(&Engine, &QueryOptions) -> Result<T, parquetry::Error> + Send + 'static,
) -> Result<T, ApiError> {
    let mut timeout = state.config.query_timeout;
    if let Some(ms) = timeout_ms {
        timeout = timeout.min(Duration::from_millis(ms.max(0) as u64));
    }
    let deadline = Instant::now() + timeout;
    let slot = tokio::time::timeout_at(deadline.into(), state.slots.clone().acquire_owned())
        .await
        .map_err(|_| ApiError::new(ErrorType::Timeout, "query timed out in query queue"))?
        .map_err(|_| ApiError::new(ErrorType::Internal, "the server is shutting down"))?;
    let cancel = Cancel::new();
    let guard = CancelOnDrop(Some(cancel.clone()));
    let options = QueryOptions {
        eval: EvalOptions {
            lookback_ms: state.config.lookback_delta_ms,
            max_samples: state.config.max_samples,
            deadline: Some(deadline),
            cancel,
            ..EvalOptions::default()
        },
        ..QueryOptions::default()
    };
    let evaluation = state.with_latest(move |engine| {
        let _slot = slot;
        if Instant::now() >= deadline {
            return Err(ApiError::new(
                ErrorType::Timeout,
                "query timed out in query queue",
            ));
        }
        work(&engine, &options).map_err(errors)
    });
    let result = match tokio::time::timeout_at(deadline.into(), evaluation).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::from_engine(
            parquetry::Error::Eval(parquetry::promql::eval::EvalError::Timeout),
            "query",
        )),
    };
    drop(guard);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;
    use parquetry::Database;
    use std::sync::mpsc;

    fn internal(error: parquetry::Error) -> ApiError {
        ApiError::new(ErrorType::Internal, error.to_string())
    }

    /// An evaluation that runs until its token is cancelled, then says so on `seen`.
    fn until_cancelled(
        seen: mpsc::Sender<()>,
    ) -> impl FnOnce(&Engine, &QueryOptions) -> Result<(), parquetry::Error> + Send + 'static {
        move |_, options| {
            while !options.eval.cancel.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = seen.send(());
            Ok(())
        }
    }

    #[test]
    fn a_request_dropped_midway_cancels_its_evaluation_and_frees_its_slot() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store")).unwrap();
        let config = ServerConfig {
            max_concurrent_queries: 1,
            ..ServerConfig::default()
        };
        let state = Arc::new(AppState::new(db, config));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let (seen, cancelled) = mpsc::channel();
            let task = {
                let state = state.clone();
                tokio::spawn(async move { run_query(&state, None, internal, until_cancelled(seen)).await })
            };
            tokio::time::sleep(Duration::from_millis(50)).await;
            // What axum does to a request future whose client went away.
            task.abort();
            cancelled
                .recv_timeout(Duration::from_secs(10))
                .expect("the evaluation saw its token cancelled");
            let next = run_query(&state, Some(10_000), internal, |_, _| Ok(7)).await;
            assert_eq!(next, Ok(7));
        });
    }

    #[test]
    fn an_evaluation_past_its_deadline_is_cancelled_and_answers_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store")).unwrap();
        let state = Arc::new(AppState::new(db, ServerConfig::default()));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let (seen, cancelled) = mpsc::channel();
            let answer = run_query(&state, Some(50), internal, until_cancelled(seen)).await;
            assert_eq!(answer.map_err(|e| e.kind), Err(ErrorType::Timeout));
            cancelled
                .recv_timeout(Duration::from_secs(10))
                .expect("the evaluation saw its token cancelled");
        });
    }
}
