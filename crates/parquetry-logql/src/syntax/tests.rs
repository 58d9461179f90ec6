use super::ast::*;
use super::parse;

/// Parses, prints, parses again: the trees must be equal.
fn round_trip(q: &str) -> Expr {
    let e = parse(q).unwrap_or_else(|err| panic!("{q}: {err}"));
    let printed = e.to_string();
    let again = parse(&printed).unwrap_or_else(|err| panic!("{q} printed as {printed}: {err}"));
    assert_eq!(again, e, "{q} printed as {printed}");
    e
}

fn error(q: &str) -> String {
    match parse(q) {
        Ok(e) => panic!("{q} parsed as {e}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn log_queries_with_pipelines() {
    let e = round_trip(
        r#"{app="api", env=~"prod|staging"} |= "error" != "timeout" | json | level="error" and status >= 500 | line_format "{{.msg}}""#,
    );
    let Expr::Log(log) = e else { panic!() };
    assert_eq!(log.matchers.len(), 2);
    assert_eq!(log.pipeline.len(), 5);
    round_trip(r#"{a="b"} |~ "x" or "y" |> "<_> GET <_>" != ip("10.0.0.0/8")"#);
    round_trip(r#"{a="b"} | logfmt --strict --keep-empty msg, e="err" | drop a, b="c" | keep d"#);
    round_trip(
        r#"{a="b"} | json x="a.b[0]", y | regexp "(?P<n>\\d+)" | pattern "<ip> <_>" | unpack | decolorize"#,
    );
    round_trip(
        r#"{a="b"} | label_format x=y, z="{{.w}}" | took > 1.5s or size <= 10MiB, addr = ip("1.2.3.4")"#,
    );
    round_trip(r#"{a="b"} | (a="1" or b="2") c="3""#);
}

#[test]
fn metric_queries() {
    let e = round_trip(r#"sum by (service) (count_over_time({source="app"} | json | level="error" [5m]))"#);
    let Expr::VectorAggregation(agg) = e else { panic!() };
    assert_eq!(agg.op, VectorOp::Sum);
    round_trip(
        r#"quantile_over_time(0.95, {a="b"} | logfmt | unwrap duration(took) | __error__="" [5m] offset -1h) by (x)"#,
    );
    round_trip(
        r#"topk(3, rate({a="b"}[1m])) / ignoring (x) group_left (y) sum without (z) (bytes_rate({a="b"}[1m]))"#,
    );
    round_trip(r#"label_replace(rate({a="b"}[1m]), "d", "$1", "s", "(.*)") or vector(0)"#);
    round_trip("-1 + 2 * 3 ^ 2 ^ 0x1p3");
    round_trip(r#"count_over_time({a="b"}[1m] |= "x")"#);
    round_trip(r#"count_over_time(({a="b"} |= "x")[1m])"#);
    round_trip(r#"sum_over_time({a="b"}[1m] | unwrap v)"#);
}

#[test]
fn range_placements_mean_the_same() {
    let forms = [
        r#"count_over_time({a="b"} |= "x" [5m] offset 1m)"#,
        r#"count_over_time({a="b"}[5m] offset 1m |= "x")"#,
        r#"count_over_time(({a="b"} |= "x")[5m] offset 1m)"#,
        r#"count_over_time((({a="b"} |= "x" [5m] offset 1m)))"#,
    ];
    let first = parse(forms[0]).unwrap();
    for f in &forms[1..] {
        assert_eq!(parse(f).unwrap(), first, "{f}");
    }
}

#[test]
fn errors_are_positioned() {
    let e = parse(r#"rate({a="b"}[5minutes])"#).unwrap_err();
    assert_eq!((e.line, e.column), (1, 14));
    assert!(e.message.contains("unknown unit"), "{e}");
    assert!(error(r#"sum_over_time({a="b"}[1m])"#).contains("without unwrap"));
    assert!(error(r#"count_over_time({a="b"} | logfmt | unwrap v [1m])"#).contains("with unwrap"));
    assert!(error(r#"rate({a="b"}[1m]) by (x)"#).contains("grouping not allowed"));
    assert!(error(r#"topk(1.5, rate({a="b"}[1m]))"#).contains("integer"));
    assert!(error(r#"{a="b"} + {a="b"}"#).contains("leg"));
    assert!(error(r#"{a=~".*"}"#).contains("empty-compatible"));
    assert!(error(r#"{a="b"} | logfmt | unwrap x"#).contains("unwrap"));
    assert!(error(r#"sum_over_time({a="b"} | unwrap x | json [1m])"#).contains("only label filters"));
    assert!(error(r#"unknown({a="b"}[1m])"#).contains("unknown function"));
    assert!(error(r#"{a="b"} | regexp "(""#).contains("regexp"));
    assert!(error(r#"{a="b"} | x == "y""#).contains("string"));
    assert!(error(r#"{a="b"}[5m]"#).contains("range"));
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let q = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(error(&q).contains("nested"));
}
