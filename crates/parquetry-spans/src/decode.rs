//! Rows of spans files back into [`Span`]s: the inverse of [`crate::span_rows`].

use crate::any_value::{AnyValue, Attribute};
use crate::otlp_json::{events_from_json, links_from_json};
use crate::promoted::{AttributeScope, PROMOTED, Promoted};
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

/// The column `name` of `batch` as a `T`, or `None` when the batch does not hold it.
fn optional<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<Option<&'a T>, DecodeError> {
    match batch.column_by_name(name) {
        Some(_) => typed(batch, name).map(Some),
        None => Ok(None),
    }
}

/// The attributes in row `row` of an attribute map column (none where the column was
/// not read).
fn attributes_at(map: Option<&MapArray>, row: usize) -> Result<Vec<Attribute>, DecodeError> {
    let Some(map) = map.filter(|m| m.is_valid(row)) else {
        return Ok(Vec::new());
    };
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

/// [`text`] of a column that may not have been read (empty then).
fn text_of(a: Option<&StringArray>, row: usize) -> String {
    a.map_or_else(String::new, |a| text(a, row))
}

/// The spans in `batch` (rows of [`spans_schema`], every trace's rows whole and
/// consecutive, as the spans files keep them), in row order. The batch may leave out
/// any column but the core of [`crate::parts::SpanParts`]: what it leaves out is empty
/// (or zero) in the spans.
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
    let trace_state: Option<&StringArray> = optional(batch, TRACE_STATE)?;
    let flags: Option<&UInt32Array> = optional(batch, FLAGS)?;
    let attributes: Option<&MapArray> = optional(batch, ATTRIBUTES)?;
    let resource_attributes: Option<&MapArray> = optional(batch, RESOURCE_ATTRIBUTES)?;
    let scope_name: Option<&StringArray> = optional(batch, SCOPE_NAME)?;
    let scope_version: Option<&StringArray> = optional(batch, SCOPE_VERSION)?;
    let scope_attributes: Option<&MapArray> = optional(batch, SCOPE_ATTRIBUTES)?;
    let events: Option<&StringArray> = optional(batch, EVENTS)?;
    let links: Option<&StringArray> = optional(batch, LINKS)?;
    let count = |n: &str| optional::<UInt32Array>(batch, n);
    let (dropped_attributes, dropped_events, dropped_links, resource_dropped, scope_dropped) = (
        count(DROPPED_ATTRIBUTES_COUNT)?,
        count(DROPPED_EVENTS_COUNT)?,
        count(DROPPED_LINKS_COUNT)?,
        count(RESOURCE_DROPPED_ATTRIBUTES_COUNT)?,
        count(SCOPE_DROPPED_ATTRIBUTES_COUNT)?,
    );
    let number = |a: Option<&UInt32Array>, row: usize| a.map_or(0, |a| a.value(row));
    let resource_schema_url: Option<&StringArray> = optional(batch, RESOURCE_SCHEMA_URL)?;
    let scope_schema_url: Option<&StringArray> = optional(batch, SCOPE_SCHEMA_URL)?;
    let promoted: Vec<(&Promoted, &ArrayRef)> = PROMOTED
        .iter()
        .filter_map(|p| batch.column_by_name(p.column).map(|c| (p, c)))
        .collect();

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
        for &(p, values) in &promoted {
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
            dropped_attributes_count: number(resource_dropped, row),
            schema_url: text_of(resource_schema_url, row),
        };
        let resource = match &last_resource {
            Some(r) if **r == resource => r.clone(),
            _ => Arc::new(resource),
        };
        last_resource = Some(resource.clone());
        let scope = Scope {
            name: text_of(scope_name, row),
            version: text_of(scope_version, row),
            attributes: attributes_at(scope_attributes, row)?,
            dropped_attributes_count: number(scope_dropped, row),
            schema_url: text_of(scope_schema_url, row),
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
            trace_state: text_of(trace_state, row),
            flags: number(flags, row),
            name: text(name, row),
            kind: SpanKind::from_number(kind.value(row) as i64)
                .ok_or_else(|| DecodeError(format!("span kind {}", kind.value(row))))?,
            start: start_ns,
            end: start_ns + duration.value(row),
            status_code: StatusCode::from_number(status_code.value(row) as i64)
                .ok_or_else(|| DecodeError(format!("status code {}", status_code.value(row))))?,
            status_message: text(status_message, row),
            attributes: span_attrs,
            dropped_attributes_count: number(dropped_attributes, row),
            events: match events.filter(|e| e.is_valid(row)) {
                Some(e) => events_from_json(e.value(row)).map_err(DecodeError)?,
                None => Vec::new(),
            },
            dropped_events_count: number(dropped_events, row),
            links: match links.filter(|l| l.is_valid(row)) {
                Some(l) => links_from_json(l.value(row)).map_err(DecodeError)?,
                None => Vec::new(),
            },
            dropped_links_count: number(dropped_links, row),
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

/// Batches of spans rows (all with the same columns) concatenated into one, so that
/// traces cut between batches by the reader are whole again.
pub fn concat(batches: &[RecordBatch]) -> Result<RecordBatch, DecodeError> {
    let schema = batches.first().map_or_else(spans_schema, |b| b.schema());
    arrow::compute::concat_batches(&schema, batches).map_err(|e| DecodeError(e.to_string()))
}
