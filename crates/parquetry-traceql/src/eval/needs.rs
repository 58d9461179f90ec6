//! What a trace must hold for a query to find anything in it, stated as conditions on
//! stored columns ([`TraceNeeds`]), so that the spans reader decodes only the traces
//! that meet them. Each condition is the selector's own comparison, run through the
//! evaluator's [`compare`] on the value the column holds, so that it agrees with the
//! evaluation span for span; parts of a selector that no column answers (unpromoted
//! attributes, arithmetic, trace-level intrinsics) are left out, which only widens the
//! traces read.

use super::Regexes;
use super::field::static_value;
use super::value::{Value, compare};
use crate::syntax::ast::*;
use parquetry_spans::prefilter::{IntComparison, SpanCondition, TraceNeeds};
use parquetry_spans::promoted::{AttributeScope as Stored, PromotedType, promoted};
use parquetry_spans::schema::columns;
use parquetry_spans::{SpanKind, StatusCode};
use regex::Regex;
use std::borrow::Cow;
use std::sync::Arc;

/// The needs of query `q`: a trace that does not meet them has no spanset for it.
pub fn trace_needs(q: &Query, regexes: &Regexes) -> TraceNeeds {
    TraceNeeds(spanset_needs(&q.spansets, regexes))
}

/// Conditions each met by some span of every trace in which `e` finds a spanset.
fn spanset_needs(e: &SpansetExpr, regexes: &Regexes) -> Vec<SpanCondition> {
    match e {
        SpansetExpr::Filter(condition) => span_condition(condition, regexes).into_iter().collect(),
        SpansetExpr::Binary(lhs, op, rhs) => {
            let (l, r) = (spanset_needs(lhs, regexes), spanset_needs(rhs, regexes));
            match op {
                // `A !> B` keeps the right spans that are not related: no left span is
                // needed.
                SpansetOp::Structural(_, StructuralForm::Not) => r,
                // Both sides must find spans.
                SpansetOp::And | SpansetOp::Structural(..) => [l, r].concat(),
                SpansetOp::Or if l.is_empty() || r.is_empty() => Vec::new(),
                SpansetOp::Or => vec![SpanCondition::Any(vec![
                    SpanCondition::All(l),
                    SpanCondition::All(r),
                ])],
            }
        }
        // Stages only narrow what the first expression finds.
        SpansetExpr::Pipeline(first, _) => spanset_needs(first, regexes),
    }
}

/// A column condition that holds for every span for which `e` is true; `None` when no
/// column answers it.
fn span_condition(e: &FieldExpr, regexes: &Regexes) -> Option<SpanCondition> {
    let FieldExpr::Binary(lhs, op, rhs) = e else {
        return None;
    };
    match op {
        BinaryOp::And => match (span_condition(lhs, regexes), span_condition(rhs, regexes)) {
            (Some(a), Some(b)) => Some(SpanCondition::All(vec![a, b])),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => None,
        },
        BinaryOp::Or => Some(SpanCondition::Any(vec![
            span_condition(lhs, regexes)?,
            span_condition(rhs, regexes)?,
        ])),
        op if op.is_comparison() => match (&**lhs, &**rhs) {
            (field, FieldExpr::Static(literal)) => {
                let regex = match literal {
                    Static::String(p) => regexes.get(p).cloned(),
                    _ => None,
                };
                comparison(field, Side::Left, *op, literal, regex)
            }
            (FieldExpr::Static(literal), field) => comparison(field, Side::Right, *op, literal, None),
            _ => None,
        },
        _ => None,
    }
}

/// Which side of the comparison the field is on.
#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
}

/// The column condition for `field op literal` (or `literal op field`).
fn comparison(
    field: &FieldExpr,
    side: Side,
    op: BinaryOp,
    literal: &Static,
    regex: Option<Regex>,
) -> Option<SpanCondition> {
    let nil = matches!(literal, Static::Nil);
    let lit = static_value(literal).into_owned();
    let test = move |value: Value<'_>| match side {
        Side::Left => compare(&value, op, &lit, (false, nil), regex.as_ref()),
        Side::Right => compare(&lit, op, &value, (nil, false), regex.as_ref()),
    };
    let text = |column: &'static str, test: Box<dyn Fn(Value<'_>) -> bool + Send + Sync>| {
        SpanCondition::Text(
            column,
            Arc::new(move |s: Option<&str>| test(s.map_or(Value::Nil, |s| Value::Str(Cow::Borrowed(s))))),
        )
    };
    let number = |column: &'static str,
                  of: fn(i64) -> Option<Value<'static>>,
                  test: Box<dyn Fn(Value<'_>) -> bool + Send + Sync>| {
        SpanCondition::Number(
            column,
            Arc::new(move |n: Option<i64>| match n {
                None => test(Value::Nil),
                // A number the column should not hold: the span may match.
                Some(n) => of(n).is_none_or(&test),
            }),
        )
    };
    let test: Box<dyn Fn(Value<'_>) -> bool + Send + Sync> = Box::new(test);
    // An integer column compared with an integer or a duration compares as integers,
    // and a null never passes (see `compare`): a range test, without a call per row.
    let as_range = |column: &'static str| {
        let (Static::Int(n) | Static::Duration(n)) = literal else {
            return None;
        };
        let op = match side {
            Side::Left => int_comparison(op)?,
            Side::Right => int_comparison(op)?.flipped(),
        };
        Some(SpanCondition::int_comparison(column, op, *n))
    };
    match field {
        FieldExpr::Intrinsic(Intrinsic::Name) => Some(text(columns::NAME, test)),
        FieldExpr::Intrinsic(Intrinsic::StatusMessage) => Some(text(columns::STATUS_MESSAGE, test)),
        FieldExpr::Intrinsic(Intrinsic::Status) => Some(number(columns::STATUS_CODE, status, test)),
        FieldExpr::Intrinsic(Intrinsic::Kind) => Some(number(columns::KIND, kind, test)),
        FieldExpr::Intrinsic(Intrinsic::Duration) => as_range(columns::DURATION_NS)
            .or_else(|| Some(number(columns::DURATION_NS, |n| Some(Value::Duration(n)), test))),
        FieldExpr::Attribute(a) => {
            let scope = match a.scope {
                AttributeScope::Span => Stored::Span,
                AttributeScope::Resource => Stored::Resource,
                _ => return None,
            };
            let (_, p) = promoted(scope, &a.name)?;
            Some(match p.ty {
                PromotedType::String => text(p.column, test),
                PromotedType::Int => {
                    as_range(p.column).unwrap_or_else(|| number(p.column, |n| Some(Value::Int(n)), test))
                }
            })
        }
        _ => None,
    }
}

/// The integer comparison `op` is, if it is one.
fn int_comparison(op: BinaryOp) -> Option<IntComparison> {
    Some(match op {
        BinaryOp::Eq => IntComparison::Eq,
        BinaryOp::Ne => IntComparison::Ne,
        BinaryOp::Lt => IntComparison::Lt,
        BinaryOp::Le => IntComparison::Le,
        BinaryOp::Gt => IntComparison::Gt,
        BinaryOp::Ge => IntComparison::Ge,
        _ => return None,
    })
}

fn status(n: i64) -> Option<Value<'static>> {
    StatusCode::from_number(n).map(Value::Status)
}

fn kind(n: i64) -> Option<Value<'static>> {
    SpanKind::from_number(n).map(Value::Kind)
}

#[cfg(test)]
mod tests {
    //! Reading only the traces that meet a query's needs finds exactly what evaluating
    //! every trace finds, whatever the spans hold: missing attributes, values of another
    //! type than the promoted column's, arrays, nil comparisons.

    use super::super::compile_regexes;
    use super::super::search::{SearchParams, TraceMatch, evaluate, search, shown_fields};
    use super::super::trace_view::TraceView;
    use super::*;
    use crate::parse;
    use parquetry_spans::span::{Resource, Scope};
    use parquetry_spans::{AnyValue, Attribute, Span, SpanId, SpanParts, SpanStore, SpansWriter, TraceId};
    use parquetry_table::Storage;
    use proptest::prelude::*;

    const T0: i64 = 1_704_067_200_000_000_000;

    /// A value of a generated attribute: absent, a string, or (when `odd`) an integer or
    /// an array, which the promoted column does not hold.
    fn value(choice: u8, text: &str, odd: bool) -> Option<AnyValue> {
        match choice % 4 {
            0 => None,
            2 if odd => Some(AnyValue::Int(5)),
            3 if odd => Some(AnyValue::Array(vec![AnyValue::String(text.into())])),
            _ => Some(AnyValue::String(text.into())),
        }
    }

    /// One span from its generated numbers.
    fn span(trace: u8, id: u8, parent: Option<u8>, n: [u8; 6], odd: bool) -> Span {
        let mut attributes = Vec::new();
        if let Some(v) = value(n[4], ["postgresql", "redis"][n[4] as usize / 4 % 2], odd) {
            attributes.push(Attribute::new("db.system", v));
        }
        let mut resource = Vec::new();
        if let Some(v) = value(n[5], ["payment", "cart"][n[5] as usize / 4 % 2], odd) {
            resource.push(Attribute::new("service.name", v));
        }
        Span {
            trace_id: TraceId([trace; 16]),
            span_id: SpanId([id; 8]),
            parent_span_id: parent.map(|p| SpanId([p; 8])),
            trace_state: String::new(),
            flags: 0,
            name: ["GET", "POST", "SELECT"][n[0] as usize % 3].into(),
            kind: SpanKind::from_number(i64::from(n[1] % 6)).unwrap_or_default(),
            start: T0 + i64::from(id) * 1_000 + i64::from(n[2] / 3) * 1_000_000,
            end: T0
                + i64::from(id) * 1_000
                + i64::from(n[2] / 3) * 1_000_000
                + [0, 1_000_000, 600_000_000][n[2] as usize % 3],
            status_code: StatusCode::from_number(i64::from(n[3] % 3)).unwrap_or_default(),
            status_message: ["", "boom"][n[3] as usize / 3 % 2].into(),
            attributes,
            dropped_attributes_count: 0,
            events: Vec::new(),
            dropped_events_count: 0,
            links: Vec::new(),
            dropped_links_count: 0,
            resource: Arc::new(Resource {
                attributes: resource,
                ..Resource::default()
            }),
            scope: Arc::new(Scope::default()),
        }
    }

    const FIELDS: [&str; 8] = [
        "name",
        "status",
        "statusMessage",
        "kind",
        "duration",
        "resource.service.name",
        "span.db.system",
        ".db.system",
    ];
    const OPS: [&str; 8] = ["=", "!=", "<", ">", "<=", ">=", "=~", "!~"];
    const LITERALS: [&str; 12] = [
        "\"GET\"",
        "\"payment\"",
        "\"postgresql\"",
        "\"boom\"",
        "\"\"",
        "\"p.*\"",
        "error",
        "server",
        "500ms",
        "5",
        "nil",
        "true",
    ];

    fn comparison() -> impl Strategy<Value = String> {
        (0..FIELDS.len(), 0..OPS.len(), 0..LITERALS.len(), any::<bool>()).prop_map(|(f, o, l, flip)| {
            let (field, literal) = (FIELDS[f], LITERALS[l]);
            let op = OPS[o];
            // A regex takes a literal pattern on its right.
            if flip && !op.contains('~') {
                format!("{literal} {op} {field}")
            } else if op.contains('~') && !literal.starts_with('"') {
                format!("{field} {op} \"{}\"", literal.trim_matches('"'))
            } else {
                format!("{field} {op} {literal}")
            }
        })
    }

    fn selector() -> impl Strategy<Value = String> {
        (comparison(), comparison(), 0..3usize).prop_map(|(a, b, join)| match join {
            0 => format!("{{ {a} }}"),
            1 => format!("{{ {a} && {b} }}"),
            _ => format!("{{ {a} || {b} }}"),
        })
    }

    fn query() -> impl Strategy<Value = String> {
        const JOINS: [&str; 6] = ["&&", "||", ">", ">>", "!>", "&>"];
        (selector(), selector(), 0..JOINS.len() + 2).prop_map(|(a, b, join)| match JOINS.get(join) {
            Some(op) => format!("{a} {op} {b}"),
            None if join == JOINS.len() => a,
            None => format!("{a} | count() > 1"),
        })
    }

    fn traces() -> impl Strategy<Value = Vec<Vec<[u8; 6]>>> {
        prop::collection::vec(prop::collection::vec(any::<[u8; 6]>(), 1..5), 1..6)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn reading_what_meets_the_needs_finds_everything(
            traces in traces(),
            odd in any::<bool>(),
            queries in prop::collection::vec(query(), 12),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let storage = Storage::local(dir.path());
            // Two writes; some spans are written again by the second with another start.
            let mut writes = [Vec::new(), Vec::new()];
            for (t, spans) in traces.iter().enumerate() {
                for (i, n) in spans.iter().enumerate() {
                    let parent = (i > 0).then_some(i as u8 / 2 + 1);
                    let s = span(t as u8 + 1, i as u8 + 1, parent, *n, odd);
                    if n[1] / 6 % 3 == 0 {
                        let mut again = s.clone();
                        again.start += (i64::from(n[0]) - 128) * 1_000_000;
                        writes[1].push(again);
                    }
                    writes[usize::from(n[1] / 6 % 2)].push(s);
                }
            }
            for spans in writes.into_iter().filter(|w| !w.is_empty()) {
                let mut w = SpansWriter::begin(&storage).unwrap();
                w.write(spans).unwrap();
                w.commit().unwrap();
            }
            let store = SpanStore::open(&storage).unwrap();
            let mut every = Vec::new();
            let range = (T0 - 1_000_000_000, T0 + 1_000_000_000);
            store.for_each_trace(range, &TraceNeeds::default(), &SpanParts::whole(), &mut |t| {
                every.push(t);
                Ok(())
            }).unwrap();
            for text in &queries {
                // Shown with each span found: the fields the query names, which the
                // search decodes alone.
                let text = format!("{text} | select(span.db.system, .service.name)");
                let q = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                let regexes = compile_regexes(&q).unwrap();
                let shown = shown_fields(&q);
                for limit in [1, 2, 100] {
                    let params = SearchParams { limit, ..SearchParams::new(range.0, range.1) };
                    let mut want: Vec<TraceMatch> = every
                        .iter()
                        .filter_map(|t| evaluate(&q, TraceView::new(t.clone()), &regexes, &shown, &params))
                        .collect();
                    want.sort_by(|a, b| b.start_ns.cmp(&a.start_ns).then(a.trace_id.cmp(&b.trace_id)));
                    want.truncate(limit);
                    let result = search(&store, &q, &params).unwrap();
                    prop_assert_eq!(&result.traces, &want, "{} limit {}", text, limit);
                }
            }
        }
    }
}
