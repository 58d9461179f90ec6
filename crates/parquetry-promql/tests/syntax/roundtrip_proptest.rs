//! Property tests of the parser and printer: random well-formed trees print to text that
//! parses back to the same tree, and arbitrary text never makes the parser panic.

use parquetry_model::{MatchOp, Matcher};
use parquetry_promql::syntax::ast::*;
use parquetry_promql::syntax::functions::lookup;
use parquetry_promql::{ParseOptions, parse_with};
use proptest::prelude::*;

fn span() -> Span {
    Span::default()
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_][a-z0-9_]{0,6}",
        1 => "[a-z]{1,3}\\.[a-z]{1,3}",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9 ]{0,8}",
        1 => "[\"'\\\\\n\t\u{e9}\u{1F600}a-z]{0,6}",
    ]
}

fn metric_name() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => "[a-z_][a-z0-9_:]{0,8}".prop_filter("not a keyword", |n| !is_keyword(n)),
        1 => "[a-z]{1,4}\\.[a-z]{1,4}",
    ]
}

/// Words that cannot stand alone as a metric name.
fn is_keyword(n: &str) -> bool {
    let lower = n.to_ascii_lowercase();
    AggOp::from_name(&lower).is_some()
        || [
            "and",
            "or",
            "unless",
            "atan2",
            "bool",
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "offset",
            "inf",
            "nan",
            "anchored",
            "smoothed",
        ]
        .contains(&lower.as_str())
}

fn matcher() -> impl Strategy<Value = Matcher> {
    (label_name(), 0u8..4, label_value(), "[a-z]{1,3}(\\|[a-z]{1,3})?")
        .prop_filter("__name__ is set through the name", |(n, ..)| n != "__name__")
        .prop_map(|(name, op, value, regex)| match op {
            0 => Matcher::new(MatchOp::Equal, name, value).unwrap(),
            1 => Matcher::new(MatchOp::NotEqual, name, value).unwrap(),
            2 => Matcher::new(MatchOp::RegexMatch, name, regex).unwrap(),
            _ => Matcher::new(MatchOp::RegexNoMatch, name, regex).unwrap(),
        })
}

fn duration_literal() -> impl Strategy<Value = DurationExpr> {
    prop_oneof![
        (1i64..100_000_000).prop_map(|ms| DurationExpr::Literal {
            ms,
            as_number: false,
            span: span()
        }),
        (1i64..100_000).prop_map(|s| DurationExpr::Literal {
            ms: s * 100,
            as_number: true,
            span: span()
        }),
    ]
}

fn duration_expr() -> impl Strategy<Value = DurationExpr> {
    prop_oneof![
        3 => duration_literal(),
        1 => (duration_literal(), duration_literal(), 0usize..4).prop_map(|(a, b, op)| {
            let op = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div][op];
            DurationExpr::Binary { op, lhs: Box::new(a), rhs: Box::new(b), span: span() }
        }),
        1 => Just(DurationExpr::Step(span())),
    ]
}

/// An offset: an atom, so arithmetic is parenthesised.
fn offset() -> impl Strategy<Value = Option<DurationExpr>> {
    prop_oneof![
        3 => Just(None),
        2 => duration_literal().prop_map(Some),
        1 => (-100_000i64..-1).prop_map(|ms| Some(DurationExpr::Literal { ms, as_number: false, span: span() })),
        1 => duration_expr().prop_map(|d| Some(match d {
            b @ DurationExpr::Binary { .. } => DurationExpr::Paren(Box::new(b), span()),
            other => other,
        })),
    ]
}

fn at() -> impl Strategy<Value = Option<At>> {
    prop_oneof![
        4 => Just(None),
        1 => (-1_000_000_000i64..1_000_000_000).prop_map(|ms| Some(At::Timestamp(ms))),
        1 => Just(Some(At::Start)),
        1 => Just(Some(At::End)),
    ]
}

fn selector(with_modifiers: bool) -> impl Strategy<Value = VectorSelector> {
    (
        proptest::option::of(metric_name()),
        proptest::collection::vec(matcher(), 0..3),
        offset(),
        at(),
    )
        .prop_filter_map(
            "a selector needs a non-empty matcher",
            move |(name, mut matchers, offset, at)| {
                if let Some(n) = &name {
                    matchers.insert(0, Matcher::equal("__name__", n.clone()));
                }
                if matchers.iter().all(Matcher::matches_empty) {
                    return None;
                }
                let modifiers = if with_modifiers {
                    TimeModifiers { offset, at }
                } else {
                    TimeModifiers::default()
                };
                Some(VectorSelector {
                    name,
                    matchers,
                    modifiers,
                    mode: RangeMode::Default,
                    span: span(),
                })
            },
        )
}

fn number() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => (-1e6f64..1e6).prop_map(|v| Expr::Number { value: Number(v), duration: false, span: span() }),
        1 => prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN), Just(1e300), Just(-0.0)]
            .prop_map(|v| Expr::Number { value: Number(v), duration: false, span: span() }),
        1 => (1i64..10_000_000).prop_map(|ms| Expr::Number { value: Number(ms as f64 / 1000.0), duration: true, span: span() }),
    ]
}

fn paren(e: Expr) -> Expr {
    Expr::Paren {
        expr: Box::new(e),
        span: span(),
    }
}

/// Wraps `e` in parentheses where the parser would otherwise read it differently as the
/// operand of `op` on the given side.
fn operand(e: Expr, op: BinOp, left: bool) -> Expr {
    let needs = match &e {
        Expr::Binary(b) => {
            let (p, q) = (b.op.precedence(), op.precedence());
            p < q || (p == q && (left == op.right_associative()))
        }
        Expr::Unary { .. } => left && op == BinOp::Pow,
        // Numbers printed with a sign (`-1`, `+Inf`) read as a unary operation there.
        Expr::Number { value, .. } => {
            left && op == BinOp::Pow && (value.0.is_sign_negative() || value.0 == f64::INFINITY)
        }
        _ => false,
    };
    if needs { paren(e) } else { e }
}

/// Wraps what cannot be followed directly by `[…]`.
fn subquery_inner(e: Expr) -> Expr {
    match e {
        Expr::Binary(_) | Expr::Unary { .. } | Expr::Number { .. } => paren(e),
        other => other,
    }
}

fn binary(
    op: BinOp,
    lhs: Expr,
    rhs: Expr,
    both_vectors: bool,
    on: bool,
    labels: Vec<String>,
    group: u8,
) -> Expr {
    let scalar_compare = op.is_comparison() && !both_vectors;
    let mut matching = VectorMatching {
        card: if op.is_set_operator() {
            Cardinality::ManyToMany
        } else {
            Cardinality::OneToOne
        },
        ..VectorMatching::default()
    };
    if both_vectors {
        matching.on = on;
        matching.labels = labels.clone();
        if !op.is_set_operator() && group > 0 {
            matching.card = if group == 1 {
                Cardinality::ManyToOne
            } else {
                Cardinality::OneToMany
            };
            matching.include = vec!["inc".to_string()];
            matching.labels.retain(|l| l != "inc");
        }
    }
    Expr::Binary(BinaryExpr {
        op,
        lhs: Box::new(operand(lhs, op, true)),
        rhs: Box::new(operand(rhs, op, false)),
        return_bool: scalar_compare || (op.is_comparison() && group == 3),
        matching,
        fill: Fill::default(),
        span: span(),
    })
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(Call {
        func: lookup(name).unwrap(),
        args,
        span: span(),
    })
}

const ARITH: [BinOp; 10] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Mod,
    BinOp::Pow,
    BinOp::Atan2,
    BinOp::Eql,
    BinOp::Lss,
    BinOp::Gte,
];

fn scalar_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![3 => number(), 1 => Just(call("time", vec![]))];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), 0usize..ARITH.len()).prop_map(|(a, b, op)| binary(
                ARITH[op],
                a,
                b,
                false,
                false,
                vec![],
                0
            )),
            inner.clone().prop_map(paren),
        ]
    })
}

fn vector_expr() -> impl Strategy<Value = Expr> {
    let leaf = selector(true).prop_map(Expr::VectorSelector);
    leaf.prop_recursive(4, 24, 3, |inner| {
        let matrix = prop_oneof![
            (selector(false), duration_expr(), offset(), at()).prop_map(|(mut s, range, offset, at)| {
                s.modifiers = TimeModifiers { offset, at };
                Expr::MatrixSelector(MatrixSelector {
                    selector: s,
                    range,
                    span: span(),
                })
            }),
            (
                inner.clone(),
                duration_literal(),
                proptest::option::of(duration_literal()),
                offset()
            )
                .prop_map(|(e, range, step, offset)| Expr::Subquery(Subquery {
                    expr: Box::new(subquery_inner(e)),
                    range,
                    step,
                    modifiers: TimeModifiers { offset, at: None },
                    span: span(),
                })),
        ];
        let groups = || proptest::collection::vec(label_name(), 0..3);
        prop_oneof![
            matrix.clone().prop_map(|m| call("rate", vec![m])),
            (scalar_expr(), matrix).prop_map(|(q, m)| call("quantile_over_time", vec![q, m])),
            inner.clone().prop_map(|v| call("abs", vec![v])),
            (inner.clone(), "[a-z]{1,4}").prop_map(|(v, l)| call(
                "label_replace",
                vec![
                    v,
                    Expr::String {
                        value: l,
                        span: span()
                    },
                    Expr::String {
                        value: "$1".into(),
                        span: span()
                    },
                    Expr::String {
                        value: "src".into(),
                        span: span()
                    },
                    Expr::String {
                        value: "(.*)".into(),
                        span: span()
                    }
                ]
            )),
            (inner.clone(), 0usize..8, groups(), any::<bool>()).prop_map(|(v, op, labels, without)| {
                let op = [
                    AggOp::Sum,
                    AggOp::Avg,
                    AggOp::Max,
                    AggOp::Count,
                    AggOp::Group,
                    AggOp::Stddev,
                    AggOp::Min,
                    AggOp::Stdvar,
                ][op];
                let grouping = if without {
                    Grouping::Without(labels)
                } else {
                    Grouping::By(labels)
                };
                Expr::Aggregate(AggregateExpr {
                    op,
                    param: None,
                    expr: Box::new(v),
                    grouping,
                    span: span(),
                })
            }),
            (inner.clone(), scalar_expr(), groups()).prop_map(|(v, k, labels)| Expr::Aggregate(
                AggregateExpr {
                    op: AggOp::Topk,
                    param: Some(Box::new(k)),
                    expr: Box::new(v),
                    grouping: Grouping::By(labels),
                    span: span(),
                }
            )),
            (
                inner.clone(),
                inner.clone(),
                0usize..ARITH.len(),
                any::<bool>(),
                groups(),
                0u8..4
            )
                .prop_map(|(a, b, op, on, labels, group)| binary(ARITH[op], a, b, true, on, labels, group)),
            (inner.clone(), inner.clone(), 0usize..3).prop_map(|(a, b, op)| {
                binary(
                    [BinOp::And, BinOp::Or, BinOp::Unless][op],
                    a,
                    b,
                    true,
                    false,
                    vec![],
                    0,
                )
            }),
            (inner.clone(), scalar_expr(), 0usize..ARITH.len(), any::<bool>()).prop_map(
                |(v, s, op, flip)| {
                    if flip {
                        binary(ARITH[op], s, v, false, false, vec![], 0)
                    } else {
                        binary(ARITH[op], v, s, false, false, vec![], 0)
                    }
                }
            ),
            (inner.clone(), any::<bool>()).prop_map(|(v, negate)| {
                let v = match v {
                    b @ Expr::Binary(_) => paren(b),
                    other => other,
                };
                Expr::Unary {
                    negate,
                    expr: Box::new(v),
                    span: span(),
                }
            }),
            inner.prop_map(paren),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_trees_parse_back_to_themselves(e in prop_oneof![vector_expr(), scalar_expr()]) {
        let text = e.to_string();
        let parsed = parse_with(&text, ParseOptions::all());
        prop_assert!(parsed.is_ok(), "{text}: {}", parsed.unwrap_err());
        let parsed = parsed.unwrap();
        prop_assert_eq!(&parsed, &e, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[a-z_(){}\\[\\]:,=~!\"'`0-9.@+*/%^<># \n-]{0,60}") {
        let _ = parse_with(&s, ParseOptions::all());
    }

    #[test]
    fn arbitrary_unicode_never_panics(s in "\\PC{0,40}") {
        let _ = parse_with(&s, ParseOptions::all());
    }
}
