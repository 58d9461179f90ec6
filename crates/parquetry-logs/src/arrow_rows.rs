//! Turning record batches of the entry columns back into [`LogEntry`] values.

use crate::entry::LogEntry;
use crate::schema::{columns, index};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, TimestampNanosecondType};

/// The entries of a batch with the entry columns ([`index::ENTRY_COLUMNS`]), in row order.
pub fn entries_of(batch: &RecordBatch) -> Vec<LogEntry> {
    let times = batch
        .column(index::TIMESTAMP)
        .as_primitive::<TimestampNanosecondType>();
    let lines = batch.column(index::LINE).as_string::<i32>();
    let metadata = batch.column(index::STRUCTURED_METADATA).as_map();
    let keys = metadata.keys().as_string::<i32>();
    let values = metadata.values().as_string::<i32>();
    let text = |col: usize| batch.column(col).as_string::<i32>().clone();
    let (traces, spans, severities) = (text(index::TRACE_ID), text(index::SPAN_ID), text(index::SEVERITY));
    let numbers = batch.column(index::SEVERITY_NUMBER).as_primitive::<Int32Type>();
    let optional =
        |col: &arrow::array::StringArray, row: usize| col.is_valid(row).then(|| col.value(row).to_string());
    (0..batch.num_rows())
        .map(|row| {
            let mut pairs = Vec::new();
            if metadata.is_valid(row) {
                let offsets = metadata.value_offsets();
                for i in offsets[row] as usize..offsets[row + 1] as usize {
                    let (key, value) = (
                        keys.value(i),
                        if values.is_valid(i) { values.value(i) } else { "" },
                    );
                    // An empty trace or span id stands for the value of its column.
                    let column = match key {
                        columns::TRACE_ID => Some(&traces),
                        columns::SPAN_ID => Some(&spans),
                        _ => None,
                    };
                    let value = match column {
                        Some(c) if value.is_empty() && c.is_valid(row) => c.value(row),
                        _ => value,
                    };
                    pairs.push((key.to_string(), value.to_string()));
                }
            }
            LogEntry {
                timestamp: times.value(row),
                line: lines.value(row).to_string(),
                metadata: pairs,
                trace_id: optional(&traces, row),
                span_id: optional(&spans, row),
                severity: optional(&severities, row),
                severity_number: numbers.is_valid(row).then(|| numbers.value(row)),
            }
        })
        .collect()
}
