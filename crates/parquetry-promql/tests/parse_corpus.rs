//! Every query of Prometheus' own test suite and of the PromQL compliance tester parses
//! (and prints back to text that parses to the same tree), or fails to parse exactly where
//! a parse failure is expected.

mod common;

use common::{conformance_dir, floor};
use parquetry_promql::{Expr, ParseError, ParseOptions, parse_with};

/// Parses `query`, then checks that its canonical text parses back to an equal tree.
fn parse_and_reprint(query: &str, options: ParseOptions) -> Result<Expr, String> {
    let expr = parse_with(query, options).map_err(|e: ParseError| e.to_string())?;
    let printed = expr.to_string();
    match parse_with(&printed, options) {
        Ok(again) if again == expr => Ok(expr),
        Ok(again) => Err(format!(
            "printed as {printed:?}, which parses to a different tree: {again:?}"
        )),
        Err(e) => Err(format!("printed as {printed:?}, which does not parse: {e}")),
    }
}
use std::collections::BTreeMap;

/// The query of an `eval` line of the promqltest format: the rest of the line after the
/// time specification.
fn eval_query(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("eval")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '_');
    let words: Vec<&str> = rest.split_whitespace().collect();
    let skip = match *words.first()? {
        "instant" => 3, // instant at <t>
        "range" => 7,   // range from <t> to <t> step <d>
        _ => return None,
    };
    // Find where the query starts in the original text: after the skip-th word.
    let mut idx = 0;
    for w in words.iter().take(skip) {
        idx = rest[idx..].find(w).map(|i| idx + i + w.len())?;
    }
    Some(rest[idx..].trim())
}

#[test]
fn promqltest_queries_parse() {
    let dir = conformance_dir().join("promqltest");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    let mut per_file = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let (mut p, mut f) = (0, 0);
        for (n, line) in text.lines().enumerate() {
            let Some(query) = eval_query(line.trim()) else {
                continue;
            };
            match parse_and_reprint(query, ParseOptions::all()) {
                Ok(_) => p += 1,
                Err(e) => {
                    f += 1;
                    eprintln!("FAIL {}:{}: {query}\n{e}", file.display(), n + 1);
                }
            }
        }
        per_file.insert(file.file_name().unwrap().to_string_lossy().into_owned(), (p, f));
        passed += p;
        failed += f;
    }
    for (name, (p, f)) in &per_file {
        println!("{name}: {p} passed, {f} failed");
    }
    println!("promqltest parse: {passed} passed, {failed} failed, 0 skipped");
    assert!(
        passed >= floor("promql_parse_promqltest"),
        "below the recorded floor"
    );
    assert_eq!(failed, 0, "every promqltest query must parse");
}

#[derive(serde::Deserialize)]
struct QueryFile {
    test_cases: Vec<TestCase>,
}

#[derive(serde::Deserialize)]
struct TestCase {
    query: String,
    #[serde(default)]
    variant_args: Vec<String>,
    #[serde(default)]
    should_fail: bool,
}

/// The compliance tester's built-in variant values.
fn variants(name: &str) -> &'static [&'static str] {
    match name {
        "range" => &["1s", "15s", "1m", "5m", "15m", "1h"],
        "offset" => &["1m", "5m", "10m"],
        "simpleAggrOp" => &["sum", "avg", "max", "min", "count", "stddev", "stdvar"],
        "simpleTimeAggrOp" => &[
            "sum", "avg", "max", "min", "count", "stddev", "stdvar", "absent", "last",
        ],
        "topBottomOp" => &["topk", "bottomk"],
        "quantile" => &["-0.5", "0.1", "0.5", "0.75", "0.95", "0.90", "0.99", "1", "1.5"],
        "arithBinOp" => &["+", "-", "*", "/", "%", "^"],
        "compBinOp" => &["==", "!=", "<", ">", "<=", ">="],
        "binOp" => &["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">="],
        "simpleMathFunc" => &[
            "abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "round",
        ],
        "extrapolatedRateFunc" => &["delta", "rate", "increase"],
        "instantRateFunc" => &["idelta", "irate"],
        "clampFunc" => &["clamp_min", "clamp_max"],
        "dateFunc" => &[
            "day_of_month",
            "day_of_week",
            "days_in_month",
            "hour",
            "minute",
            "month",
            "year",
        ],
        other => panic!("unknown variant {other}"),
    }
}

/// Expands a template over the cross product of its variant values.
fn expand(query: &str, args: &[String]) -> Vec<String> {
    let mut out = vec![query.to_string()];
    for arg in args {
        let placeholder = format!("{{{{.{arg}}}}}");
        out = out
            .iter()
            .flat_map(|q| variants(arg).iter().map(|v| q.replace(&placeholder, v)))
            .collect();
    }
    out
}

/// The one compliance query that Prometheus rejects while parsing (the other
/// `should_fail` queries fail during evaluation).
const PARSE_FAILURES: &[&str] = &[r#"{__name__=~".*"}"#];

#[test]
fn compliance_queries_parse() {
    let path = conformance_dir().join("promql-compliance/promql-test-queries.yml");
    let file: QueryFile = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (mut passed, mut failed, mut total) = (0, 0, 0);
    for case in &file.test_cases {
        for query in expand(&case.query, &case.variant_args) {
            total += 1;
            let must_fail = case.should_fail && PARSE_FAILURES.contains(&query.as_str());
            match (parse_and_reprint(&query, ParseOptions::default()), must_fail) {
                (Ok(_), false) | (Err(_), true) => passed += 1,
                (Ok(_), true) => {
                    failed += 1;
                    eprintln!("FAIL (parsed but must not): {query}");
                }
                (Err(e), false) => {
                    failed += 1;
                    eprintln!("FAIL {query}\n{e}");
                }
            }
        }
    }
    println!("compliance parse: {passed} passed, {failed} failed, 0 skipped ({total} expanded queries)");
    assert_eq!(total, 539, "118 templates expand to 539 queries");
    assert!(
        passed >= floor("promql_parse_compliance"),
        "below the recorded floor"
    );
    assert_eq!(failed, 0);
}
