//! Ingest of span files: OTLP/JSON `TracesData`, one message per line (as the
//! OpenTelemetry Collector's file exporter writes them) or one pretty-printed message
//! for the whole file; or OTLP protobuf, one message or length-prefixed messages (told
//! from JSON by their bytes). Each input is one atomic
//! commit; nothing of an input that fails is committed (unless malformed lines are
//! skipped on request). Memory is bounded by the batch size: every `batch_spans` spans
//! the buffer is staged as Parquet files. Spans of one trace that arrive in several
//! inputs are one trace to every reader.

use crate::otlp_json::{TracesData, spans_of};
use crate::otlp_proto::looks_binary;
use crate::span::Span;
use crate::writer::SpansWriter;
use parquetry_model::Cancel;
use parquetry_table::Storage;
use parquetry_table::error::IngestError;
use parquetry_table::input::{IngestTally, InputLines, KEPT_SKIP_ERRORS, ingest_each, keep_skipped};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to ingest spans.
#[derive(Clone, Debug)]
pub struct SpanIngestOptions {
    /// Skip and count malformed lines instead of rejecting the file.
    pub skip_invalid: bool,
    /// Spans buffered before they are staged to disk; bounds memory.
    pub batch_spans: usize,
    /// Stops the ingest; the file being read is not committed.
    pub cancel: Cancel,
}

impl Default for SpanIngestOptions {
    fn default() -> Self {
        SpanIngestOptions {
            skip_invalid: false,
            batch_spans: 256 * 1024,
            cancel: Cancel::default(),
        }
    }
}

/// What an ingest of spans did.
#[derive(Debug, Default)]
pub struct SpanIngestReport {
    /// Files committed.
    pub files: usize,
    /// Spans stored.
    pub spans: u64,
    /// Traces stored (a trace counts once per file it arrives in).
    pub traces: u64,
    /// Spans dropped because a later copy with the same trace and span id followed.
    pub duplicates: u64,
    /// Malformed lines skipped, only with `skip_invalid`.
    pub skipped_lines: u64,
    /// The first few skipped lines' errors.
    pub first_skipped: Vec<IngestError>,
    /// Bytes read from the inputs.
    pub bytes_read: u64,
    /// Bytes of spans files written.
    pub bytes_written: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl IngestTally for SpanIngestReport {
    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn absorb(&mut self, other: SpanIngestReport) {
        self.files += other.files;
        self.spans += other.spans;
        self.traces += other.traces;
        self.duplicates += other.duplicates;
        self.skipped_lines += other.skipped_lines;
        self.bytes_read += other.bytes_read;
        self.bytes_written += other.bytes_written;
        keep_skipped(&mut self.first_skipped, other.first_skipped);
    }

    fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
    }
}

/// Ingests each file as its own commit into the store in `storage` (created if needed).
/// `progress` is called with the bytes read so far across all files.
pub fn ingest_span_files(
    storage: &Storage,
    paths: &[PathBuf],
    options: &SpanIngestOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<SpanIngestReport, IngestError> {
    ingest_each(paths, progress, |path, reader, progress| {
        ingest_span_reader(storage, path, reader, options, progress)
    })
}

/// Ingests one input as one commit; `name` is used in error messages.
pub fn ingest_span_reader(
    storage: &Storage,
    name: &Path,
    input: impl BufRead,
    options: &SpanIngestOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<SpanIngestReport, IngestError> {
    let started = Instant::now();
    let mut input = input;
    let binary = input
        .fill_buf()
        .map(looks_binary)
        .map_err(|source| IngestError::Io {
            file: name.to_path_buf(),
            source,
        })?;
    let mut writer = SpansWriter::begin(storage)?.with_operation("ingest");
    let mut report = SpanIngestReport {
        files: 1,
        ..SpanIngestReport::default()
    };
    let result = if binary {
        proto::read_messages(name, input, options, &mut writer, &mut report, progress)
    } else {
        let mut lines = InputLines::new(name, input, &options.cancel, progress);
        let read = read_input(&mut lines, options, &mut writer, &mut report);
        read.map(|()| lines.bytes_read())
    };
    if let Err(e) = result {
        writer.abort()?;
        return Err(e);
    }
    report.bytes_read = result.unwrap_or_default();
    let segment = writer.segment();
    report.spans = segment.spans();
    report.traces = segment.traces();
    report.duplicates = segment.duplicates();
    report.bytes_written = segment.bytes();
    writer.commit()?;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn read_input<R: BufRead>(
    lines: &mut InputLines<'_, R>,
    options: &SpanIngestOptions,
    writer: &mut SpansWriter,
    report: &mut SpanIngestReport,
) -> Result<(), IngestError> {
    let mut batch: Vec<Span> = Vec::new();
    let mut first = true;
    while let Some(line) = lines.next_line()? {
        let mut parsed = match line {
            Err(column) => Err(Fault::at(1, column, "invalid UTF-8".to_string())),
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => read_document(text),
        };
        let mut line_no = lines.line_no();
        if first && parsed.as_ref().is_err_and(|f| f.unfinished) {
            // A first line that opens a document without closing it: a pretty-printed
            // TracesData, read whole from the rest of the input.
            let (whole, start) = rest_of_input(lines)?;
            parsed = read_document(&whole);
            line_no = start;
        }
        first = false;
        match parsed {
            Ok(spans) => batch.extend(spans),
            Err(f) => {
                let err = lines.error_at(line_no + f.line - 1, f.column, f.message);
                if !options.skip_invalid {
                    return Err(err);
                }
                report.skipped_lines += 1;
                if report.first_skipped.len() < KEPT_SKIP_ERRORS {
                    report.first_skipped.push(err);
                }
            }
        }
        if batch.len() >= options.batch_spans {
            writer.write(std::mem::take(&mut batch))?;
        }
    }
    writer.write(batch)?;
    Ok(())
}

/// The line just read and every line after it, joined, with the line number of the
/// first.
fn rest_of_input<R: BufRead>(lines: &mut InputLines<'_, R>) -> Result<(String, u64), IngestError> {
    let start = lines.line_no();
    let mut whole = String::from_utf8_lossy(lines.last_line()).into_owned();
    while let Some(next) = lines.next_line()? {
        match next {
            Ok(text) => {
                whole.push('\n');
                whole.push_str(text);
            }
            Err(column) => return Err(lines.error_at(lines.line_no(), column, "invalid UTF-8")),
        }
    }
    Ok((whole, start))
}

/// What is wrong with a document: where (1-based, relative to its first line) and what.
struct Fault {
    line: u64,
    column: usize,
    message: String,
    /// The JSON ended before the document did.
    unfinished: bool,
}

impl Fault {
    fn at(line: u64, column: usize, message: String) -> Fault {
        Fault {
            line,
            column,
            message,
            unfinished: false,
        }
    }
}

/// The spans of one document (a line, or a whole pretty-printed input). A fault outside
/// the JSON syntax is placed at the document's first column.
fn read_document(text: &str) -> Result<Vec<Span>, Fault> {
    let data: TracesData = serde_json::from_str(text).map_err(|e| {
        let what = if e.is_eof() {
            "truncated OTLP/JSON document"
        } else {
            "not an OTLP/JSON TracesData document"
        };
        Fault {
            unfinished: e.is_eof(),
            ..Fault::at(e.line().max(1) as u64, e.column().max(1), format!("{what}: {e}"))
        }
    })?;
    spans_of(data).map_err(|message| Fault::at(1, 1, message))
}

mod proto;
#[cfg(test)]
mod tests;
