//! Parser and printer: every operator, intrinsic, scope, stage and metrics function
//! parses to the tree it means, prints canonically and reads back the same; bad input
//! is refused with its position.

use super::ast::*;
use super::parse;
use parquetry_spans::{SpanKind, StatusCode};

fn filter(q: &str) -> FieldExpr {
    match parse(q).unwrap().spansets {
        SpansetExpr::Filter(f) => f,
        other => panic!("{q}: not a filter: {other:?}"),
    }
}

fn attr(scope: AttributeScope, name: &str) -> FieldExpr {
    FieldExpr::Attribute(Attribute {
        scope,
        name: name.into(),
    })
}

fn bin(l: FieldExpr, op: BinaryOp, r: FieldExpr) -> FieldExpr {
    FieldExpr::Binary(Box::new(l), op, Box::new(r))
}

fn st(s: Static) -> FieldExpr {
    FieldExpr::Static(s)
}

/// Prints `q`, parses the print, and checks the tree is the same and the print stable.
fn round_trip(q: &str) -> String {
    let parsed = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let printed = parsed.to_string();
    let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
    assert_eq!(again, parsed, "{q} printed as {printed}");
    assert_eq!(again.to_string(), printed);
    printed
}

#[test]
fn empty_selector_matches_everything() {
    assert_eq!(filter("{}"), st(Static::Bool(true)));
    assert_eq!(round_trip("{ }"), "{}");
}

#[test]
fn every_comparison_operator() {
    for (text, op) in [
        ("=", BinaryOp::Eq),
        ("!=", BinaryOp::Ne),
        ("<", BinaryOp::Lt),
        ("<=", BinaryOp::Le),
        (">", BinaryOp::Gt),
        (">=", BinaryOp::Ge),
        ("=~", BinaryOp::Match),
        ("!~", BinaryOp::NotMatch),
    ] {
        let q = format!("{{ span.x {text} \"v\" }}");
        assert_eq!(
            filter(&q),
            bin(
                attr(AttributeScope::Span, "x"),
                op,
                st(Static::String("v".into()))
            ),
            "{q}"
        );
        round_trip(&q);
    }
}

#[test]
fn arithmetic_binds_by_precedence() {
    let q = "{ span.a + span.b * 2 ^ 3 ^ 2 > 10 && .c = 1 || !(.d = 2) }";
    let printed = round_trip(q);
    assert_eq!(
        printed,
        "{ span.a + span.b * 2 ^ 3 ^ 2 > 10 && .c = 1 || !(.d = 2) }"
    );
    let FieldExpr::Binary(and, BinaryOp::Or, not) = filter(q) else {
        panic!("|| is loosest")
    };
    assert!(matches!(*not, FieldExpr::Not(_)));
    let FieldExpr::Binary(cmp, BinaryOp::And, _) = *and else {
        panic!("&& binds tighter than ||")
    };
    let FieldExpr::Binary(sum, BinaryOp::Gt, _) = *cmp else {
        panic!("comparison binds looser than arithmetic")
    };
    let FieldExpr::Binary(_, BinaryOp::Add, product) = *sum else {
        panic!("+ over *")
    };
    let FieldExpr::Binary(_, BinaryOp::Mul, power) = *product else {
        panic!("* over ^")
    };
    let FieldExpr::Binary(_, BinaryOp::Pow, right) = *power else {
        panic!("^")
    };
    assert!(
        matches!(*right, FieldExpr::Binary(_, BinaryOp::Pow, _)),
        "^ groups from the right"
    );
    for op in ["-", "/", "%"] {
        round_trip(&format!("{{ span.a {op} 2 > 0 }}"));
    }
    assert_eq!(
        round_trip("{ (span.a - span.b) - span.c = 1 }"),
        "{ span.a - span.b - span.c = 1 }"
    );
    assert_eq!(
        round_trip("{ span.a - (span.b - span.c) = 1 }"),
        "{ span.a - (span.b - span.c) = 1 }"
    );
    assert_eq!(round_trip("{ -span.a < -5 }"), "{ -span.a < -5 }");
}

#[test]
fn every_literal_kind() {
    let cases = [
        ("nil", Static::Nil),
        ("true", Static::Bool(true)),
        ("false", Static::Bool(false)),
        ("42", Static::Int(42)),
        ("-7", Static::Int(-7)),
        ("1.5", Static::Float(1.5)),
        ("250ms", Static::Duration(250_000_000)),
        ("1.5s", Static::Duration(1_500_000_000)),
        ("1h30m", Static::Duration(5_400_000_000_000)),
        ("100us", Static::Duration(100_000)),
        ("\"a\\\"b\"", Static::String("a\"b".into())),
        ("`raw\\n`", Static::String("raw\\n".into())),
        ("error", Static::Status(StatusCode::Error)),
        ("ok", Static::Status(StatusCode::Ok)),
        ("unset", Static::Status(StatusCode::Unset)),
        ("server", Static::Kind(SpanKind::Server)),
        ("client", Static::Kind(SpanKind::Client)),
        ("producer", Static::Kind(SpanKind::Producer)),
        ("consumer", Static::Kind(SpanKind::Consumer)),
        ("internal", Static::Kind(SpanKind::Internal)),
        ("unspecified", Static::Kind(SpanKind::Unspecified)),
    ];
    for (text, value) in cases {
        let q = format!("{{ .x = {text} }}");
        assert_eq!(
            filter(&q),
            bin(attr(AttributeScope::Any, "x"), BinaryOp::Eq, st(value)),
            "{q}"
        );
        round_trip(&q);
    }
    round_trip("{ .x = 0.000001 }");
    round_trip(&format!("{{ .x = {} }}", i64::MIN));
    round_trip("{ .x = 100000000000000000000.0 }");
    round_trip("{ .x = \"tab\\tline\\nquote\\\"\\u0001\" }");
}

#[test]
fn every_intrinsic_in_both_spellings() {
    for (text, intrinsic) in Intrinsic::SPELLINGS {
        let q = format!("{{ {text} != nil }}");
        assert_eq!(
            filter(&q),
            bin(FieldExpr::Intrinsic(intrinsic), BinaryOp::Ne, st(Static::Nil)),
            "{q}"
        );
        let printed = round_trip(&q);
        assert!(printed.contains(intrinsic.as_str()));
    }
    assert_eq!(round_trip("{ span:duration > 1s }"), "{ duration > 1s }");
    assert_eq!(
        round_trip("{ trace:rootService = \"a\" }"),
        "{ rootServiceName = \"a\" }"
    );
}

#[test]
fn every_attribute_scope_and_quoted_names() {
    for (text, scope) in [
        ("span", AttributeScope::Span),
        ("resource", AttributeScope::Resource),
        ("event", AttributeScope::Event),
        ("link", AttributeScope::Link),
        ("instrumentation", AttributeScope::Instrumentation),
    ] {
        let q = format!("{{ {text}.http.request.method = \"GET\" }}");
        let FieldExpr::Binary(a, ..) = filter(&q) else {
            panic!("{q}")
        };
        assert_eq!(*a, attr(scope, "http.request.method"));
        round_trip(&q);
    }
    let FieldExpr::Binary(a, ..) = filter("{ .service.name = \"x\" }") else {
        panic!()
    };
    assert_eq!(*a, attr(AttributeScope::Any, "service.name"));
    let FieldExpr::Binary(a, ..) = filter("{ span.\"with space\" = 1 }") else {
        panic!()
    };
    assert_eq!(*a, attr(AttributeScope::Span, "with space"));
    assert_eq!(
        round_trip("{ span.\"with space\" = 1 }"),
        "{ span.\"with space\" = 1 }"
    );
    round_trip("{ resource.k8s.pod-name = \"p\" && span.net/peer = 1 }");
}

#[test]
fn every_spanset_operator() {
    for op in [
        "&&", "||", ">", ">>", "<", "<<", "~", "!>", "!>>", "!<", "!<<", "!~", "&>", "&>>", "&<", "&<<", "&~",
    ] {
        let q = format!("{{ .a = 1 }} {op} {{ .b = 2 }}");
        let SpansetExpr::Binary(_, parsed, _) = parse(&q).unwrap().spansets else {
            panic!("{q}")
        };
        assert_eq!(parsed.as_str(), op, "{q}");
        assert_eq!(round_trip(&q), q);
    }
    // Structural operators bind tighter than &&, which binds tighter than ||.
    let q = parse("{ .a = 1 } > { .b = 2 } && { .c = 3 } || { .d = 4 }").unwrap();
    let SpansetExpr::Binary(and, SpansetOp::Or, _) = q.spansets else {
        panic!()
    };
    let SpansetExpr::Binary(child, SpansetOp::And, _) = *and else {
        panic!()
    };
    assert!(matches!(
        *child,
        SpansetExpr::Binary(_, SpansetOp::Structural(..), _)
    ));
    assert_eq!(
        round_trip("{ .a = 1 } > ({ .b = 2 } > { .c = 3 })"),
        "{ .a = 1 } > ({ .b = 2 } > { .c = 3 })"
    );
    assert_eq!(
        round_trip("({ .a = 1 } > { .b = 2 }) > { .c = 3 }"),
        "{ .a = 1 } > { .b = 2 } > { .c = 3 }"
    );
}

#[test]
fn every_pipeline_stage() {
    let q = "{ status = error } | by(resource.service.name) | count() > 2 | avg(duration) >= 20ms \
             | min(duration) < 1s | max(span.size) > 3 | sum(span.size) <= 10 | { kind = server } \
             | select(span.http.route, .x) | coalesce()";
    let parsed = parse(q).unwrap();
    let SpansetExpr::Pipeline(_, stages) = &parsed.spansets else {
        panic!()
    };
    assert_eq!(stages.len(), 9);
    assert!(matches!(stages[0], Stage::By(_)));
    assert!(matches!(
        &stages[1],
        Stage::Scalar(ScalarFilter {
            lhs: ScalarExpr::Aggregate(Aggregate::Count, None),
            op: BinaryOp::Gt,
            ..
        })
    ));
    assert!(matches!(stages[6], Stage::Filter(_)));
    assert!(matches!(stages[7], Stage::Select(_)));
    assert_eq!(stages[8], Stage::Coalesce);
    round_trip(q);
    assert_eq!(
        round_trip("({ .a = 1 } | count() > 1) && { .b = 2 }"),
        "({ .a = 1 } | count() > 1) && { .b = 2 }"
    );
    round_trip("{} | avg(duration) > 2 * min(duration) + 1ms");
    round_trip("{} | count() > -1");
}

#[test]
fn every_metrics_function() {
    for f in [
        "rate()",
        "count_over_time()",
        "min_over_time(duration)",
        "max_over_time(span.size)",
        "avg_over_time(duration)",
        "sum_over_time(span.bytes)",
        "quantile_over_time(duration, 0.99, 0.5)",
        "histogram_over_time(duration)",
    ] {
        for tail in [
            "",
            " by (resource.service.name)",
            " by (name, kind) | topk(3)",
            " | bottomk(1)",
        ] {
            let q = format!("{{ status = error }} | {f}{tail}");
            assert_eq!(round_trip(&q), q);
            assert!(parse(&q).unwrap().metrics.is_some());
        }
    }
    let q = parse("{} | quantile_over_time(duration, .9)").unwrap();
    assert_eq!(
        q.metrics.unwrap().function,
        MetricsFunction::QuantileOverTime(FieldExpr::Intrinsic(Intrinsic::Duration), vec![0.9])
    );
}

#[test]
fn hints_end_a_query() {
    let q = parse("{ status = error } | rate() with(most_recent=true, sample=0.1,exemplars = 5)").unwrap();
    let hint = |name: &str, value| Hint {
        name: name.to_string(),
        value,
    };
    assert_eq!(
        q.hints,
        vec![
            hint("most_recent", Static::Bool(true)),
            hint("sample", Static::Float(0.1)),
            hint("exemplars", Static::Int(5)),
        ]
    );
    assert_eq!(
        q.to_string(),
        "{ status = error } | rate() with (most_recent = true, sample = 0.1, exemplars = 5)"
    );
    assert_eq!(
        round_trip("{ .a = 1 } >> { } with (most_recent = true)"),
        "{ .a = 1 } >> {} with (most_recent = true)"
    );
    assert!(parse("{ .a = 1 }").unwrap().hints.is_empty());
}

#[test]
fn errors_say_where_and_why() {
    let cases = [
        ("{ .a = }", 8, "expected a value"),
        ("{ .a = 1", 9, "expected an operator or '}'"),
        ("{ foo = 1 }", 3, "unknown intrinsic \"foo\""),
        ("{ .a = 1 } >", 13, "expected a span selector"),
        (
            "{ .a = 1 } | count() >",
            23,
            "expected an aggregate, a number or a duration",
        ),
        ("{ .a = 1 } | frobnicate()", 14, "an aggregate"),
        ("{ .a = 1 = 2 }", 12, "cannot be chained"),
        ("{ .a = 5xs }", 8, "not a number or a duration"),
        ("{ .a = \"open }", 8, "unterminated string"),
        ("({ .a = 1 } | rate())", 15, "must end the query"),
        ("{} | quantile_over_time(duration)", 33, "at least one quantile"),
        ("{} | quantile_over_time(duration, 2)", 35, "not between 0 and 1"),
        ("{} | rate() | topk(0)", 20, "positive whole number"),
        ("{} {}", 4, "expected an operator"),
        ("{ span. = 1 }", 8, "expected an attribute name after"),
        ("{} with (most_recent)", 21, "expected '=' after the hint's name"),
        ("{} with (most_recent = span.a)", 24, "must be a literal"),
        ("{} with (a = 1 b = 2)", 16, "expected ',' or ')'"),
        (
            "{} with (a = 1) | count() > 1",
            17,
            "expected the end of the query",
        ),
    ];
    for (q, column, message) in cases {
        let e = parse(q).expect_err(q);
        assert!(e.message.contains(message), "{q}: {e}");
        assert_eq!(e.column, column, "{q}: {e}");
    }
    let deep = format!("{}{{}}{}", "(".repeat(2000), ")".repeat(2000));
    assert!(parse(&deep).unwrap_err().message.contains("nested"));
}
