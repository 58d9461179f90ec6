//! Rows of one stream as the entry columns hold them: what a parallel read hands on, so
//! that a reader of every line (LogQL's queries) never turns a row into a
//! [`crate::LogEntry`].

use crate::schema::index;
use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::TimestampNanosecondType;
use parquetry_model::{Labels, SeriesId};
use std::sync::Arc;

/// Some rows of one stream, sorted by time.
#[derive(Clone, Debug)]
pub struct StreamBatch {
    /// The stream's id.
    pub id: SeriesId,
    /// The stream's labels.
    pub labels: Arc<Labels>,
    /// An entry batch ([`crate::schema::entry_batch_schema`]) of this stream's rows only.
    pub batch: RecordBatch,
}

impl StreamBatch {
    /// Typed views of the columns a reader of lines needs.
    pub fn columns(&self) -> EntryColumns<'_> {
        let metadata = self.batch.column(index::STRUCTURED_METADATA).as_map();
        EntryColumns {
            times: self
                .batch
                .column(index::TIMESTAMP)
                .as_primitive::<TimestampNanosecondType>()
                .values(),
            lines: self.batch.column(index::LINE).as_string::<i32>(),
            metadata_offsets: metadata.value_offsets(),
            metadata_keys: metadata.keys().as_string::<i32>(),
            metadata_values: metadata.values().as_string::<i32>(),
        }
    }
}

/// The time, line and structured metadata columns of an entry batch, typed once.
#[derive(Clone, Copy)]
pub struct EntryColumns<'a> {
    times: &'a [i64],
    lines: &'a StringArray,
    metadata_offsets: &'a [i32],
    metadata_keys: &'a StringArray,
    metadata_values: &'a StringArray,
}

impl<'a> EntryColumns<'a> {
    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Every row's time, in nanoseconds.
    pub fn times(&self) -> &'a [i64] {
        self.times
    }

    /// Bytes of all the lines (from the offsets, without reading them).
    pub fn line_bytes(&self) -> usize {
        let offsets = self.lines.value_offsets();
        (offsets[offsets.len() - 1] - offsets[0]) as usize
    }

    /// The line of `row`.
    pub fn line(&self, row: usize) -> &'a str {
        self.lines.value(row)
    }

    /// The structured metadata of `row` (name, value), in the order received; a null
    /// value reads as empty.
    pub fn metadata(&self, row: usize) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        let (keys, values) = (self.metadata_keys, self.metadata_values);
        (self.metadata_offsets[row] as usize..self.metadata_offsets[row + 1] as usize).map(move |i| {
            let value = if values.is_valid(i) { values.value(i) } else { "" };
            (keys.value(i), value)
        })
    }
}
