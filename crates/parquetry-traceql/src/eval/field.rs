//! A field expression's value for one span of a trace.

use super::Regexes;
use super::trace_view::TraceView;
use super::value::{Value, arithmetic, compare};
use crate::syntax::ast::{AttributeScope, BinaryOp, FieldExpr, Intrinsic, Static};
use parquetry_spans::Attribute as SpanAttribute;
use std::borrow::Cow;

/// The value of `e` for span `i` of `t`.
pub fn field_value<'t>(e: &'t FieldExpr, t: &'t TraceView, i: usize, regexes: &Regexes) -> Value<'t> {
    match e {
        FieldExpr::Static(s) => static_value(s),
        FieldExpr::Attribute(a) => attribute(t, i, a.scope, &a.name),
        FieldExpr::Intrinsic(x) => intrinsic(t, i, *x),
        FieldExpr::Not(inner) => match field_value(inner, t, i, regexes) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Nil,
        },
        FieldExpr::Negate(inner) => {
            arithmetic(&Value::Int(0), BinaryOp::Sub, &field_value(inner, t, i, regexes))
        }
        FieldExpr::Binary(lhs, op, rhs) => match op {
            BinaryOp::And => Value::Bool(
                field_value(lhs, t, i, regexes).is_true() && field_value(rhs, t, i, regexes).is_true(),
            ),
            BinaryOp::Or => Value::Bool(
                field_value(lhs, t, i, regexes).is_true() || field_value(rhs, t, i, regexes).is_true(),
            ),
            op if op.is_comparison() => {
                let l = field_value(lhs, t, i, regexes);
                let r = field_value(rhs, t, i, regexes);
                let nil = (is_nil(lhs), is_nil(rhs));
                let regex = match &**rhs {
                    FieldExpr::Static(Static::String(p)) => regexes.get(p),
                    _ => None,
                };
                Value::Bool(compare(&l, *op, &r, nil, regex))
            }
            op => arithmetic(
                &field_value(lhs, t, i, regexes),
                *op,
                &field_value(rhs, t, i, regexes),
            ),
        },
    }
}

fn is_nil(e: &FieldExpr) -> bool {
    matches!(e, FieldExpr::Static(Static::Nil))
}

/// The value of a literal.
pub fn static_value(s: &Static) -> Value<'_> {
    match s {
        Static::Nil => Value::Nil,
        Static::Bool(b) => Value::Bool(*b),
        Static::Int(n) => Value::Int(*n),
        Static::Float(v) => Value::Float(*v),
        Static::String(s) => Value::Str(Cow::Borrowed(s)),
        Static::Duration(n) => Value::Duration(*n),
        Static::Status(s) => Value::Status(*s),
        Static::Kind(k) => Value::Kind(*k),
    }
}

fn find<'t>(attributes: &'t [SpanAttribute], name: &str) -> Option<Value<'t>> {
    attributes
        .iter()
        .find(|a| a.key == name)
        .map(|a| Value::of_any(&a.value))
}

/// The attribute `name` of span `i` in `scope`.
fn attribute<'t>(t: &'t TraceView, i: usize, scope: AttributeScope, name: &str) -> Value<'t> {
    let span = &t.spans[i];
    let found = match scope {
        AttributeScope::Span => find(&span.attributes, name),
        AttributeScope::Resource => find(&span.resource.attributes, name),
        AttributeScope::Any => find(&span.attributes, name).or_else(|| find(&span.resource.attributes, name)),
        AttributeScope::Instrumentation => find(&span.scope.attributes, name),
        AttributeScope::Event => Some(Value::Many(
            span.events
                .iter()
                .filter_map(|e| find(&e.attributes, name))
                .collect(),
        )),
        AttributeScope::Link => Some(Value::Many(
            span.links
                .iter()
                .filter_map(|l| find(&l.attributes, name))
                .collect(),
        )),
    };
    match found {
        Some(Value::Many(items)) if items.is_empty() => Value::Nil,
        Some(v) => v,
        None => Value::Nil,
    }
}

/// The intrinsic `x` of span `i`.
fn intrinsic(t: &TraceView, i: usize, x: Intrinsic) -> Value<'_> {
    let span = &t.spans[i];
    let text = |s: &str| Value::Str(Cow::Owned(s.to_string()));
    let many = |items: Vec<Value<'static>>| {
        if items.is_empty() {
            Value::Nil
        } else {
            Value::Many(items)
        }
    };
    match x {
        Intrinsic::Name => Value::Str(Cow::Borrowed(&span.name)),
        Intrinsic::Status => Value::Status(span.status_code),
        Intrinsic::StatusMessage => Value::Str(Cow::Borrowed(&span.status_message)),
        Intrinsic::Kind => Value::Kind(span.kind),
        Intrinsic::Duration => Value::Duration(span.duration()),
        Intrinsic::ChildCount => Value::Int(i64::from(t.child_counts[i])),
        Intrinsic::SpanId => text(&span.span_id.to_string()),
        Intrinsic::ParentId => span.parent_span_id.map_or(Value::Nil, |p| text(&p.to_string())),
        Intrinsic::RootName => t.root_name().map_or(Value::Nil, |n| Value::Str(Cow::Borrowed(n))),
        Intrinsic::RootServiceName => t
            .root_service()
            .map_or(Value::Nil, |s| Value::Str(Cow::Borrowed(s))),
        Intrinsic::TraceDuration => Value::Duration(t.duration()),
        Intrinsic::TraceId => text(&span.trace_id.to_string()),
        Intrinsic::EventName => many(
            span.events
                .iter()
                .map(|e| Value::Str(Cow::Owned(e.name.clone())))
                .collect(),
        ),
        Intrinsic::EventTimeSinceStart => many(
            span.events
                .iter()
                .map(|e| Value::Duration(e.time_unix_nano - span.start))
                .collect(),
        ),
        Intrinsic::LinkTraceId => many(
            span.links
                .iter()
                .map(|l| Value::Str(Cow::Owned(l.trace_id.to_string())))
                .collect(),
        ),
        Intrinsic::LinkSpanId => many(
            span.links
                .iter()
                .map(|l| Value::Str(Cow::Owned(l.span_id.to_string())))
                .collect(),
        ),
        Intrinsic::InstrumentationName => Value::Str(Cow::Borrowed(&span.scope.name)),
        Intrinsic::InstrumentationVersion => Value::Str(Cow::Borrowed(&span.scope.version)),
        Intrinsic::NestedSetLeft => Value::Int(i64::from(t.tree.left[i])),
        Intrinsic::NestedSetRight => Value::Int(i64::from(t.tree.right[i])),
        Intrinsic::NestedSetParent => Value::Int(t.parent(i).map_or(-1, |p| i64::from(t.tree.left[p]))),
    }
}
