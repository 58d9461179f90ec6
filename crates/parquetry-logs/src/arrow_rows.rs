//! Record batches of the entry columns: restoring the trace and span ids that the files
//! store by reference (to their place in the line, or from the structured metadata to
//! their column), and turning rows back into [`LogEntry`]s.

use crate::entry::LogEntry;
use crate::schema::{columns, entry_batch_schema, index, metadata_type};
use arrow::array::{Array, ArrayRef, AsArray, Int64Array, MapArray, RecordBatch, StringArray, StringBuilder};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow::error::ArrowError;
use parquetry_model::SeriesId;
use std::ops::Range;
use std::sync::Arc;

/// The entry batch ([`entry_batch_schema`]) of a batch of the stored entry columns
/// ([`index::STORED_ENTRY_COLUMNS`]): every trace and span id in its column, and in the
/// structured metadata where it was stored by reference.
pub fn restore_ids(stored: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let lines = stored.column(index::LINE).as_string::<i32>();
    let mut columns = stored.columns()[..index::ENTRY_COLUMN_COUNT].to_vec();
    for (id, at) in [
        (index::TRACE_ID, index::TRACE_ID_IN_LINE),
        (index::SPAN_ID, index::SPAN_ID_IN_LINE),
    ] {
        columns[id] = ids_from_lines(lines, &columns[id], stored.column(at).as_primitive::<Int64Type>())?;
    }
    restore_ids_in_metadata(&RecordBatch::try_new(entry_batch_schema(), columns)?)
}

/// The id column with each row that `at` locates in its line (`start · 2³² + length`)
/// filled from the line.
fn ids_from_lines(lines: &StringArray, ids: &ArrayRef, at: &Int64Array) -> Result<ArrayRef, ArrowError> {
    if at.null_count() == at.len() {
        return Ok(ids.clone());
    }
    let ids = ids.as_string::<i32>();
    let mut out = StringBuilder::with_capacity(ids.len(), ids.value_data().len() + 32 * at.len());
    for row in 0..lines.len() {
        if at.is_valid(row) {
            let (start, length) = (
                (at.value(row) >> 32) as usize,
                (at.value(row) & 0xFFFF_FFFF) as usize,
            );
            let id = lines.value(row).get(start..start + length).ok_or_else(|| {
                ArrowError::InvalidArgumentError(format!(
                    "row {row}: an id at bytes {start}..{} of a line of {} bytes",
                    start + length,
                    lines.value(row).len()
                ))
            })?;
            out.append_value(id);
        } else {
            out.append_option(ids.is_valid(row).then(|| ids.value(row)));
        }
    }
    Ok(Arc::new(out.finish()))
}

/// The batch with every structured-metadata `trace_id` or `span_id` whose stored value
/// is empty replaced by the value of the column of that name (the writer stores such an
/// id once, in its column). The batch comes back unchanged when nothing is to restore.
fn restore_ids_in_metadata(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    if !refers_to_stored_ids(batch) {
        return Ok(batch.clone());
    }
    let metadata = batch.column(index::STRUCTURED_METADATA).as_map();
    let keys = metadata.keys().as_string::<i32>();
    let values = metadata.values().as_string::<i32>();
    let traces = batch.column(index::TRACE_ID).as_string::<i32>();
    let spans = batch.column(index::SPAN_ID).as_string::<i32>();
    let offsets = metadata.value_offsets();
    let column_of = |key: &str| match key {
        columns::TRACE_ID => Some(traces),
        columns::SPAN_ID => Some(spans),
        _ => None,
    };
    let referenced = |i: usize| is_reference(keys, values, i);
    let mut restored = StringBuilder::with_capacity(values.len(), values.value_data().len());
    for row in 0..metadata.len() {
        for i in offsets[row] as usize..offsets[row + 1] as usize {
            match column_of(keys.value(i)) {
                Some(c) if referenced(i) && c.is_valid(row) => restored.append_value(c.value(row)),
                _ if values.is_valid(i) => restored.append_value(values.value(i)),
                _ => restored.append_null(),
            }
        }
    }
    let DataType::Map(entries_field, sorted) = metadata_type() else {
        unreachable!("the metadata column is a map")
    };
    let DataType::Struct(fields) = entries_field.data_type() else {
        unreachable!("map entries are structs")
    };
    let entries = arrow::array::StructArray::try_new(
        fields.clone(),
        vec![metadata.keys().clone(), Arc::new(restored.finish()) as ArrayRef],
        None,
    )?;
    let map = MapArray::try_new(
        entries_field,
        OffsetBuffer::new(metadata.offsets().inner().clone()),
        entries,
        metadata.nulls().cloned(),
        sorted,
    )?;
    let mut columns = batch.columns().to_vec();
    columns[index::STRUCTURED_METADATA] = Arc::new(map);
    RecordBatch::try_new(batch.schema(), columns)
}

/// True when member `i` of the structured metadata is a trace or span id stored in its
/// column: the name is the column's and the stored value is empty.
fn is_reference(keys: &StringArray, values: &StringArray, i: usize) -> bool {
    values.is_valid(i)
        && values.value(i).is_empty()
        && matches!(keys.value(i), columns::TRACE_ID | columns::SPAN_ID)
}

/// True when the structured metadata of `batch` (stored or entry columns) holds a trace
/// or span id that the files store in its column, to restore from there.
pub fn refers_to_stored_ids(batch: &RecordBatch) -> bool {
    let metadata = batch.column(index::STRUCTURED_METADATA).as_map();
    let keys = metadata.keys().as_string::<i32>();
    let values = metadata.values().as_string::<i32>();
    let offsets = metadata.value_offsets();
    (offsets[0] as usize..offsets[offsets.len() - 1] as usize).any(|i| is_reference(keys, values, i))
}

/// The entry batch of a batch of [`index::LINE_COLUMNS`] whose metadata refers to no
/// stored id ([`refers_to_stored_ids`]): the trace, span and severity columns null.
pub fn without_ids(lines: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = entry_batch_schema();
    let mut columns = lines.columns()[..index::LINE_COLUMNS.len()].to_vec();
    for field in &schema.fields()[index::LINE_COLUMNS.len()..] {
        columns.push(arrow::array::new_null_array(field.data_type(), lines.num_rows()));
    }
    RecordBatch::try_new(schema, columns)
}

/// The runs of rows of one stream in `batch` (rows by stream, then time; stored or
/// entry columns), in row order.
pub fn stream_runs(batch: &RecordBatch) -> Vec<(SeriesId, Range<usize>)> {
    let ids = batch
        .column(index::STREAM_ID)
        .as_primitive::<UInt64Type>()
        .values();
    let mut runs = Vec::new();
    let mut start = 0;
    while start < ids.len() {
        let id = ids[start];
        let end = start + ids[start..].iter().take_while(|&&x| x == id).count();
        runs.push((SeriesId(id), start..end));
        start = end;
    }
    runs
}

/// The entries of an entry batch ([`restore_ids`]), in row order.
pub fn entries_of(batch: &RecordBatch) -> Vec<LogEntry> {
    let times = batch
        .column(index::TIMESTAMP)
        .as_primitive::<TimestampNanosecondType>();
    let lines = batch.column(index::LINE).as_string::<i32>();
    let metadata = batch.column(index::STRUCTURED_METADATA).as_map();
    let keys = metadata.keys().as_string::<i32>();
    let values = metadata.values().as_string::<i32>();
    let text = |col: usize| batch.column(col).as_string::<i32>();
    let (traces, spans, severities) = (text(index::TRACE_ID), text(index::SPAN_ID), text(index::SEVERITY));
    let numbers = batch.column(index::SEVERITY_NUMBER).as_primitive::<Int32Type>();
    let optional = |col: &StringArray, row: usize| col.is_valid(row).then(|| col.value(row).to_string());
    let offsets = metadata.value_offsets();
    (0..batch.num_rows())
        .map(|row| LogEntry {
            timestamp: times.value(row),
            line: lines.value(row).to_string(),
            metadata: (offsets[row] as usize..offsets[row + 1] as usize)
                .map(|i| {
                    let value = if values.is_valid(i) { values.value(i) } else { "" };
                    (keys.value(i).to_string(), value.to_string())
                })
                .collect(),
            trace_id: optional(traces, row),
            span_id: optional(spans, row),
            severity: optional(severities, row),
            severity_number: numbers.is_valid(row).then(|| numbers.value(row)),
        })
        .collect()
}
