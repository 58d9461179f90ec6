//! `/loki/api/v1/index/volume` and `/loki/api/v1/index/volume_range`: the line bytes of
//! the streams a selector chooses, summed by the labels the selector names (or by
//! `targetLabels`), largest first, at most `limit` of them.

use super::params::LokiParams;
use super::{LokiError, parse_message, run_logql};
use crate::api_error::ApiError;
use crate::params::Params;
use crate::prometheus::json_body;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use parquetry::logql::eval::api_json::to_loki_json;
use parquetry::logql::eval::metric::{MetricResult, MetricSeries};
use parquetry::logql::syntax::parse_selector;
use parquetry::logql::{Answer, Grid, QueryOutput, QueryParams, default_step};
use std::sync::Arc;

const NANOS_PER_MS: i64 = 1_000_000;

/// What a volume request asks for.
struct VolumeRequest {
    selector: String,
    by: Vec<String>,
    start: i64,
    end: i64,
    limit: usize,
}

impl VolumeRequest {
    fn read(params: &Params) -> Result<VolumeRequest, ApiError> {
        let loki = LokiParams(params);
        let (start, end) = loki.bounds()?;
        if end < start {
            return Err(ApiError::bad_data(
                "end timestamp must not be before or equal to start time",
            ));
        }
        let limit = loki.limit()?;
        match params.value("aggregateBy") {
            "" | "series" => {}
            "labels" => {
                return Err(ApiError::bad_data(
                    "aggregateBy=labels is not supported; volumes are aggregated by series",
                ));
            }
            _ => return Err(ApiError::bad_data("invalid aggregation option")),
        }
        let selector = params.value("query").to_string();
        let matchers = parse_selector(&selector).map_err(|e| ApiError::bad_data(parse_message(&e)))?;
        let targets: Vec<String> = params
            .value("targetLabels")
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        let by = if targets.is_empty() {
            let mut named: Vec<String> = matchers.iter().map(|m| m.name.clone()).collect();
            named.sort();
            named.dedup();
            named
        } else {
            targets
        };
        Ok(VolumeRequest {
            selector,
            by,
            start,
            end,
            limit,
        })
    }

    /// `sum by (…) (bytes_over_time(<selector>[range]))`.
    fn query(&self, range_ns: i64) -> String {
        let range_ms = (range_ns / NANOS_PER_MS).max(1);
        format!(
            "sum by ({}) (bytes_over_time({}[{range_ms}ms]))",
            self.by.join(", "),
            self.selector
        )
    }
}

/// Keeps the `limit` series with the most bytes over all their points, largest first.
fn largest(mut answer: Answer, limit: usize) -> Answer {
    if let QueryOutput::Metric(MetricResult::Vector(series)) = &mut answer.output {
        let total = |s: &MetricSeries| s.points.iter().map(|&(_, v)| v).sum::<f64>();
        series.sort_by(|a, b| {
            total(b)
                .total_cmp(&total(a))
                .then_with(|| a.labels.cmp(&b.labels))
        });
        series.truncate(limit);
    }
    answer
}

/// The volume over `[start, end)` at `end`, as an instant vector.
pub async fn instant(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, LokiError> {
    let request = VolumeRequest::read(&params)?;
    let query = request.query(request.end - request.start);
    // The window is (t − range, t]: a nanosecond before `end` it is [start, end).
    let query_params = QueryParams::instant(request.end - 1);
    let answer = run_logql(&state, query, query_params).await?;
    Ok(json_body(to_loki_json(&largest(answer, request.limit))))
}

/// The volume per `step` (Loki's default from the range) from `start` to `end`, as a
/// matrix.
pub async fn range(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, LokiError> {
    let request = VolumeRequest::read(&params)?;
    let step = LokiParams(&params)
        .duration("step")?
        .unwrap_or_else(|| default_step(request.start, request.end));
    if step <= 0 {
        return Err(ApiError::bad_data(
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        )
        .into());
    }
    let query = request.query(step);
    let query_params = QueryParams::range(Grid {
        start: request.start,
        end: request.end,
        step,
    });
    let answer = run_logql(&state, query, query_params).await?;
    Ok(json_body(to_loki_json(&largest(answer, request.limit))))
}
