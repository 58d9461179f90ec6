//! The parts of each span a query looks at, so that the spans reader decodes only those
//! (see [`SpanParts`]): the core every answer shows, and the attributes, events, links
//! and instrumentation scope that the query's fields name.

use super::{top_fields, walk};
use crate::syntax::ast::{AttributeScope, FieldExpr, Intrinsic, Query};
use parquetry_spans::SpanParts;
use parquetry_spans::promoted::AttributeScope as Stored;

/// The parts of each span that evaluating `q` and showing its answer read.
pub fn span_parts(q: &Query) -> SpanParts {
    let mut fields = Vec::new();
    for f in top_fields(q) {
        walk(f, &mut |e| fields.push(e));
    }
    fields.into_iter().fold(SpanParts::core(), with_field)
}

/// `parts` with what the field `e` itself (not the expressions inside it) reads.
fn with_field(parts: SpanParts, e: &FieldExpr) -> SpanParts {
    match e {
        FieldExpr::Attribute(a) => match a.scope {
            AttributeScope::Span => parts.with_attribute(Stored::Span, &a.name),
            AttributeScope::Resource => parts.with_attribute(Stored::Resource, &a.name),
            AttributeScope::Any => parts
                .with_attribute(Stored::Span, &a.name)
                .with_attribute(Stored::Resource, &a.name),
            AttributeScope::Event => parts.with_events(),
            AttributeScope::Link => parts.with_links(),
            AttributeScope::Instrumentation => parts.with_scope(),
        },
        FieldExpr::Intrinsic(Intrinsic::EventName | Intrinsic::EventTimeSinceStart) => parts.with_events(),
        FieldExpr::Intrinsic(Intrinsic::LinkTraceId | Intrinsic::LinkSpanId) => parts.with_links(),
        FieldExpr::Intrinsic(Intrinsic::InstrumentationName | Intrinsic::InstrumentationVersion) => {
            parts.with_scope()
        }
        FieldExpr::Intrinsic(_)
        | FieldExpr::Static(_)
        | FieldExpr::Binary(..)
        | FieldExpr::Not(_)
        | FieldExpr::Negate(_) => parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn parts(q: &str) -> SpanParts {
        span_parts(&parse(q).unwrap())
    }

    #[test]
    fn intrinsics_of_the_core_add_nothing() {
        assert_eq!(
            parts("{ status = error && duration > 1s && name = \"x\" && rootServiceName = \"a\" }"),
            SpanParts::core()
        );
    }

    #[test]
    fn attributes_are_wanted_in_their_scope() {
        assert_eq!(
            parts("{ span.db.system = \"postgresql\" }"),
            SpanParts::core().with_attribute(Stored::Span, "db.system")
        );
        assert_eq!(
            parts("{ .user.id = 3 } | select(resource.k8s.pod.name)"),
            SpanParts::core()
                .with_attribute(Stored::Span, "user.id")
                .with_attribute(Stored::Resource, "user.id")
                .with_attribute(Stored::Resource, "k8s.pod.name")
        );
    }

    #[test]
    fn events_links_and_scope_are_wanted_when_named() {
        assert_eq!(
            parts("{ event.exception.type = \"x\" } >> { link:traceID != nil }"),
            SpanParts::core().with_events().with_links()
        );
        assert_eq!(
            parts("{ } | by(instrumentation:name)"),
            SpanParts::core().with_scope()
        );
    }
}
