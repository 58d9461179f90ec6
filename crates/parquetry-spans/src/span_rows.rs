//! Spans as rows of a spans file: traces appended whole, their tree numbered, the
//! promoted attributes taken out of the maps, and the rows finished as an Arrow batch.

use crate::any_value::{AnyValue, Attribute};
use crate::otlp_json::{events_json, links_json};
use crate::promoted::{AttributeScope, PROMOTED, PromotedType, split};
use crate::schema::{attribute_value_fields, spans_schema};
use crate::span::Span;
use crate::structure::TraceTree;
use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, FixedSizeBinaryBuilder, Float64Builder, Int8Builder,
    Int32Builder, Int64Builder, MapBuilder, MapFieldNames, StringBuilder, StructBuilder,
    TimestampNanosecondBuilder, UInt32Builder,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// A builder of an attribute map column.
struct AttributeMapBuilder(MapBuilder<StringBuilder, StructBuilder>);

impl AttributeMapBuilder {
    fn new() -> Self {
        let names = MapFieldNames {
            entry: "entries".to_string(),
            key: "key".to_string(),
            value: "value".to_string(),
        };
        AttributeMapBuilder(MapBuilder::new(
            Some(names),
            StringBuilder::new(),
            StructBuilder::from_fields(attribute_value_fields(), 0),
        ))
    }

    fn append<'a>(&mut self, attributes: impl IntoIterator<Item = &'a Attribute>) {
        for a in attributes {
            self.0.keys().append_value(&a.key);
            let v = self.0.values();
            let (mut s, mut i, mut d, mut b, mut j) = (None, None, None, None, None);
            match &a.value {
                AnyValue::String(x) => s = Some(x.as_str()),
                AnyValue::Int(x) => i = Some(*x),
                AnyValue::Double(x) => d = Some(*x),
                AnyValue::Bool(x) => b = Some(*x),
                other => j = Some(other.to_json().to_string()),
            }
            field::<StringBuilder>(v, 0).append_option(s);
            field::<Int64Builder>(v, 1).append_option(i);
            field::<Float64Builder>(v, 2).append_option(d);
            field::<BooleanBuilder>(v, 3).append_option(b);
            field::<StringBuilder>(v, 4).append_option(j);
            v.append(true);
        }
        self.0.append(true).expect("keys and values stay in step");
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

fn field<T: ArrayBuilder>(s: &mut StructBuilder, i: usize) -> &mut T {
    s.field_builder::<T>(i).expect("the attribute value fields")
}

/// A promoted column's builder.
enum PromotedBuilder {
    String(StringBuilder),
    Int(Int64Builder),
}

/// The rows of spans files being built.
pub struct SpanRows {
    trace_id: FixedSizeBinaryBuilder,
    span_id: FixedSizeBinaryBuilder,
    parent_index: Int32Builder,
    parent_span_id: FixedSizeBinaryBuilder,
    left: Int32Builder,
    right: Int32Builder,
    start: TimestampNanosecondBuilder,
    duration: Int64Builder,
    name: StringBuilder,
    kind: Int8Builder,
    status_code: Int8Builder,
    status_message: StringBuilder,
    trace_state: StringBuilder,
    flags: UInt32Builder,
    promoted: Vec<PromotedBuilder>,
    attributes: AttributeMapBuilder,
    resource_attributes: AttributeMapBuilder,
    scope_name: StringBuilder,
    scope_version: StringBuilder,
    scope_attributes: AttributeMapBuilder,
    events: StringBuilder,
    links: StringBuilder,
    counts: [UInt32Builder; 5],
    resource_schema_url: StringBuilder,
    scope_schema_url: StringBuilder,
    rows: usize,
    /// Per promoted column: whether some span appended so far had the column's key
    /// first with a value of another type, left in its map.
    unfit: [bool; PROMOTED.len()],
}

impl Default for SpanRows {
    fn default() -> Self {
        SpanRows {
            trace_id: FixedSizeBinaryBuilder::new(16),
            span_id: FixedSizeBinaryBuilder::new(8),
            parent_index: Int32Builder::new(),
            parent_span_id: FixedSizeBinaryBuilder::new(8),
            left: Int32Builder::new(),
            right: Int32Builder::new(),
            start: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            duration: Int64Builder::new(),
            name: StringBuilder::new(),
            kind: Int8Builder::new(),
            status_code: Int8Builder::new(),
            status_message: StringBuilder::new(),
            trace_state: StringBuilder::new(),
            flags: UInt32Builder::new(),
            promoted: PROMOTED
                .iter()
                .map(|p| match p.ty {
                    PromotedType::String => PromotedBuilder::String(StringBuilder::new()),
                    PromotedType::Int => PromotedBuilder::Int(Int64Builder::new()),
                })
                .collect(),
            attributes: AttributeMapBuilder::new(),
            resource_attributes: AttributeMapBuilder::new(),
            scope_name: StringBuilder::new(),
            scope_version: StringBuilder::new(),
            scope_attributes: AttributeMapBuilder::new(),
            events: StringBuilder::new(),
            links: StringBuilder::new(),
            counts: std::array::from_fn(|_| UInt32Builder::new()),
            resource_schema_url: StringBuilder::new(),
            scope_schema_url: StringBuilder::new(),
            rows: 0,
            unfit: [false; PROMOTED.len()],
        }
    }
}

impl SpanRows {
    /// Rows appended since the last [`SpanRows::finish`].
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The promoted columns that do not hold every value of their key among the spans
    /// appended since the builder was made (some span had the key first with a value of
    /// another type, kept in its map): a filter on such a column alone could miss spans.
    pub fn unpromoted_columns(&self) -> Vec<&'static str> {
        PROMOTED
            .iter()
            .zip(self.unfit)
            .filter(|(_, unfit)| *unfit)
            .map(|(p, _)| p.column)
            .collect()
    }

    /// Appends the spans of one trace, sorted by start time (then span id), with their
    /// tree numbered among them.
    pub fn append_trace(&mut self, spans: &[Span]) {
        let ids: Vec<_> = spans.iter().map(|s| s.span_id).collect();
        let parents: Vec<_> = spans.iter().map(|s| s.parent_span_id).collect();
        let tree = TraceTree::build(&ids, &parents);
        for (i, s) in spans.iter().enumerate() {
            self.append(s, &tree, i);
        }
    }

    fn append(&mut self, s: &Span, tree: &TraceTree, i: usize) {
        self.rows += 1;
        let fixed = "ids have their builder's width";
        self.trace_id.append_value(s.trace_id.0).expect(fixed);
        self.span_id.append_value(s.span_id.0).expect(fixed);
        match (tree.parent[i], s.parent_span_id) {
            (Some(p), _) => {
                self.parent_index.append_value(p as i32);
                self.parent_span_id.append_null();
            }
            (None, Some(p)) => {
                self.parent_index.append_null();
                self.parent_span_id.append_value(p.0).expect(fixed);
            }
            (None, None) => {
                self.parent_index.append_null();
                self.parent_span_id.append_null();
            }
        }
        self.left.append_value(tree.left[i]);
        self.right.append_value(tree.right[i]);
        self.start.append_value(s.start);
        self.duration.append_value(s.duration());
        self.name.append_value(&s.name);
        self.kind.append_value(s.kind.number() as i8);
        self.status_code.append_value(s.status_code.number() as i8);
        self.status_message.append_value(&s.status_message);
        self.trace_state.append_value(&s.trace_state);
        self.flags.append_value(s.flags);
        let mut values = [None; PROMOTED.len()];
        let rest = split(AttributeScope::Span, &s.attributes, &mut values, &mut self.unfit);
        let resource_rest = split(
            AttributeScope::Resource,
            &s.resource.attributes,
            &mut values,
            &mut self.unfit,
        );
        for (builder, value) in self.promoted.iter_mut().zip(values) {
            match (builder, value) {
                (PromotedBuilder::String(b), Some(AnyValue::String(v))) => b.append_value(v),
                (PromotedBuilder::Int(b), Some(AnyValue::Int(v))) => b.append_value(*v),
                (PromotedBuilder::String(b), _) => b.append_null(),
                (PromotedBuilder::Int(b), _) => b.append_null(),
            }
        }
        self.attributes.append(rest);
        self.resource_attributes.append(resource_rest);
        self.scope_name.append_value(&s.scope.name);
        self.scope_version.append_value(&s.scope.version);
        self.scope_attributes.append(&s.scope.attributes);
        let json_or_null = |b: &mut StringBuilder, empty: bool, json: &dyn Fn() -> String| {
            if empty {
                b.append_null()
            } else {
                b.append_value(json())
            }
        };
        json_or_null(&mut self.events, s.events.is_empty(), &|| {
            events_json(&s.events).to_string()
        });
        json_or_null(&mut self.links, s.links.is_empty(), &|| {
            links_json(&s.links).to_string()
        });
        let counts = [
            s.dropped_attributes_count,
            s.dropped_events_count,
            s.dropped_links_count,
            s.resource.dropped_attributes_count,
            s.scope.dropped_attributes_count,
        ];
        for (b, n) in self.counts.iter_mut().zip(counts) {
            b.append_value(n);
        }
        self.resource_schema_url.append_value(&s.resource.schema_url);
        self.scope_schema_url.append_value(&s.scope.schema_url);
    }

    /// The rows appended so far as a batch of [`spans_schema`]; the builder is empty
    /// again afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.trace_id.finish()),
            Arc::new(self.span_id.finish()),
            Arc::new(self.parent_index.finish()),
            Arc::new(self.parent_span_id.finish()),
            Arc::new(self.left.finish()),
            Arc::new(self.right.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.status_code.finish()),
            Arc::new(self.status_message.finish()),
            Arc::new(self.trace_state.finish()),
            Arc::new(self.flags.finish()),
        ];
        for b in &mut self.promoted {
            columns.push(match b {
                PromotedBuilder::String(b) => Arc::new(b.finish()),
                PromotedBuilder::Int(b) => Arc::new(b.finish()),
            });
        }
        columns.extend([
            self.attributes.finish(),
            self.resource_attributes.finish(),
            Arc::new(self.scope_name.finish()) as ArrayRef,
            Arc::new(self.scope_version.finish()),
            self.scope_attributes.finish(),
            Arc::new(self.events.finish()),
            Arc::new(self.links.finish()),
        ]);
        for b in &mut self.counts {
            columns.push(Arc::new(b.finish()));
        }
        columns.push(Arc::new(self.resource_schema_url.finish()));
        columns.push(Arc::new(self.scope_schema_url.finish()));
        RecordBatch::try_new(spans_schema(), columns)
    }
}
