//! Rows of spans files back into [`Span`]s: the inverse of [`crate::span_rows`].

use crate::any_value::{AnyValue, Attribute};
use crate::otlp_json::{events_from_json, links_from_json};
use crate::promoted::{AttributeScope, PROMOTED};
use crate::schema::{columns, spans_schema};
use crate::span::{Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId};
use arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeBinaryArray, Int8Array, Int32Array, Int64Array, MapArray, StringArray,
    StructArray, TimestampNanosecondArray, UInt32Array,
};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// Why rows could not be read back as spans.
#[derive(Debug, thiserror::Error)]
#[error("spans file rows are malformed: {0}")]
pub struct DecodeError(pub String);

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, DecodeError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| DecodeError(format!("no column {name}")))
}

fn typed<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, DecodeError> {
    column(batch, name)?.as_any().downcast_ref::<T>().ok_or_else(|| {
        DecodeError(format!(
            "column {name} has type {}",
            column(batch, name)
                .map(|c| c.data_type().to_string())
                .unwrap_or_default()
        ))
    })
}

/// The attributes in row `row` of an attribute map column.
fn attributes_at(map: &MapArray, row: usize) -> Result<Vec<Attribute>, DecodeError> {
    if map.is_null(row) {
        return Ok(Vec::new());
    }
    let offsets = map.value_offsets();
    let (from, to) = (offsets[row] as usize, offsets[row + 1] as usize);
    let keys = map.keys().as_string::<i32>();
    let values: &StructArray = map.values().as_struct();
    let strings = values.column(0).as_string::<i32>();
    let ints = values.column(1).as_primitive::<arrow::datatypes::Int64Type>();
    let doubles = values.column(2).as_primitive::<arrow::datatypes::Float64Type>();
    let bools = values.column(3).as_boolean();
    let json = values.column(4).as_string::<i32>();
    (from..to)
        .map(|i| {
            let value = if strings.is_valid(i) {
                AnyValue::String(strings.value(i).to_string())
            } else if ints.is_valid(i) {
                AnyValue::Int(ints.value(i))
            } else if doubles.is_valid(i) {
                AnyValue::Double(doubles.value(i))
            } else if bools.is_valid(i) {
                AnyValue::Bool(bools.value(i))
            } else if json.is_valid(i) {
                let v = serde_json::from_str(json.value(i)).map_err(|e| DecodeError(e.to_string()))?;
                AnyValue::from_json(&v).map_err(DecodeError)?
            } else {
                AnyValue::Empty
            };
            Ok(Attribute::new(keys.value(i), value))
        })
        .collect()
}

fn text(a: &StringArray, row: usize) -> String {
    if a.is_null(row) {
        String::new()
    } else {
        a.value(row).to_string()
    }
}

/// The spans in `batch` (rows of [`spans_schema`], every trace's rows whole and
/// consecutive, as the spans files keep them), in row order.
pub fn decode_spans(batch: &RecordBatch) -> Result<Vec<Span>, DecodeError> {
    use columns::*;
    let trace_id: &FixedSizeBinaryArray = typed(batch, TRACE_ID)?;
    let span_id: &FixedSizeBinaryArray = typed(batch, SPAN_ID)?;
    let parent_index: &Int32Array = typed(batch, PARENT_INDEX)?;
    let parent_span_id: &FixedSizeBinaryArray = typed(batch, PARENT_SPAN_ID)?;
    let start: &TimestampNanosecondArray = typed(batch, START_TIME)?;
    let duration: &Int64Array = typed(batch, DURATION_NS)?;
    let name: &StringArray = typed(batch, NAME)?;
    let kind: &Int8Array = typed(batch, KIND)?;
    let status_code: &Int8Array = typed(batch, STATUS_CODE)?;
    let status_message: &StringArray = typed(batch, STATUS_MESSAGE)?;
    let trace_state: &StringArray = typed(batch, TRACE_STATE)?;
    let flags: &UInt32Array = typed(batch, FLAGS)?;
    let attributes: &MapArray = typed(batch, ATTRIBUTES)?;
    let resource_attributes: &MapArray = typed(batch, RESOURCE_ATTRIBUTES)?;
    let scope_name: &StringArray = typed(batch, SCOPE_NAME)?;
    let scope_version: &StringArray = typed(batch, SCOPE_VERSION)?;
    let scope_attributes: &MapArray = typed(batch, SCOPE_ATTRIBUTES)?;
    let events: &StringArray = typed(batch, EVENTS)?;
    let links: &StringArray = typed(batch, LINKS)?;
    let count = |n: &str| typed::<UInt32Array>(batch, n);
    let (dropped_attributes, dropped_events, dropped_links, resource_dropped, scope_dropped) = (
        count(DROPPED_ATTRIBUTES_COUNT)?,
        count(DROPPED_EVENTS_COUNT)?,
        count(DROPPED_LINKS_COUNT)?,
        count(RESOURCE_DROPPED_ATTRIBUTES_COUNT)?,
        count(SCOPE_DROPPED_ATTRIBUTES_COUNT)?,
    );
    let resource_schema_url: &StringArray = typed(batch, RESOURCE_SCHEMA_URL)?;
    let scope_schema_url: &StringArray = typed(batch, SCOPE_SCHEMA_URL)?;
    let promoted: Vec<&ArrayRef> = PROMOTED
        .iter()
        .map(|p| column(batch, p.column))
        .collect::<Result<_, _>>()?;

    let mut out: Vec<Span> = Vec::with_capacity(batch.num_rows());
    let mut parent_rows: Vec<(usize, usize)> = Vec::new();
    let mut run_start = 0;
    let mut last_resource: Option<Arc<Resource>> = None;
    let mut last_scope: Option<Arc<Scope>> = None;
    for row in 0..batch.num_rows() {
        let tid = TraceId(
            trace_id
                .value(row)
                .try_into()
                .map_err(|_| DecodeError("trace id width".into()))?,
        );
        if row == 0 || out[row - 1].trace_id != tid {
            run_start = row;
        }
        let sid = SpanId(
            span_id
                .value(row)
                .try_into()
                .map_err(|_| DecodeError("span id width".into()))?,
        );
        let parent = if parent_index.is_valid(row) {
            // The parent's id is filled in once the whole trace is read: a child may
            // sort before its parent (same start, or a skewed clock).
            parent_rows.push((row, run_start + parent_index.value(row) as usize));
            None
        } else if parent_span_id.is_valid(row) {
            Some(SpanId(
                parent_span_id
                    .value(row)
                    .try_into()
                    .map_err(|_| DecodeError("parent id width".into()))?,
            ))
        } else {
            None
        };
        let mut span_attrs = Vec::new();
        let mut resource_attrs = Vec::new();
        for (p, values) in PROMOTED.iter().zip(&promoted) {
            if values.is_null(row) {
                continue;
            }
            let value = match values.data_type() {
                arrow::datatypes::DataType::Int64 => {
                    AnyValue::Int(values.as_primitive::<arrow::datatypes::Int64Type>().value(row))
                }
                _ => AnyValue::String(values.as_string::<i32>().value(row).to_string()),
            };
            let attr = Attribute::new(p.key, value);
            match p.scope {
                AttributeScope::Span => span_attrs.push(attr),
                AttributeScope::Resource => resource_attrs.push(attr),
            }
        }
        resource_attrs.extend(attributes_at(resource_attributes, row)?);
        span_attrs.extend(attributes_at(attributes, row)?);
        let resource = Resource {
            attributes: resource_attrs,
            dropped_attributes_count: resource_dropped.value(row),
            schema_url: text(resource_schema_url, row),
        };
        let resource = match &last_resource {
            Some(r) if **r == resource => r.clone(),
            _ => Arc::new(resource),
        };
        last_resource = Some(resource.clone());
        let scope = Scope {
            name: text(scope_name, row),
            version: text(scope_version, row),
            attributes: attributes_at(scope_attributes, row)?,
            dropped_attributes_count: scope_dropped.value(row),
            schema_url: text(scope_schema_url, row),
        };
        let scope = match &last_scope {
            Some(s) if **s == scope => s.clone(),
            _ => Arc::new(scope),
        };
        last_scope = Some(scope.clone());
        let start_ns = start.value(row);
        out.push(Span {
            trace_id: tid,
            span_id: sid,
            parent_span_id: parent,
            trace_state: text(trace_state, row),
            flags: flags.value(row),
            name: text(name, row),
            kind: SpanKind::from_number(kind.value(row) as i64)
                .ok_or_else(|| DecodeError(format!("span kind {}", kind.value(row))))?,
            start: start_ns,
            end: start_ns + duration.value(row),
            status_code: StatusCode::from_number(status_code.value(row) as i64)
                .ok_or_else(|| DecodeError(format!("status code {}", status_code.value(row))))?,
            status_message: text(status_message, row),
            attributes: span_attrs,
            dropped_attributes_count: dropped_attributes.value(row),
            events: if events.is_null(row) {
                Vec::new()
            } else {
                events_from_json(events.value(row)).map_err(DecodeError)?
            },
            dropped_events_count: dropped_events.value(row),
            links: if links.is_null(row) {
                Vec::new()
            } else {
                links_from_json(links.value(row)).map_err(DecodeError)?
            },
            dropped_links_count: dropped_links.value(row),
            resource,
            scope,
        });
    }
    for (row, at) in parent_rows {
        let (tid, sid) = (out[row].trace_id, out[row].span_id);
        let parent = out
            .get(at)
            .filter(|p| p.trace_id == tid)
            .ok_or_else(|| DecodeError(format!("span {sid}'s parent row {at} is not in its trace")))?;
        out[row].parent_span_id = Some(parent.span_id);
    }
    Ok(out)
}

/// Batches of spans rows concatenated into one, so that traces cut between batches by
/// the reader are whole again.
pub fn concat(batches: &[RecordBatch]) -> Result<RecordBatch, DecodeError> {
    arrow::compute::concat_batches(&spans_schema(), batches).map_err(|e| DecodeError(e.to_string()))
}
