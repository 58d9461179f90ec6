//! `/api/search` (TraceQL in `q`, or Tempo's tag search in `tags`, `minDuration` and
//! `maxDuration`) and `/api/metrics/query_range` (TraceQL metrics).

use super::{TempoError, count, json, optional_time, tempo_errors};
use crate::api_error::ApiError;
use crate::params::Params;
use crate::query_run::run_query;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use parquetry::Engine;
use parquetry::logql::default_step;
use parquetry::traceql::eval::{MetricsParams, SearchParams};
use std::sync::Arc;

const NANOS_PER_MS: i64 = 1_000_000;

/// `[start, end)` in nanoseconds: the request's, or else the stored spans' own range.
fn range(engine: &Engine, start: Option<i64>, end: Option<i64>) -> Result<(i64, i64), parquetry::Error> {
    let stored = engine.spans().time_range_ns().unwrap_or((0, 1));
    let range = (start.unwrap_or(stored.0), end.unwrap_or(stored.1));
    if range.1 <= range.0 {
        return Err(parquetry::Error::InvalidArgument(
            "end timestamp must not be before or equal to start time".into(),
        ));
    }
    Ok(range)
}

/// A duration parameter (`100ms`, `2m`, or seconds) in nanoseconds, if given.
fn duration(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    Ok(params
        .optional_duration(name)?
        .map(|ms| ms.saturating_mul(NANOS_PER_MS)))
}

/// A TraceQL literal for a tag search value: numbers and booleans as themselves, the
/// rest as a quoted string.
fn literal(value: &str) -> String {
    if value.parse::<i64>().is_ok()
        || value.parse::<f64>().is_ok_and(f64::is_finite)
        || value == "true"
        || value == "false"
    {
        value.to_string()
    } else {
        serde_json::Value::from(value).to_string()
    }
}

/// Tempo's tag search as one TraceQL spanset filter: `tags` is logfmt (`k=v k2="v 2"`),
/// each pair an attribute equality (`name` and `status` are the intrinsics), and the
/// durations bound the trace's.
fn tag_query(tags: &str, min: Option<i64>, max: Option<i64>) -> Result<String, ApiError> {
    let mut conditions = Vec::new();
    for (key, value) in logfmt_pairs(tags)? {
        conditions.push(match key.as_str() {
            "name" => format!("name = {}", serde_json::Value::from(value.as_str())),
            "status" | "status.code" => format!("status = {value}"),
            _ => format!(".{key} = {}", literal(&value)),
        });
    }
    if let Some(min) = min {
        conditions.push(format!("traceDuration >= {}ns", min));
    }
    if let Some(max) = max {
        conditions.push(format!("traceDuration <= {}ns", max));
    }
    if conditions.is_empty() {
        return Ok("{}".to_string());
    }
    Ok(format!("{{ {} }}", conditions.join(" && ")))
}

/// The `key=value` pairs of a logfmt line; values may be double-quoted.
fn logfmt_pairs(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    let bad = || ApiError::bad_data(format!("invalid tags {text:?}: expected key=value pairs"));
    let mut pairs = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or_else(bad)?;
        let key = rest[..eq].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(bad());
        }
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.ok_or_else(bad)?;
            let value: String =
                serde_json::from_str(&format!("\"{}\"", &quoted[..end])).map_err(|_| bad())?;
            (value, &quoted[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        pairs.push((key.to_string(), value));
        rest = next.trim_start();
    }
    Ok(pairs)
}

/// `/api/search`: `q` (TraceQL) or `tags`, `minDuration`, `maxDuration`, `limit` (20),
/// `spss` (3 spans per spanset), `start` and `end` (the stored range by default).
pub async fn search(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, TempoError> {
    let limit = count(&params, "limit", 20)?;
    let spss = count(&params, "spss", 3)?;
    let start = optional_time(&params, "start")?;
    let end = optional_time(&params, "end")?;
    let min = duration(&params, "minDuration")?;
    let max = duration(&params, "maxDuration")?;
    let q = params.value("q").trim().to_string();
    // A TraceQL query keeps its own semantics; the duration bounds then filter the
    // traces it found.
    let (query, filter) = if q.is_empty() {
        (tag_query(params.value("tags"), min, max)?, false)
    } else {
        (q, min.is_some() || max.is_some())
    };
    let result = run_query(&state, None, tempo_errors, move |engine, options| {
        let (start_ns, end_ns) = range(engine, start, end)?;
        let search_params = SearchParams {
            start_ns,
            end_ns,
            limit: if filter { usize::MAX } else { limit },
            spans_per_spanset: spss,
        };
        let mut result = engine.traceql_search_until(&query, &search_params, &options.eval.cancel)?;
        if filter {
            result
                .traces
                .retain(|t| min.is_none_or(|m| t.duration_ns >= m) && max.is_none_or(|m| t.duration_ns <= m));
            result.traces.truncate(limit);
        }
        Ok(result)
    })
    .await?;
    Ok(json(result.to_tempo_json()))
}

/// `/api/metrics/query_range`: a TraceQL metrics query (`q`) from `start` to `end` (the
/// stored range by default) every `step` (Loki's default from the range).
pub async fn metrics_range(
    State(state): State<Arc<AppState>>,
    params: Params,
) -> Result<Response, TempoError> {
    let start = optional_time(&params, "start")?;
    let end = optional_time(&params, "end")?;
    let step = duration(&params, "step")?;
    if step.is_some_and(|s| s <= 0) {
        return Err(ApiError::bad_data("step must be positive").into());
    }
    let q = params.value("q").to_string();
    let result = run_query(&state, None, tempo_errors, move |engine, options| {
        let (start_ns, end_ns) = range(engine, start, end)?;
        let metrics_params = MetricsParams {
            start_ns,
            end_ns,
            step_ns: step.unwrap_or_else(|| default_step(start_ns, end_ns)),
        };
        engine.traceql_metrics_until(&q, &metrics_params, &options.eval.cancel)
    })
    .await?;
    Ok(json(result.to_tempo_json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_search_becomes_one_spanset_filter() {
        assert_eq!(
            tag_query(
                r#"service.name=api http.status_code=500 name="GET /x""#,
                Some(1_000),
                None
            )
            .unwrap(),
            r#"{ .service.name = "api" && .http.status_code = 500 && name = "GET /x" && traceDuration >= 1000ns }"#
        );
        assert_eq!(tag_query("", None, None).unwrap(), "{}");
        assert!(tag_query("novalue", None, None).is_err());
        assert!(tag_query(r#"a="open"#, None, None).is_err());
    }
}
