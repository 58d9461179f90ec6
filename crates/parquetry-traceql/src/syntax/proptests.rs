//! The printer round-trips every tree: random queries print to text that parses back to
//! the same tree.

use super::ast::*;
use super::parse;
use parquetry_spans::{SpanKind, StatusCode};
use proptest::prelude::*;

fn statics() -> impl Strategy<Value = Static> {
    prop_oneof![
        Just(Static::Nil),
        any::<bool>().prop_map(Static::Bool),
        any::<i64>().prop_map(Static::Int),
        (-1e12f64..1e12).prop_map(Static::Float),
        "[ -~\t\n\"\\\\é]{0,8}".prop_map(Static::String),
        (-10_000_000_000_000i64..10_000_000_000_000).prop_map(Static::Duration),
        prop::sample::select(StatusCode::ALL.to_vec()).prop_map(Static::Status),
        prop::sample::select(SpanKind::ALL.to_vec()).prop_map(Static::Kind),
    ]
}

fn attributes() -> impl Strategy<Value = FieldExpr> {
    let scopes = vec![
        AttributeScope::Any,
        AttributeScope::Span,
        AttributeScope::Resource,
        AttributeScope::Event,
        AttributeScope::Link,
        AttributeScope::Instrumentation,
    ];
    (prop::sample::select(scopes), "[a-z][a-z0-9_.]{0,6}|[a-z ]{1,5}")
        .prop_map(|(scope, name)| FieldExpr::Attribute(Attribute { scope, name }))
}

fn fields() -> impl Strategy<Value = FieldExpr> {
    let leaf = prop_oneof![
        statics().prop_map(FieldExpr::Static),
        attributes(),
        prop::sample::select(Intrinsic::SPELLINGS.iter().map(|(_, i)| *i).collect::<Vec<_>>())
            .prop_map(FieldExpr::Intrinsic),
    ];
    let ops: Vec<BinaryOp> = BinaryOp::ALL.iter().map(|(_, o)| *o).collect();
    leaf.prop_recursive(4, 24, 2, move |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(ops.clone()), inner.clone()).prop_filter_map(
                "comparisons do not chain",
                |(l, op, r)| {
                    let chained =
                        |e: &FieldExpr| matches!(e, FieldExpr::Binary(_, o, _) if o.is_comparison());
                    (!(op.is_comparison() && (chained(&l) || chained(&r))))
                        .then(|| FieldExpr::Binary(Box::new(l), op, Box::new(r)))
                }
            ),
            inner.clone().prop_map(|e| FieldExpr::Not(Box::new(e))),
            inner.prop_map(|e| FieldExpr::Negate(Box::new(e))),
        ]
    })
}

fn stages() -> impl Strategy<Value = Stage> {
    let aggregates: Vec<Aggregate> = Aggregate::ALL.iter().map(|(_, a)| *a).collect();
    let comparisons = vec![
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
    ];
    prop_oneof![
        fields().prop_map(Stage::Filter),
        prop::collection::vec(attributes(), 1..3).prop_map(Stage::By),
        prop::collection::vec(attributes(), 1..3).prop_map(Stage::Select),
        Just(Stage::Coalesce),
        (
            prop::sample::select(aggregates),
            attributes(),
            prop::sample::select(comparisons),
            0i64..100
        )
            .prop_map(|(a, f, op, n)| {
                let field = (a != Aggregate::Count).then_some(f);
                Stage::Scalar(ScalarFilter {
                    lhs: ScalarExpr::Aggregate(a, field),
                    op,
                    rhs: ScalarExpr::Static(Static::Int(n)),
                })
            }),
    ]
}

fn spansets() -> impl Strategy<Value = SpansetExpr> {
    let ops = vec![
        SpansetOp::And,
        SpansetOp::Or,
        SpansetOp::Structural(Relation::Child, StructuralForm::Right),
        SpansetOp::Structural(Relation::Descendant, StructuralForm::Not),
        SpansetOp::Structural(Relation::Sibling, StructuralForm::Union),
        SpansetOp::Structural(Relation::Ancestor, StructuralForm::Right),
        SpansetOp::Structural(Relation::Parent, StructuralForm::Not),
    ];
    fields()
        .prop_map(SpansetExpr::Filter)
        .prop_recursive(3, 12, 2, move |inner| {
            prop_oneof![
                (inner.clone(), prop::sample::select(ops.clone()), inner.clone())
                    .prop_map(|(l, op, r)| SpansetExpr::Binary(Box::new(l), op, Box::new(r))),
                (inner, prop::collection::vec(stages(), 1..3)).prop_map(|(first, stages)| {
                    match first {
                        SpansetExpr::Pipeline(inner, mut before) => {
                            before.extend(stages);
                            SpansetExpr::Pipeline(inner, before)
                        }
                        first => SpansetExpr::Pipeline(Box::new(first), stages),
                    }
                }),
            ]
        })
}

fn hints() -> impl Strategy<Value = Vec<Hint>> {
    let hint = ("[a-z_][a-z0-9_]{0,8}", statics()).prop_map(|(name, value)| Hint { name, value });
    prop::collection::vec(hint, 0..3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_queries_parse_back_to_the_same_tree(spansets in spansets(), hints in hints()) {
        let q = Query { spansets, metrics: None, hints };
        let printed = q.to_string();
        let parsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}\n{e}")))?;
        prop_assert_eq!(&parsed, &q, "{}", printed);
    }
}
