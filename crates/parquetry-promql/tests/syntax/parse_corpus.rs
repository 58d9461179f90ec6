//! Every query of Prometheus' own test suite and of the PromQL compliance tester parses
//! (and prints back to text that parses to the same tree), or fails to parse exactly where
//! a parse failure is expected.

use parquetry_conformance::floors::floor;
use parquetry_conformance::{compliance, conformance_dir_or_skip, promqltest_queries};
use parquetry_promql::{Expr, ParseOptions, parse_with};
use std::collections::BTreeMap;

/// Parses `query`, then checks that its canonical text parses back to an equal tree.
fn parse_and_reprint(query: &str, options: ParseOptions) -> Result<Expr, String> {
    let expr = parse_with(query, options).map_err(|e| e.to_string())?;
    let printed = expr.to_string();
    match parse_with(&printed, options) {
        Ok(again) if again == expr => Ok(expr),
        Ok(again) => Err(format!(
            "printed as {printed:?}, which parses to a different tree: {again:?}"
        )),
        Err(e) => Err(format!("printed as {printed:?}, which does not parse: {e}")),
    }
}

#[test]
fn promqltest_queries_parse() {
    if conformance_dir_or_skip("parsing the promqltest queries").is_none() {
        return;
    }
    let queries = promqltest_queries::all().unwrap();
    let mut per_file: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for q in &queries {
        let name = q.file.file_name().unwrap().to_string_lossy().into_owned();
        let entry = per_file.entry(name).or_default();
        match parse_and_reprint(&q.query, ParseOptions::all()) {
            Ok(_) => entry.0 += 1,
            Err(e) => {
                entry.1 += 1;
                eprintln!("FAIL {}:{}: {}\n{e}", q.file.display(), q.line, q.query);
            }
        }
    }
    for (name, (p, f)) in &per_file {
        println!("{name}: {p} passed, {f} failed");
    }
    let passed: usize = per_file.values().map(|v| v.0).sum();
    let failed: usize = per_file.values().map(|v| v.1).sum();
    println!("promqltest parse: {passed} passed, {failed} failed, 0 skipped");
    assert!(
        passed >= floor("promql_parse_promqltest").unwrap(),
        "below the recorded floor"
    );
    assert_eq!(failed, 0, "every promqltest query must parse");
}

/// The one compliance query that Prometheus rejects while parsing (the other
/// `should_fail` queries fail during evaluation).
const PARSE_FAILURES: &[&str] = &[r#"{__name__=~".*"}"#];

#[test]
fn compliance_queries_parse() {
    if conformance_dir_or_skip("parsing the compliance queries").is_none() {
        return;
    }
    let queries = compliance::queries().unwrap();
    let (mut passed, mut failed) = (0, 0);
    for case in &queries {
        let must_fail = case.should_fail && PARSE_FAILURES.contains(&case.query.as_str());
        match (parse_and_reprint(&case.query, ParseOptions::default()), must_fail) {
            (Ok(_), false) | (Err(_), true) => passed += 1,
            (Ok(_), true) => {
                failed += 1;
                eprintln!("FAIL (parsed but must not): {}", case.query);
            }
            (Err(e), false) => {
                failed += 1;
                eprintln!("FAIL {}\n{e}", case.query);
            }
        }
    }
    println!("compliance parse: {passed} passed, {failed} failed, 0 skipped");
    assert_eq!(queries.len(), 539, "118 templates expand to 539 queries");
    assert!(
        passed >= floor("promql_parse_compliance").unwrap(),
        "below the recorded floor"
    );
    assert_eq!(failed, 0);
}
