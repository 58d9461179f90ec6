//! Ingest of log files: Loki push bodies, OTLP/JSON logs, and plain log files (JSON
//! lines, logfmt, text). Each input is one atomic commit; nothing of an input that fails
//! is committed (unless invalid lines are skipped on request). Memory is bounded by the
//! batch size: every `batch_bytes` of entries the buffer is staged as Parquet files.

pub mod discover;
pub mod entry_batch;
pub mod fields;
pub mod loki_push;
pub mod otlp;
pub mod otlp_proto;
pub mod plain;
pub mod timestamp;

use crate::entry::LogEntry;
use crate::logfmt;
use crate::writer::LogsWriter;
use entry_batch::EntryBatch;
use fields::FieldNames;
use parquetry_model::Cancel;
use parquetry_table::Storage;
use parquetry_table::error::IngestError;
use parquetry_table::input::{IngestTally, InputLines, KEPT_SKIP_ERRORS, ingest_each, keep_skipped};
use plain::{LineFormat, TimeSource};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The input formats of logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Loki push API JSON bodies, one per line or one for the whole file.
    LokiPush,
    /// OTLP/JSON `LogsData`, one per line (the Collector's file exporter) or one for the
    /// whole file.
    OtlpJson,
    /// One JSON object per line (pino, structlog, …).
    Json,
    /// logfmt lines.
    Logfmt,
    /// Free text lines.
    Text,
    /// Entry JSON lines as `parquetry export --signal logs --format jsonl` writes them.
    Entries,
}

impl LogFormat {
    /// Every format with the name the CLI uses for it.
    pub const NAMES: [(&'static str, LogFormat); 6] = [
        ("loki-push", LogFormat::LokiPush),
        ("otlp-json", LogFormat::OtlpJson),
        ("json", LogFormat::Json),
        ("logfmt", LogFormat::Logfmt),
        ("text", LogFormat::Text),
        ("jsonl", LogFormat::Entries),
    ];

    /// The format named `name` (see [`LogFormat::NAMES`]), or a message listing the names.
    pub fn from_name(name: &str) -> Result<LogFormat, String> {
        LogFormat::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = LogFormat::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown logs format {name:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// The format of an input from its first non-empty line: a JSON object with
    /// `"streams"` is a Loki push body and one with `"resourceLogs"` OTLP; other JSON
    /// objects starting with `"labels"` are exported entries, other JSON objects JSON
    /// lines; `key=value` pairs logfmt; anything else text.
    pub fn detect(first_line: &str) -> LogFormat {
        let line = first_line.trim_start();
        if line.starts_with('{') {
            let head = &line[..line.floor_char_boundary(256)];
            if head.contains("\"resourceLogs\"") {
                return LogFormat::OtlpJson;
            }
            if head.contains("\"streams\"") {
                return LogFormat::LokiPush;
            }
            if line.starts_with("{\"labels\":") {
                return LogFormat::Entries;
            }
            return LogFormat::Json;
        }
        if logfmt::looks_like_logfmt(line) {
            return LogFormat::Logfmt;
        }
        LogFormat::Text
    }

    fn line_format(self) -> Option<LineFormat> {
        match self {
            LogFormat::Json => Some(LineFormat::Json),
            LogFormat::Logfmt => Some(LineFormat::Logfmt),
            LogFormat::Text => Some(LineFormat::Text),
            LogFormat::LokiPush | LogFormat::OtlpJson | LogFormat::Entries => None,
        }
    }
}

/// How to ingest logs.
#[derive(Clone, Debug)]
pub struct LogIngestOptions {
    /// The input format; `None` detects it per file from its first line.
    pub format: Option<LogFormat>,
    /// The stream labels of plain log files (JSON, logfmt, text). Push and OTLP inputs
    /// carry their own and keep exactly those.
    pub labels: Vec<(String, String)>,
    /// Fields of JSON and logfmt lines holding time, trace id, span id and severity.
    pub fields: FieldNames,
    /// Where a text line's time is (regex and/or strftime format).
    pub time: TimeSource,
    /// Skip and count malformed lines (or bodies) instead of rejecting the file.
    pub skip_invalid: bool,
    /// Bytes of entries buffered before they are staged to disk; bounds memory.
    pub batch_bytes: usize,
    /// Add a `service_name` label as Loki 3 does by default (off: streams keep exactly
    /// their labels).
    pub service_name: bool,
    /// Add `detected_level` structured metadata as Loki 3 does by default.
    pub detected_level: bool,
    /// In text files, a line without a readable time continues the entry before it
    /// (joined with a newline), the way a stack trace continues its error line, instead
    /// of being an error.
    pub multiline: bool,
    /// Stops the ingest; the file being read is not committed.
    pub cancel: Cancel,
}

impl Default for LogIngestOptions {
    fn default() -> Self {
        LogIngestOptions {
            format: None,
            labels: Vec::new(),
            fields: FieldNames::default(),
            time: TimeSource::default(),
            skip_invalid: false,
            batch_bytes: 256 << 20,
            service_name: false,
            detected_level: false,
            multiline: false,
            cancel: Cancel::default(),
        }
    }
}

/// What an ingest of logs did.
#[derive(Debug, Default)]
pub struct LogIngestReport {
    /// Files committed.
    pub files: usize,
    /// Streams with entries, summed over files.
    pub streams: usize,
    /// Entries stored.
    pub entries: u64,
    /// Bytes of the stored entries' lines.
    pub line_bytes: u64,
    /// Exact duplicates (same stream, time and line) dropped.
    pub duplicates: u64,
    /// Malformed lines (or bodies) skipped, only with `skip_invalid`.
    pub skipped_lines: u64,
    /// The first few skipped lines' errors.
    pub first_skipped: Vec<IngestError>,
    /// Bytes read from the inputs.
    pub bytes_read: u64,
    /// Bytes of entries files written.
    pub bytes_written: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl IngestTally for LogIngestReport {
    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn absorb(&mut self, other: LogIngestReport) {
        self.files += other.files;
        self.streams += other.streams;
        self.entries += other.entries;
        self.line_bytes += other.line_bytes;
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
pub fn ingest_log_files(
    storage: &Storage,
    paths: &[PathBuf],
    options: &LogIngestOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<LogIngestReport, IngestError> {
    ingest_each(paths, progress, |path, reader, progress| {
        ingest_log_reader(storage, path, reader, options, progress)
    })
}

/// Ingests one input as one commit; `name` is used in error messages.
pub fn ingest_log_reader(
    storage: &Storage,
    name: &Path,
    input: impl BufRead,
    options: &LogIngestOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<LogIngestReport, IngestError> {
    let started = Instant::now();
    let mut writer = LogsWriter::begin(storage)?.with_operation("ingest");
    let mut lines = InputLines::new(name, input, &options.cancel, progress);
    let mut batch = EntryBatch::new(options)?;
    let mut report = LogIngestReport {
        files: 1,
        ..LogIngestReport::default()
    };
    let result = read_input(&mut lines, options, &mut batch, &mut writer, &mut report);
    report.bytes_read = lines.bytes_read();
    if let Err(e) = result {
        writer.abort()?;
        return Err(e);
    }
    let segment = writer.segment();
    report.streams = segment.streams();
    report.entries = segment.entries();
    report.duplicates = segment.duplicates();
    report.bytes_written = segment.bytes();
    report.line_bytes = batch.line_bytes();
    writer.commit()?;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn read_input<R: BufRead>(
    lines: &mut InputLines<'_, R>,
    options: &LogIngestOptions,
    batch: &mut EntryBatch,
    writer: &mut LogsWriter,
    report: &mut LogIngestReport,
) -> Result<(), IngestError> {
    let mut format = options.format;
    let skip = |err: IngestError, report: &mut LogIngestReport| {
        if !options.skip_invalid {
            return Err(err);
        }
        report.skipped_lines += 1;
        if report.first_skipped.len() < KEPT_SKIP_ERRORS {
            report.first_skipped.push(err);
        }
        Ok(())
    };
    let mut owned = String::new();
    // With `multiline`, the last text entry and its line number, which later lines may
    // still continue.
    let mut pending: Option<(LogEntry, u64)> = None;
    while let Some(line) = lines.next_line()? {
        match line {
            Ok(line) => {
                owned.clear();
                owned.push_str(line);
            }
            Err(column) => {
                skip(lines.error_at(lines.line_no(), column, "invalid UTF-8"), report)?;
                continue;
            }
        }
        let line_no = lines.line_no();
        let line = owned.as_str();
        if line.trim().is_empty() {
            continue;
        }
        let f = match format {
            Some(f) => Some(f),
            // A first line that opens a JSON document without closing it: the format is
            // known once the whole document is read.
            None if starts_incomplete_json(line) => None,
            None => Some(*format.insert(LogFormat::detect(line))),
        };
        let held = options.multiline && f == Some(LogFormat::Text);
        let added = match f.and_then(LogFormat::line_format) {
            Some(lf) => match plain::parse_line(line, lf, &options.fields, &options.time) {
                Ok(entry) if held => match pending.replace((entry, line_no)) {
                    Some((previous, at)) => {
                        if let Err(e) = batch.add_plain(previous) {
                            skip(lines.error_at(at, 1, e), report)?;
                        }
                        Ok(())
                    }
                    None => Ok(()),
                },
                Ok(entry) => batch.add_plain(entry).map_err(|e| (1, e)),
                Err(_) if held && pending.is_some() => {
                    let (entry, _) = pending.as_mut().expect("checked");
                    entry.line.push('\n');
                    entry.line.push_str(line);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            None => match read_document(line, lines, f) {
                Ok((document, detected)) => {
                    format.get_or_insert(detected);
                    add_document(batch, document).map_err(|e| (1, e))
                }
                Err(DocumentError::Syntax {
                    line: at,
                    column,
                    message,
                }) => {
                    skip(lines.error_at(line_no + at - 1, column, message), report)?;
                    continue;
                }
                Err(DocumentError::Input(e)) => return Err(e),
            },
        };
        if let Err((column, message)) = added {
            skip(lines.error_at(line_no, column, message), report)?;
        }
        if batch.weight() >= options.batch_bytes {
            writer.write(batch.take())?;
        }
    }
    if let Some((entry, at)) = pending
        && let Err(e) = batch.add_plain(entry)
    {
        skip(lines.error_at(at, 1, e), report)?;
    }
    writer.write(batch.take())?;
    Ok(())
}

/// One parsed push body, OTLP message or exported entry.
enum Document {
    Push(loki_push::PushBody),
    Otlp(otlp::LogsData),
    Entry(EntryRow),
}

/// One line of an entry JSON lines export.
#[derive(serde::Deserialize)]
struct EntryRow {
    labels: loki_push::OrderedPairs,
    timestamp: String,
    line: String,
    #[serde(default)]
    structured_metadata: loki_push::OrderedPairs,
    trace_id: Option<String>,
    span_id: Option<String>,
    severity: Option<String>,
    severity_number: Option<i32>,
}

enum DocumentError {
    /// Line (1-based, counted from the document's first line), column, message.
    Syntax {
        line: u64,
        column: usize,
        message: String,
    },
    Input(IngestError),
}

/// True when `line` starts a JSON value that the line does not finish.
fn starts_incomplete_json(line: &str) -> bool {
    line.trim_start().starts_with('{')
        && serde_json::from_str::<serde::de::IgnoredAny>(line).is_err_and(|e| e.is_eof())
}

/// Parses the document starting on `first`: one per line, or, when the line ends before
/// the document does (a pretty-printed body), the rest of the input as one document.
/// `format` is `None` when it is to be detected from the whole document. Returns the
/// document and its format.
fn read_document<R: BufRead>(
    first: &str,
    lines: &mut InputLines<'_, R>,
    format: Option<LogFormat>,
) -> Result<(Document, LogFormat), DocumentError> {
    let parse = |text: &str, format: LogFormat| -> Result<Document, serde_json::Error> {
        Ok(match format {
            LogFormat::LokiPush => Document::Push(serde_json::from_str(text)?),
            LogFormat::Entries => Document::Entry(serde_json::from_str(text)?),
            _ => Document::Otlp(serde_json::from_str(text)?),
        })
    };
    let syntax = |e: serde_json::Error, format: LogFormat| DocumentError::Syntax {
        line: e.line().max(1) as u64,
        column: e.column().max(1),
        message: format!("malformed {}: {e}", format_name(format)),
    };
    if let Some(format) = format {
        match parse(first, format) {
            Ok(d) => return Ok((d, format)),
            Err(e) if !e.is_eof() => return Err(syntax(e, format)),
            Err(_) => {}
        }
    }
    let mut whole = first.to_string();
    let mut line = 1;
    while let Some(next) = lines.next_line().map_err(DocumentError::Input)? {
        line += 1;
        let next = next.map_err(|column| DocumentError::Syntax {
            line,
            column,
            message: "invalid UTF-8".to_string(),
        })?;
        whole.push('\n');
        whole.push_str(next);
    }
    let format = format.unwrap_or_else(|| match LogFormat::detect(&whole) {
        LogFormat::Json => LogFormat::LokiPush,
        other => other,
    });
    parse(&whole, format)
        .map(|d| (d, format))
        .map_err(|e| syntax(e, format))
}

/// Adds a parsed document's entries to `batch`.
fn add_document(batch: &mut EntryBatch, document: Document) -> Result<(), String> {
    match document {
        Document::Push(body) => batch.add_push(body),
        Document::Otlp(data) => batch.add_otlp(data),
        Document::Entry(row) => {
            let entry = LogEntry {
                timestamp: entry_batch::push_timestamp(&row.timestamp)?,
                line: row.line,
                metadata: row.structured_metadata.0,
                trace_id: row.trace_id,
                span_id: row.span_id,
                severity: row.severity,
                severity_number: row.severity_number,
            };
            batch.add_exported(row.labels.0, entry)
        }
    }
}

fn format_name(format: LogFormat) -> &'static str {
    match format {
        LogFormat::LokiPush => "Loki push body",
        LogFormat::Entries => "entry line",
        _ => "OTLP LogsData",
    }
}

/// Reads a whole input (for tests and small bodies) from bytes.
pub fn ingest_log_bytes(
    storage: &Storage,
    name: &Path,
    bytes: &[u8],
    options: &LogIngestOptions,
) -> Result<LogIngestReport, IngestError> {
    ingest_log_reader(
        storage,
        name,
        std::io::BufReader::new(bytes.take(u64::MAX)),
        options,
        &mut |_| {},
    )
}

#[cfg(test)]
mod tests;
