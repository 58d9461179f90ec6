//! Runs the 539 PromQL compliance queries as range queries on a Prometheus server and on a
//! Parquetry store holding the same data, and compares the answers the way the compliance
//! tester does: identical label sets and timestamps, values within a relative 1e-5, NaN
//! equal to NaN, and `should_fail` queries failing on both sides (or, where Prometheus 3
//! no longer fails on them, giving the same answer on both).
//!
//! STORE may also be the URL of a `parquetry serve` (`http://…`): Parquetry's answers
//! then come through its HTTP API, read exactly as Prometheus' are, and every query also
//! goes to both servers' `/api/v1/format_query` and `/api/v1/parse_query`, whose bodies
//! must be equal (counted on a line of their own).
//!
//! With QUERIES_FILE (one query per line; blank lines and `#` comments skipped), its
//! queries are compared instead of the compliance list, answers and annotations alike.
//!
//! Usage: promql-compliance PROMETHEUS_URL STORE|PARQUETRY_URL END_UNIX_SECONDS [RANGE_S] [STEP_S] [QUERIES_FILE]

use parquetry::Engine;
use parquetry::promql::eval::StepGrid;
use parquetry_benches::compare::{api_answer, diff, parquetry_range, prometheus_range, range_annotations};
use parquetry_conformance::{compliance, promqltest_queries};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!(
            "usage: promql-compliance PROMETHEUS_URL STORE|PARQUETRY_URL END_UNIX_SECONDS [RANGE_S] [STEP_S] [QUERIES_FILE]"
        );
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
    let engine = if store.starts_with("http://") {
        None
    } else {
        match Engine::open(store) {
            Ok(e) => Some(e),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let own_list = args.get(6);
    let listed = match own_list {
        Some(path) => queries_in(path),
        None => compliance::queries(),
    };
    let queries = match listed {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed, mut reference_disagrees) = (0, 0, 0);
    for case in &queries {
        let reference = prometheus_range(url, &case.query, grid);
        let got = match &engine {
            Some(engine) => parquetry_range(engine, &case.query, grid),
            None => prometheus_range(store, &case.query, grid),
        };
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
    let through = if engine.is_none() {
        format!(" (Parquetry answering through {store})")
    } else {
        String::new()
    };
    println!("{passed} passed, {failed} failed{through}");
    if engine.is_none() {
        let (notes_passed, notes_failed, annotated) = compare_annotations(url, store, &queries, grid);
        println!(
            "{notes_passed} passed, {notes_failed} failed (warnings and infos of the queries, {annotated} of them with some, {store} against Prometheus)"
        );
        failed += notes_failed;
    }
    if engine.is_none() && own_list.is_none() {
        let texts: Vec<String> = queries.iter().map(|c| c.query.clone()).collect();
        let (syntax_passed, syntax_failed, _) = compare_syntax(url, store, &texts, true);
        println!(
            "{syntax_passed} passed, {syntax_failed} failed (format_query and parse_query of the compliance queries, {store} against Prometheus)"
        );
        failed += syntax_failed;
        // The promqltest scripts follow a newer Prometheus than the reference, with syntax
        // 3.5 refuses; their differences are counted, not failed on.
        match promqltest_queries::all() {
            Ok(more) => {
                let texts: Vec<String> = more.into_iter().map(|q| q.query).collect();
                let (same, differ, accepted) = compare_syntax(url, store, &texts, false);
                println!(
                    "{same} equal, {differ} different (format_query and parse_query of the promqltest queries, informational: {accepted} of the differences are queries Prometheus 3.5 accepts)"
                );
            }
            Err(e) => println!("promqltest queries not compared: {e}"),
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The queries of a file, one per line, none expected to fail.
fn queries_in(path: &str) -> Result<Vec<compliance::ComplianceQuery>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|query| compliance::ComplianceQuery {
            query: query.to_string(),
            should_fail: false,
        })
        .collect())
}

/// Runs every query on both servers and compares the warnings and infos of their
/// answers; returns how many agreed, how many did not (each printed), and how many of
/// the reference's answers had any.
fn compare_annotations(
    reference: &str,
    ours: &str,
    queries: &[compliance::ComplianceQuery],
    grid: StepGrid,
) -> (usize, usize, usize) {
    let (mut passed, mut failed, mut annotated) = (0, 0, 0);
    for case in queries {
        let theirs = range_annotations(reference, &case.query, grid);
        let got = range_annotations(ours, &case.query, grid);
        if theirs.as_ref().is_ok_and(|(w, i)| !w.is_empty() || !i.is_empty()) {
            annotated += 1;
        }
        if theirs.is_ok() && theirs == got {
            passed += 1;
        } else {
            failed += 1;
            println!(
                "FAIL annotations of {}\n    reference: {theirs:?}\n    parquetry: {got:?}",
                case.query
            );
        }
    }
    (passed, failed, annotated)
}

/// Asks both servers to format and to parse every query. Returns how many answers were
/// equal, how many differed (each printed when `print` is set), and how many of the
/// differences were to queries the reference accepted.
fn compare_syntax(reference: &str, ours: &str, queries: &[String], print: bool) -> (usize, usize, usize) {
    let (mut equal, mut differ, mut accepted) = (0, 0, 0);
    for query in queries {
        for path in ["/api/v1/format_query", "/api/v1/parse_query"] {
            let theirs = api_answer(reference, path, &[("query", query)]);
            let got = api_answer(ours, path, &[("query", query)]);
            if theirs.is_ok() && theirs == got {
                equal += 1;
                continue;
            }
            differ += 1;
            if theirs.as_ref().is_ok_and(|t| t["status"] == "success") {
                accepted += 1;
            }
            if print {
                println!("FAIL {path} {query}\n    reference: {theirs:?}\n    parquetry: {got:?}");
            }
        }
    }
    (equal, differ, accepted)
}
