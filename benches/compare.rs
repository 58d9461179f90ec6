//! Comparing answers of two engines the way the PromQL compliance tester does: identical
//! label sets and timestamps, values within a relative 1e-5, NaN equal to NaN.

use parquetry::promql::eval::{QueryResult, ResultSeries, StepGrid};
use parquetry::{Engine, QueryOptions};
use parquetry_model::Labels;

/// A matrix as compared: series sorted by labels, points `(ms, value)`.
pub type Matrix = Vec<(Labels, Vec<(i64, f64)>)>;

/// True when two values agree within the tester's tolerance.
pub fn equal(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-5 * a.abs().min(b.abs())
}

/// The first difference between the reference and the result, if any.
pub fn diff(reference: &Matrix, got: &Matrix) -> Option<String> {
    for (l, _) in reference {
        if !got.iter().any(|(g, _)| g == l) {
            return Some(format!("missing series {l}"));
        }
    }
    for (l, _) in got {
        if !reference.iter().any(|(r, _)| r == l) {
            return Some(format!("extra series {l}"));
        }
    }
    for ((l, want), (_, have)) in reference.iter().zip(got) {
        if want.len() != have.len() {
            return Some(format!(
                "{l}: {} points expected, {} found",
                want.len(),
                have.len()
            ));
        }
        for (w, h) in want.iter().zip(have) {
            if w.0 != h.0 || !equal(w.1, h.1) {
                return Some(format!(
                    "{l}: first difference at {}: expected {:?}, got {:?}",
                    w.0, w, h
                ));
            }
        }
    }
    None
}

/// A range query's answer from a Prometheus server's HTTP API, as a sorted matrix; the
/// server's error message when it refuses the query.
pub fn prometheus_range(url: &str, query: &str, grid: StepGrid) -> Result<Matrix, String> {
    matrix_of(range_answer(url, query, grid)?)
}

/// An instant query's answer at `time_s` (Unix seconds) from a Prometheus server's HTTP
/// API, as a sorted matrix of one point per series (a scalar is one series without
/// labels); the server's error message when it refuses the query.
pub fn prometheus_instant(url: &str, query: &str, time_s: i64) -> Result<Matrix, String> {
    let time = time_s.to_string();
    matrix_of(api_answer(
        url,
        "/api/v1/query",
        &[("query", query), ("time", &time)],
    )?)
}

/// The series of a query answer's JSON (a matrix, a vector or a scalar), sorted by labels.
fn matrix_of(json: serde_json::Value) -> Result<Matrix, String> {
    if json["status"] != "success" {
        return Err(json["error"].to_string());
    }
    let data = &json["data"];
    if data["resultType"] == "scalar" {
        return Ok(vec![(Labels::empty(), vec![point(&data["result"])])]);
    }
    let mut out = Vec::new();
    for s in data["result"].as_array().cloned().unwrap_or_default() {
        let labels = Labels::from_pairs(
            s["metric"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
        let points = match s["values"].as_array() {
            Some(ps) => ps.iter().map(point).collect(),
            None => vec![point(&s["value"])],
        };
        out.push((labels, points));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// One `[seconds, "value"]` pair of an answer, as `(ms, value)`.
fn point(p: &serde_json::Value) -> (i64, f64) {
    let t = (p[0].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
    let v = parquetry_model::value::parse_value(p[1].as_str().unwrap_or("NaN")).unwrap_or(f64::NAN);
    (t, v)
}

/// The JSON body of `GET url/path?params…` from a Prometheus-compatible server, whatever
/// its status code (an error body is an answer to compare too).
pub fn api_answer(url: &str, path: &str, params: &[(&str, &str)]) -> Result<serde_json::Value, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(format!("{url}{path}"));
    for (name, value) in params {
        request = request.query(*name, *value);
    }
    let mut response = request.call().map_err(|e| e.to_string())?;
    let body = read_body(&mut response)?;
    serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))
}

/// The JSON body of a range query over `grid` from a Prometheus-compatible server.
fn range_answer(url: &str, query: &str, grid: StepGrid) -> Result<serde_json::Value, String> {
    let seconds = |ms: i64| format!("{}", ms as f64 / 1000.0);
    let (start, end, step) = (seconds(grid.start), seconds(grid.end), seconds(grid.step));
    let params = [
        ("query", query),
        ("start", &start),
        ("end", &end),
        ("step", &step),
    ];
    api_answer(url, "/api/v1/query_range", &params)
}

/// The warnings and infos (each list sorted: Prometheus lists them in no set order) of a
/// range query's answer from a Prometheus-compatible server.
pub fn range_annotations(
    url: &str,
    query: &str,
    grid: StepGrid,
) -> Result<(Vec<String>, Vec<String>), String> {
    let body = range_answer(url, query, grid)?;
    let list = |key: &str| {
        let mut texts: Vec<String> = body[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        texts.sort();
        texts
    };
    Ok((list("warnings"), list("infos")))
}

/// The same range query's answer from Parquetry, as a sorted matrix (a scalar result is
/// one series without labels); the error message when it fails.
pub fn parquetry_range(engine: &Engine, query: &str, grid: StepGrid) -> Result<Matrix, String> {
    let series: Vec<ResultSeries> = match engine.query_range(query, grid, &QueryOptions::default()) {
        Ok(QueryResult::Vector(s)) => s,
        Ok(QueryResult::Scalar(points)) => vec![ResultSeries {
            labels: Labels::empty(),
            points,
        }],
        Ok(other) => return Err(format!("unexpected result {other:?}")),
        Err(e) => return Err(e.to_string()),
    };
    let mut out: Matrix = series.into_iter().map(|s| (s.labels, s.points)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A response body read in full, however large (ureq stops at 10 MiB unless told; a
/// matrix of 30,000 series is larger).
pub fn read_body(response: &mut ureq::http::Response<ureq::Body>) -> Result<String, String> {
    response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_string()
        .map_err(|e| e.to_string())
}
