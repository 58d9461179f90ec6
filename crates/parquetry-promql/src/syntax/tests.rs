//! Parser and printer tests on hand-picked queries.

use super::ast::*;
use super::*;

fn exp(src: &str) -> Expr {
    parse_with(src, ParseOptions::all()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn printed(src: &str) -> String {
    exp(src).to_string()
}

fn err(src: &str) -> ParseError {
    match parse_with(src, ParseOptions::all()) {
        Ok(e) => panic!("{src} parsed as {e}"),
        Err(e) => e,
    }
}

#[test]
fn canonical_forms() {
    for (src, want) in [
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("0x3d", "61"),
        ("-Inf", "-Inf"),
        ("+Inf", "+Inf"),
        ("nan", "NaN"),
        ("1_000", "1000"),
        ("5m", "5m"),
        ("-0s", "-0s"),
        ("--0s", "0s"),
        ("foo", "foo"),
        (r#"{__name__="foo"}"#, r#"{__name__="foo"}"#),
        (r#"foo{c!~"d", a='b'}"#, r#"foo{a="b",c!~"d"}"#),
        (r#"{"my.metric", "a.b"="x"}"#, r#"{"my.metric","a.b"="x"}"#),
        ("rate(foo[5m])", "rate(foo[5m])"),
        ("foo offset -5m", "foo offset -5m"),
        ("foo @ 100 offset 1m", "foo @ 100.000 offset 1m"),
        ("foo OFFSET 1m @ start()", "foo @ start() offset 1m"),
        ("sum(rate(foo[5m])) by (job)", "sum by (job) (rate(foo[5m]))"),
        ("SUM BY (job) (foo)", "sum by (job) (foo)"),
        ("sum without () (foo)", "sum without () (foo)"),
        ("sum by () (foo)", "sum(foo)"),
        ("topk(5, foo)", "topk(5, foo)"),
        ("a + on(x) group_left(y) b", "a + on (x) group_left (y) b"),
        ("a + ignoring() b", "a + b"),
        ("a > bool 1", "a > bool 1"),
        ("a and on() b", "a and on () b"),
        ("a + fill(0) b", "a + fill(0) b"),
        (
            "a + fill_left(1) fill_right(2) b",
            "a + fill_left(1) fill_right(2) b",
        ),
        ("rate(foo[5m:])", "rate(foo[5m:])"),
        (
            "max_over_time(rate(foo[1m])[5m:30s] offset 1m)",
            "max_over_time(rate(foo[1m])[5m:30s] offset 1m)",
        ),
        ("foo[26m+4m]", "foo[26m + 4m]"),
        ("foo[1800]", "foo[30m]"),
        ("foo offset (2 * 2)", "foo offset (2 * 2)"),
        ("foo offset -step()", "foo offset -step()"),
        ("increase(foo[1m] anchored)", "increase(foo[1m] anchored)"),
        ("'a\\'b'", r#""a'b""#),
        ("# comment\nfoo # trailing\n", "foo"),
    ] {
        assert_eq!(printed(src), want, "{src}");
    }
}

#[test]
fn precedence_and_associativity() {
    let shape = |src: &str| -> String {
        fn s(e: &Expr) -> String {
            match e {
                Expr::Binary(b) => format!("({} {} {})", s(&b.lhs), b.op.as_str(), s(&b.rhs)),
                Expr::Unary { negate, expr, .. } => {
                    format!("({}{})", if *negate { "-" } else { "+" }, s(expr))
                }
                Expr::Paren { expr, .. } => s(expr),
                other => other.to_string(),
            }
        }
        s(&exp(src))
    };
    assert_eq!(shape("1 + 2 * 3"), "(1 + (2 * 3))");
    assert_eq!(shape("1 - 2 - 3"), "((1 - 2) - 3)");
    assert_eq!(shape("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
    assert_eq!(shape("-2 ^ 2"), "(-(2 ^ 2))");
    assert_eq!(shape("-a * b"), "((-a) * b)");
    assert_eq!(shape("a or b and c"), "(a or (b and c))");
    assert_eq!(shape("a == b + c"), "(a == (b + c))");
    assert_eq!(shape("a atan2 b * c"), "((a atan2 b) * c)");
    assert_eq!(shape("1 - -1"), "(1 - -1)");
    assert_eq!(
        shape("metric1_total offset 100 + 2"),
        "(metric1_total offset 1m40s + 2)"
    );
    assert_eq!(
        shape("metric1_total offset -2 * 2"),
        "(metric1_total offset -2s * 2)"
    );
}

#[test]
fn errors_name_position_and_expectation() {
    for (src, col, msg) in [
        ("rate(foo[5m)", 12, "expected ']' or ':'"),
        ("sum(foo", 8, "expected ',' or ')'"),
        ("foo{a=\"b\"", 10, "expected ',' or '}'"),
        ("1 +", 4, "expected an expression, found the end of the query"),
        ("foo bar", 5, "expected an operator or the end of the query"),
        ("nosuch(foo)", 1, "unknown function with name \"nosuch\""),
        (
            "rate(foo)",
            6,
            "expected type range vector in call to function \"rate\", got instant vector",
        ),
        ("rate(foo[5m], 1)", 1, "expected 1 argument(s)"),
        (
            "sum(foo[5m])",
            5,
            "expected type instant vector in aggregation expression, got range vector",
        ),
        ("1 > 2", 1, "comparisons between scalars must use BOOL modifier"),
        (
            "a + bool b",
            5,
            "bool modifier can only be used on comparison operators",
        ),
        ("1 and 2", 1, "set operator \"and\" not allowed"),
        ("(foo)[5m]", 6, "ranges only allowed for vector selectors"),
        (
            "foo offset 5m [1m]",
            15,
            "no offset modifiers allowed before range",
        ),
        (
            "foo offset 1m offset 2m",
            15,
            "offset may not be set multiple times",
        ),
        ("1 offset 5m", 3, "offset modifier must be preceded by"),
        ("{a=~\".*\"}", 1, "at least one non-empty matcher"),
        ("foo[5m][1m]", 8, "ranges only allowed for vector selectors"),
        ("rate(foo[5m],)", 14, "trailing commas not allowed"),
        (
            "topk(foo)",
            1,
            "wrong number of arguments for aggregate expression provided, expected 2, got 1",
        ),
        ("foo[1.5m]", 5, "invalid number or duration \"1.5m\""),
        ("\"unterminated", 1, "unterminated string"),
        (
            "a + on(x) group_left(x) b",
            11,
            "must not occur in ON and GROUP clause",
        ),
        (
            "a and on(x) group_left b",
            13,
            "no grouping allowed for \"and\" operation",
        ),
    ] {
        let e = err(src);
        assert!(e.message.contains(msg), "{src}: {e}");
        assert_eq!(e.column, col, "{src}: {e}");
    }
}

#[test]
fn experimental_syntax_needs_the_option() {
    for src in [
        "limitk(1, foo)",
        "info(foo)",
        "foo[5m+1m]",
        "increase(foo[1m] anchored)",
        "a + fill(0) b",
    ] {
        assert!(parse(src).is_err(), "{src} needs experimental syntax");
        assert!(parse_with(src, ParseOptions::all()).is_ok(), "{src}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep).message.contains("nested more than"));
    let unary = format!("{}1", "-".repeat(100_000));
    assert!(err(&unary).message.contains("nested more than"));
    let long = vec!["1"; 900].join(" + ");
    assert!(parse(&long).is_ok(), "long flat expressions are fine");
    let too_long = vec!["1"; 20_000].join(" + ");
    assert!(err(&too_long).message.contains("nested more than"));
    let ok = format!("{}1{}", "(".repeat(50), ")".repeat(50));
    assert!(parse(&ok).is_ok());
}

#[test]
fn spans_cover_the_source() {
    let src = "sum(rate(foo[5m])) + 1";
    let e = exp(src);
    assert_eq!(e.span().start, 0);
    assert_eq!(e.span().end, src.len());
    let Expr::Binary(b) = e else { panic!() };
    assert_eq!(&src[b.lhs.span().start..b.lhs.span().end], "sum(rate(foo[5m]))");
}
