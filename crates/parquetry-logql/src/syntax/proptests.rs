//! Property tests of the parser and printer: random well-formed trees print to text that
//! parses back to the same tree, and arbitrary text never makes the parser panic.

use super::ast::*;
use super::parse;
use super::parser::is_reserved;
use parquetry_model::{MatchOp, Matcher};
use proptest::prelude::*;

fn span() -> Span {
    Span::default()
}

fn name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("not a reserved word", |n| !is_reserved(n))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9 .:=<>_-]{0,10}",
        1 => "[\"'`\\\\\n\t\u{e9}\u{1F600}{}a-z]{0,6}",
    ]
}

fn matcher() -> impl Strategy<Value = Matcher> {
    (name(), 0u8..4, text(), "[a-z]{1,3}(\\|[a-z]{1,3})?").prop_map(|(name, op, value, regex)| match op {
        0 => Matcher::new(MatchOp::Equal, name, value).unwrap(),
        1 => Matcher::new(MatchOp::NotEqual, name, value).unwrap(),
        2 => Matcher::new(MatchOp::RegexMatch, name, regex).unwrap(),
        _ => Matcher::new(MatchOp::RegexNoMatch, name, regex).unwrap(),
    })
}

fn selector() -> impl Strategy<Value = Vec<Matcher>> {
    (name(), "[a-z]{1,5}", prop::collection::vec(matcher(), 0..3)).prop_map(|(n, v, mut rest)| {
        rest.insert(0, Matcher::equal(n, v));
        rest
    })
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Neq,
        CompareOp::Gt,
        CompareOp::Gte,
        CompareOp::Lt,
        CompareOp::Lte,
    ])
}

fn label_filter() -> impl Strategy<Value = LabelFilter> {
    let leaf = prop_oneof![
        matcher().prop_map(LabelFilter::String),
        (name(), any::<bool>(), "[0-9.]{1,8}(/[0-9]{1,2})?").prop_map(|(name, negated, pattern)| {
            LabelFilter::Ip {
                name,
                negated,
                pattern,
            }
        }),
        (name(), compare_op(), -100_000i64..100_000, 0u32..4).prop_map(|(name, op, v, scale)| {
            LabelFilter::Number {
                name,
                op,
                value: Number(v as f64 / 10f64.powi(scale as i32)),
            }
        }),
        (
            name(),
            compare_op(),
            -1_000_000_000_000_000i64..1_000_000_000_000_000
        )
            .prop_map(|(name, op, nanos)| LabelFilter::Duration { name, op, nanos }),
        (name(), compare_op(), 0u64..u64::MAX / 4).prop_map(|(name, op, bytes)| LabelFilter::Bytes {
            name,
            op,
            bytes
        }),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| LabelFilter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner).prop_map(|(l, r)| LabelFilter::Or(Box::new(l), Box::new(r))),
        ]
    })
}

fn extractions() -> impl Strategy<Value = Vec<Extraction>> {
    prop::collection::vec(
        (name(), prop::option::of(text())).prop_map(|(label, source)| Extraction { label, source }),
        0..3,
    )
}

fn selections() -> impl Strategy<Value = Vec<LabelSelection>> {
    prop::collection::vec(
        prop_oneof![
            name().prop_map(LabelSelection::Name),
            matcher().prop_map(LabelSelection::Matcher)
        ],
        1..3,
    )
}

fn stage() -> impl Strategy<Value = Stage> {
    let line_op = prop::sample::select(LineFilterOp::ALL.iter().map(|(_, op)| *op).collect::<Vec<_>>());
    let value = prop_oneof![
        text().prop_map(FilterValue::Text),
        "[0-9.]{1,8}".prop_map(FilterValue::Ip)
    ];
    prop_oneof![
        (line_op, prop::collection::vec(value, 1..3))
            .prop_map(|(op, values)| Stage::LineFilter(LineFilter { op, values })),
        extractions().prop_map(Stage::Json),
        (any::<bool>(), any::<bool>(), extractions()).prop_map(|(strict, keep_empty, fields)| {
            Stage::Logfmt(Logfmt {
                strict,
                keep_empty,
                fields,
            })
        }),
        "\\(\\?P<[a-z]{1,4}>[a-z]{0,3}\\)".prop_map(Stage::Regexp),
        "<[a-z]{1,4}> [a-z]{1,3} <_>".prop_map(Stage::Pattern),
        Just(Stage::Unpack),
        Just(Stage::Decolorize),
        label_filter().prop_map(Stage::LabelFilter),
        text().prop_map(Stage::LineFormat),
        prop::collection::vec(
            prop_oneof![
                (name(), name()).prop_map(|(dst, src)| LabelFormat::Rename { dst, src }),
                (name(), text()).prop_map(|(dst, template)| LabelFormat::Template { dst, template }),
            ],
            1..3,
        )
        .prop_map(Stage::LabelFormat),
        selections().prop_map(Stage::Drop),
        selections().prop_map(Stage::Keep),
    ]
}

/// True when a `drop` or `keep` list ending in a bare name is followed by a negated line
/// filter: `| drop a != "x"` reads as the matcher `a!="x"`, in Loki too.
fn ambiguous(stages: &[Stage]) -> bool {
    stages.windows(2).any(|w| {
        let bare_last = match &w[0] {
            Stage::Drop(items) | Stage::Keep(items) => matches!(items.last(), Some(LabelSelection::Name(_))),
            _ => false,
        };
        let negated = matches!(&w[1], Stage::LineFilter(lf)
            if matches!(lf.op, LineFilterOp::NotContains | LineFilterOp::NotMatches));
        bare_last && negated
    })
}

fn log_expr() -> impl Strategy<Value = LogExpr> {
    (
        selector(),
        prop::collection::vec(stage(), 0..4).prop_filter("expressible", |s| !ambiguous(s)),
    )
        .prop_map(|(matchers, pipeline)| LogExpr {
            matchers,
            pipeline,
            span: span(),
        })
}

fn grouping() -> impl Strategy<Value = Grouping> {
    (any::<bool>(), prop::collection::vec(name(), 0..3)).prop_map(|(by, labels)| {
        if by {
            Grouping::By(labels)
        } else {
            Grouping::Without(labels)
        }
    })
}

fn range_aggregation() -> impl Strategy<Value = Expr> {
    let op = prop::sample::select(RangeOp::ALL.iter().map(|(_, op)| *op).collect::<Vec<_>>());
    let conversion = prop::sample::select(vec![
        Conversion::Float,
        Conversion::Bytes,
        Conversion::Duration,
        Conversion::DurationSeconds,
    ]);
    (
        op,
        log_expr(),
        (
            name(),
            conversion,
            prop::collection::vec(label_filter(), 0..2),
            any::<bool>(),
        ),
        (
            1i64..1_000_000_000_000_000,
            -1_000_000_000_000i64..1_000_000_000_000,
        ),
        prop::option::of(grouping()),
        0u32..=100,
    )
        .prop_map(
            |(op, log, (label, conversion, filters, unwrapped), (range_nanos, offset_nanos), group, q)| {
                let unwrap = match op.needs_unwrap() {
                    Some(true) => true,
                    Some(false) => false,
                    None => unwrapped,
                }
                .then_some(Unwrap {
                    label,
                    conversion,
                    filters,
                });
                Expr::RangeAggregation(RangeAggregation {
                    op,
                    param: (op == RangeOp::QuantileOverTime).then_some(Number(f64::from(q) / 100.0)),
                    range: LogRange {
                        log,
                        unwrap,
                        range_nanos,
                        offset_nanos,
                    },
                    grouping: group.filter(|_| op.allows_grouping()),
                    span: span(),
                })
            },
        )
}

fn metric_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => range_aggregation(),
        1 => (-1000i32..1000).prop_map(|v| Expr::Literal(Number(f64::from(v) / 4.0), span())),
        1 => (0i32..10).prop_map(|v| Expr::Vector(Number(f64::from(v)), span())),
    ];
    leaf.prop_recursive(3, 10, 2, |inner| {
        let vector_op = prop::sample::select(VectorOp::ALL.iter().map(|(_, op)| *op).collect::<Vec<_>>());
        let binop = prop::sample::select(vec![
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Mod,
            BinOp::Pow,
            BinOp::Eql,
            BinOp::Neq,
            BinOp::Lss,
            BinOp::Lte,
            BinOp::Gtr,
            BinOp::Gte,
            BinOp::And,
            BinOp::Or,
            BinOp::Unless,
        ]);
        prop_oneof![
            (vector_op, inner.clone(), prop::option::of(grouping()), 1u32..10).prop_map(|(op, e, g, k)| {
                Expr::VectorAggregation(VectorAggregation {
                    op,
                    param: op.takes_k().then_some(Number(f64::from(k))),
                    expr: Box::new(e),
                    grouping: g.filter(|_| op.allows_grouping()),
                    span: span(),
                })
            }),
            (
                binop,
                inner.clone(),
                inner.clone(),
                any::<bool>(),
                (
                    0u8..3,
                    prop::collection::vec(name(), 0..2),
                    0u8..3,
                    prop::collection::vec(name(), 0..2)
                ),
            )
                .prop_filter("set operators take no literals", |(op, l, r, ..)| {
                    !(op.is_set_operator() && (l.is_number_only() || r.is_number_only()))
                })
                .prop_map(|(op, lhs, rhs, b, (on, labels, group, include))| {
                    let mut matching = VectorMatching {
                        card: if op.is_set_operator() {
                            Cardinality::ManyToMany
                        } else {
                            Cardinality::OneToOne
                        },
                        ..VectorMatching::default()
                    };
                    if on > 0 {
                        matching.on = on == 1;
                        matching.labels = labels;
                        if !op.is_set_operator() && group > 0 {
                            matching.card = if group == 1 {
                                Cardinality::ManyToOne
                            } else {
                                Cardinality::OneToMany
                            };
                            let on = matching.on;
                            let taken = matching.labels.clone();
                            matching.include = include
                                .into_iter()
                                .filter(|l| !(on && taken.contains(l)))
                                .collect();
                        }
                    }
                    Expr::Binary(BinaryExpr {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        return_bool: b && op.is_comparison(),
                        matching,
                        span: span(),
                    })
                }),
            (inner, name(), text(), name(), "[a-z]{0,3}(\\(\\.\\*\\))?").prop_map(
                |(e, dst, replacement, src, regex)| {
                    Expr::LabelReplace(LabelReplace {
                        expr: Box::new(e),
                        dst,
                        replacement,
                        src,
                        regex,
                        span: span(),
                    })
                }
            ),
        ]
    })
}

fn query() -> impl Strategy<Value = Expr> {
    prop_oneof![1 => log_expr().prop_map(Expr::Log), 3 => metric_expr()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_trees_parse_back_equal(e in query()) {
        let printed = e.to_string();
        let again = parse(&printed).map_err(|err| TestCaseError::fail(format!("{printed}\n{err}")))?;
        prop_assert_eq!(again, e, "{}", printed);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[{}()\\[\\]|=~!<>\"`a-z0-9 ,.+*/^%-]{0,40}") {
        let _ = parse(&s);
    }
}
