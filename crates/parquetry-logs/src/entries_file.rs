//! Writing one log entries file: the entries of many streams for one UTC day, stream by
//! stream, in row groups that each carry a line filter.

use crate::entry::StreamEntries;
use crate::line_filter::LineFilterBuilder;
use crate::schema::{
    ROW_GROUP_LINE_BYTES, ROW_GROUP_ROWS, columns, entries_schema, entries_writer_properties,
};
use arrow::array::{
    ArrayRef, BinaryBuilder, Int32Builder, Int64Builder, MapBuilder, MapFieldNames, StringBuilder,
    TimestampNanosecondBuilder, UInt64Builder,
};
use arrow::record_batch::RecordBatch;
use parquetry_table::error::{Result, arrow_err};
use parquetry_table::staged_parquet::StagedParquet;
use parquetry_table::{RowsWritten, Storage};
use std::sync::Arc;

/// Nanoseconds per millisecond: the catalog and directory keep times in milliseconds.
pub const NANOS_PER_MS: i64 = 1_000_000;

/// Writes `streams` (in the order given, each non-empty, sorted by time, inside one day)
/// to the staging name of `rel` and publishes it. Returns each stream's rows, with times
/// in milliseconds (floored), and the file size.
pub fn write_entries_file(
    storage: &Storage,
    rel: &str,
    streams: &[&StreamEntries],
) -> Result<(Vec<RowsWritten>, u64)> {
    let mut file = EntriesFileWriter::create(storage, rel)?;
    for s in streams {
        file.append(s)?;
    }
    file.finish(storage)
}

/// An entries file being written under its staging name. Streams are appended in the
/// file's order; one stream may come in consecutive pieces, each sorted by time and
/// later than the one before.
pub struct EntriesFileWriter {
    file: StagedParquet,
    group: RowGroup,
    written: Vec<RowsWritten>,
    row: u64,
}

impl EntriesFileWriter {
    /// Starts the file `rel`, staged.
    pub fn create(storage: &Storage, rel: &str) -> Result<EntriesFileWriter> {
        Ok(EntriesFileWriter {
            file: StagedParquet::create(storage, rel, entries_schema(), entries_writer_properties())?,
            group: RowGroup::default(),
            written: Vec::new(),
            row: 0,
        })
    }

    /// Appends the entries of `s` (sorted by time; a stream continues its previous
    /// piece when it was the last one appended).
    pub fn append(&mut self, s: &StreamEntries) -> Result<()> {
        let (Some(first), Some(last)) = (s.entries.first(), s.entries.last()) else {
            return Ok(());
        };
        let (min_time, max_time) = (
            first.timestamp.div_euclid(NANOS_PER_MS),
            last.timestamp.div_euclid(NANOS_PER_MS),
        );
        match self.written.last_mut() {
            Some(w) if w.id == s.id => {
                w.row_count += s.entries.len() as u64;
                w.max_time = max_time;
            }
            _ => self.written.push(RowsWritten {
                id: s.id,
                labels: s.labels.clone(),
                row_start: self.row,
                row_count: s.entries.len() as u64,
                min_time,
                max_time,
            }),
        }
        self.row += s.entries.len() as u64;
        for e in &s.entries {
            self.group.push(s.id.0, e);
            if self.group.rows == ROW_GROUP_ROWS || self.group.line_bytes >= ROW_GROUP_LINE_BYTES {
                self.group.write(&mut self.file)?;
            }
        }
        Ok(())
    }

    /// Closes and publishes the file; returns each stream's rows, with times in
    /// milliseconds (floored), and the file size.
    pub fn finish(mut self, storage: &Storage) -> Result<(Vec<RowsWritten>, u64)> {
        if self.group.rows > 0 {
            self.group.write(&mut self.file)?;
        }
        let bytes = self.file.publish(storage)?;
        Ok((self.written, bytes))
    }
}

/// How an id is stored: as its place in the line (`start · 2³² + length`) when the line
/// holds it, else as itself.
fn stored_id<'a>(line: &str, id: Option<&'a str>) -> (Option<&'a str>, Option<i64>) {
    match id {
        Some(id) if !id.is_empty() => match find(line.as_bytes(), id.as_bytes()) {
            Some(at) if at < 1 << 31 => (None, Some(((at as i64) << 32) | id.len() as i64)),
            _ => (Some(id), None),
        },
        other => (other, None),
    }
}

/// Where `needle` (not empty) first occurs in `haystack`: ids are short and found once
/// per row, where building a substring searcher would cost more than the search.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memchr_iter(needle[0], haystack).find(|&i| haystack[i..].starts_with(needle))
}

/// The rows of the row group being filled.
struct RowGroup {
    rows: usize,
    line_bytes: usize,
    stream: UInt64Builder,
    timestamp: TimestampNanosecondBuilder,
    line: StringBuilder,
    metadata: MapBuilder<StringBuilder, StringBuilder>,
    trace_id: StringBuilder,
    span_id: StringBuilder,
    severity: StringBuilder,
    severity_number: Int32Builder,
    trace_id_in_line: Int64Builder,
    span_id_in_line: Int64Builder,
    filter: LineFilterBuilder,
}

impl Default for RowGroup {
    fn default() -> Self {
        let names = MapFieldNames {
            entry: "entries".into(),
            key: "key".into(),
            value: "value".into(),
        };
        RowGroup {
            rows: 0,
            line_bytes: 0,
            stream: UInt64Builder::new(),
            timestamp: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            line: StringBuilder::new(),
            metadata: MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new()),
            trace_id: StringBuilder::new(),
            span_id: StringBuilder::new(),
            severity: StringBuilder::new(),
            severity_number: Int32Builder::new(),
            trace_id_in_line: Int64Builder::new(),
            span_id_in_line: Int64Builder::new(),
            filter: LineFilterBuilder::default(),
        }
    }
}

impl RowGroup {
    fn push(&mut self, stream: u64, e: &crate::entry::LogEntry) {
        self.rows += 1;
        self.line_bytes += e.line.len();
        self.stream.append_value(stream);
        self.timestamp.append_value(e.timestamp);
        self.line.append_value(&e.line);
        self.filter.add_line(e.line.as_bytes());
        if let Some(id) = &e.trace_id {
            self.filter.add_trace_id(id);
        }
        if e.metadata.is_empty() {
            self.metadata.append(false).expect("map builder lengths agree");
        } else {
            for (name, value) in &e.metadata {
                self.metadata.keys().append_value(name);
                // A trace or span id that its column holds too is stored once, there.
                let in_column = match name.as_str() {
                    columns::TRACE_ID => e.trace_id.as_ref() == Some(value),
                    columns::SPAN_ID => e.span_id.as_ref() == Some(value),
                    _ => false,
                };
                self.metadata
                    .values()
                    .append_value(if in_column { "" } else { value });
            }
            self.metadata.append(true).expect("map builder lengths agree");
        }
        let (trace, trace_at) = stored_id(&e.line, e.trace_id.as_deref());
        self.trace_id.append_option(trace);
        self.trace_id_in_line.append_option(trace_at);
        let (span, span_at) = stored_id(&e.line, e.span_id.as_deref());
        self.span_id.append_option(span);
        self.span_id_in_line.append_option(span_at);
        self.severity.append_option(e.severity.as_deref());
        self.severity_number.append_option(e.severity_number);
    }

    /// Writes the rows as one row group and starts the next.
    fn write(&mut self, file: &mut StagedParquet) -> Result<()> {
        let mut filters = BinaryBuilder::new();
        filters.append_value(self.filter.finish());
        for _ in 1..self.rows {
            filters.append_null();
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.stream.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.metadata.finish()),
            Arc::new(self.trace_id.finish()),
            Arc::new(self.span_id.finish()),
            Arc::new(self.severity.finish()),
            Arc::new(self.severity_number.finish()),
            Arc::new(self.trace_id_in_line.finish()),
            Arc::new(self.span_id_in_line.finish()),
            Arc::new(filters.finish()),
        ];
        let batch = RecordBatch::try_new(entries_schema(), columns).map_err(arrow_err(file.path()))?;
        file.write(&batch)?;
        file.flush()?;
        self.rows = 0;
        self.line_bytes = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::stored_id;

    #[test]
    fn ids_the_line_holds_are_stored_by_place() {
        let line = r#"{"msg":"ok","traceId":"4bf92f35","spanId":"a1"}"#;
        assert_eq!(stored_id(line, Some("4bf92f35")), (None, Some((23 << 32) | 8)));
        assert_eq!(&line[23..31], "4bf92f35");
        assert_eq!(stored_id(line, Some("ffff")), (Some("ffff"), None));
        assert_eq!(stored_id(line, Some("")), (Some(""), None));
        assert_eq!(stored_id(line, None), (None, None));
    }
}
