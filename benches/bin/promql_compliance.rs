//! Runs the 539 PromQL compliance queries as range queries on a Prometheus server and on a
//! Parquetry store holding the same data, and compares the answers the way the compliance
//! tester does: identical label sets and timestamps, values within a relative 1e-5, NaN
//! equal to NaN, and `should_fail` queries failing on both sides (or, where Prometheus 3
//! no longer fails on them, giving the same answer on both).
//!
//! Usage: promql-compliance PROMETHEUS_URL STORE END_UNIX_SECONDS [RANGE_S] [STEP_S]

use parquetry::promql::eval::{QueryResult, ResultSeries, StepGrid};
use parquetry::{Engine, QueryOptions};
use parquetry_benches::compare::{Matrix, diff};
use parquetry_conformance::compliance;
use parquetry_model::Labels;
use std::process::ExitCode;

fn prometheus(url: &str, query: &str, start: i64, end: i64, step: i64) -> Result<Matrix, String> {
    let seconds = |ms: i64| format!("{}", ms as f64 / 1000.0);
    let mut response = ureq::get(format!("{url}/api/v1/query_range"))
        .query("query", query)
        .query("start", seconds(start))
        .query("end", seconds(end))
        .query("step", seconds(step))
        .call()
        .map_err(|e| e.to_string())?;
    let body = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    if json["status"] != "success" {
        return Err(json["error"].to_string());
    }
    let mut out = Vec::new();
    for s in json["data"]["result"].as_array().cloned().unwrap_or_default() {
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
        let points = s["values"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let t = (p[0].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
                        let v = parquetry_model::value::parse_value(p[1].as_str().unwrap_or("NaN"))
                            .unwrap_or(f64::NAN);
                        (t, v)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push((labels, points));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn parquetry(engine: &Engine, query: &str, grid: StepGrid) -> Result<Matrix, String> {
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: promql-compliance PROMETHEUS_URL STORE END_UNIX_SECONDS [RANGE_S] [STEP_S]");
        return ExitCode::FAILURE;
    }
    let (url, store) = (&args[1], &args[2]);
    let end: i64 = args[3].parse::<i64>().unwrap_or(0) * 1000;
    let range: i64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(600) * 1000;
    let step: i64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(10) * 1000;
    let grid = StepGrid {
        start: end - range,
        end,
        step,
    };
    let engine = match Engine::open(store) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let queries = match compliance::queries() {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed, mut reference_disagrees) = (0, 0, 0);
    for case in &queries {
        let reference = prometheus(url, &case.query, grid.start, grid.end, grid.step);
        let got = parquetry(&engine, &case.query, grid);
        let verdict = match (case.should_fail, reference, got) {
            (true, Err(_), Err(_)) => None,
            // Prometheus 3 accepts some queries the list (written for 2.x) expects to fail,
            // such as UTF-8 label names; then both engines must agree on the answer.
            (true, Ok(r), Ok(g)) => {
                if diff(&r, &g).is_none() {
                    reference_disagrees += 1;
                }
                diff(&r, &g)
            }
            (true, r, g) => Some(format!(
                "must fail on both: reference failed {}, parquetry failed {}",
                r.is_err(),
                g.is_err()
            )),
            (false, Err(e), _) => Some(format!("reference failed: {e}")),
            (false, Ok(_), Err(e)) => Some(format!("parquetry failed: {e}")),
            (false, Ok(r), Ok(g)) => diff(&r, &g),
        };
        match verdict {
            None => passed += 1,
            Some(why) => {
                failed += 1;
                println!("FAIL {}\n    {why}", case.query);
            }
        }
    }
    if reference_disagrees > 0 {
        println!(
            "{reference_disagrees} should_fail queries succeed on the reference; both engines agreed on their answers"
        );
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
