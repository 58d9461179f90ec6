//! `/loki/api/v1/labels`, `/loki/api/v1/label/<name>/values`, `/loki/api/v1/series`
//! and `/loki/api/v1/index/stats`: what the streams with entries in `[start, end]` are,
//! optionally narrowed by a stream selector.

use super::params::LokiParams;
use super::{LokiError, loki_errors, parse_message, success};
use crate::api_error::ApiError;
use crate::label_lists;
use crate::params::Params;
use crate::prometheus::{json_body, label_objects};
use crate::query_run::run_query;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use parquetry::Engine;
use parquetry::logql::syntax::parse_selector;
use parquetry::logs::read::LogQuery;
use parquetry::model::{Cancel, Labels, Matcher};
use std::sync::Arc;

const NANOS_PER_MS: i64 = 1_000_000;

/// The streams a request asks about: selectors (any of them; none for every stream)
/// and a time range in nanoseconds.
struct StreamSelection {
    selectors: Vec<Vec<Matcher>>,
    start: i64,
    end: i64,
}

impl StreamSelection {
    /// Reads `start`, `end` and the selectors in the parameters `names`.
    fn read(params: &Params, names: &[&str]) -> Result<StreamSelection, ApiError> {
        let (start, end) = LokiParams(params).bounds()?;
        if end < start {
            return Err(ApiError::bad_data(
                "end timestamp must not be before or equal to start time",
            ));
        }
        let mut selectors = Vec::new();
        for name in names {
            for text in params.all(name) {
                if text.is_empty() {
                    continue;
                }
                selectors.push(parse_selector(text).map_err(|e| ApiError::bad_data(parse_message(&e)))?);
            }
        }
        Ok(StreamSelection {
            selectors,
            start,
            end,
        })
    }

    /// The label sets of the chosen streams, sorted, each once.
    fn label_sets(&self, engine: &Engine) -> Result<Vec<Arc<Labels>>, ApiError> {
        let logs = engine.logs().map_err(loki_errors)?;
        let catalog = logs.catalog();
        let (min_ms, max_ms) = (
            self.start.div_euclid(NANOS_PER_MS),
            self.end.div_euclid(NANOS_PER_MS),
        );
        let mut found: Vec<Arc<Labels>> = Vec::new();
        if self.selectors.is_empty() {
            found.extend(
                logs.streams()
                    .iter()
                    .filter(|e| e.max_time >= min_ms && e.min_time <= max_ms)
                    .map(|e| e.labels.clone()),
            );
        }
        for matchers in &self.selectors {
            let chosen = catalog
                .select(matchers, min_ms, max_ms)
                .map_err(|e| ApiError::bad_data(e.to_string()))?;
            found.extend(chosen.iter().map(|&o| logs.streams()[o as usize].labels.clone()));
        }
        found.sort();
        found.dedup();
        Ok(found)
    }
}

/// The label names of the chosen streams (`query` narrows them), sorted.
pub async fn names(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, LokiError> {
    let selection = StreamSelection::read(&params, &["query"])?;
    let names = state
        .with_latest(move |engine| Ok(label_lists::names(&selection.label_sets(&engine)?)))
        .await?;
    Ok(success(names.into_iter().collect::<Vec<_>>().into()))
}

/// The values label `name` takes in the chosen streams (`query` narrows them), sorted.
pub async fn values(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    params: Params,
) -> Result<Response, LokiError> {
    let selection = StreamSelection::read(&params, &["query"])?;
    let values = state
        .with_latest(move |engine| Ok(label_lists::values(&selection.label_sets(&engine)?, &name)))
        .await?;
    Ok(success(values.into_iter().collect::<Vec<_>>().into()))
}

/// The label sets of the streams that any `match[]` (or `match`) selector chooses;
/// every stream in the range when there is none.
pub async fn series(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, LokiError> {
    let selection = StreamSelection::read(&params, &["match[]", "match"])?;
    let sets = state
        .with_latest(move |engine| selection.label_sets(&engine))
        .await?;
    Ok(success(label_objects(&sets)))
}

/// `{"streams":…,"chunks":…,"bytes":…,"entries":…}` for the streams `query` selects in
/// `[start, end)`: streams, and pieces of them (one stream in one data file), from the
/// catalog; entries and line bytes counted exactly by LogQL.
pub async fn stats(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, LokiError> {
    let selection = StreamSelection::read(&params, &["query"])?;
    let text = params.value("query").to_string();
    let [matchers] = <[Vec<Matcher>; 1]>::try_from(selection.selectors)
        .map_err(|_| ApiError::bad_data("give one stream selector in query"))?;
    let (start, end) = (selection.start, selection.end);
    let body = run_query(&state, None, loki_errors, move |engine, options| {
        let cancel = &options.eval.cancel;
        let logs = engine.logs()?;
        let query = LogQuery {
            matchers,
            start,
            end,
            ..LogQuery::default()
        };
        let (streams, chunks) = logs.pieces(&query)?;
        let entries = total(engine, &format!("count_over_time({text}"), start, end, cancel)?;
        let bytes = total(engine, &format!("bytes_over_time({text}"), start, end, cancel)?;
        Ok(serde_json::json!({
            "streams": streams,
            "chunks": chunks,
            "bytes": bytes as u64,
            "entries": entries as u64,
        }))
    })
    .await?;
    Ok(json_body(body.to_string()))
}

/// `sum(<head>[end − start]))` at `end`: the total of a range aggregation whose opening
/// (`count_over_time({…}`) is `head`, over the entries in `[start, end)`; its reads stop
/// once `cancel` is cancelled.
fn total(
    engine: &Engine,
    head: &str,
    start: i64,
    end: i64,
    cancel: &Cancel,
) -> Result<f64, parquetry::Error> {
    use parquetry::logql::{QueryOutput, QueryParams, eval::metric::MetricResult};
    let range_ms = ((end - start) / NANOS_PER_MS).max(1);
    let query = format!("sum({head}[{range_ms}ms]))");
    // The window is (t − range, t]; evaluating a nanosecond before `end` makes it
    // [start, end) for whole-millisecond ranges.
    let params = QueryParams {
        cancel: cancel.clone(),
        ..QueryParams::instant(end - 1)
    };
    let answer = engine.logql(&query, &params)?;
    let value = match answer.output {
        QueryOutput::Metric(MetricResult::Vector(series)) => {
            series.first().and_then(|s| s.points.first()).map(|&(_, v)| v)
        }
        _ => None,
    };
    Ok(value.unwrap_or(0.0))
}
