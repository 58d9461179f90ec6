//! Ingest: reading the formats people already have into a store.
//!
//! Each input file becomes one commit: if a line is malformed, nothing from that file is
//! committed (unless invalid lines are skipped on request), and a crash mid-file leaves the
//! previous store version as it was. Memory is bounded by the batch size: every
//! `batch_samples` samples the buffer is sorted and staged as Parquet files; when a file
//! took several batches, its staged files are merged into one per day before the commit,
//! so that each series' rows of a day are together.

pub mod buffer;
pub mod otlp_metrics;
pub mod remote_write;
pub mod rows;
pub mod series_text;
pub mod text;

use crate::commit::Writer;
use buffer::{DuplicateCounts, SeriesBuffer};
use parquetry_model::{Cancel, MetricMetadata};
pub use parquetry_table::error::IngestError;
use parquetry_table::input::{IngestTally, InputLines, KEPT_SKIP_ERRORS, ingest_each, keep_skipped};
use series_text::SyntaxError;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A parser that consumes one line (without its line break) at a time.
pub trait LineParser {
    /// Parses one line into the buffer, or explains what was expected where.
    fn line(&mut self, line: &str, buf: &mut SeriesBuffer) -> Result<(), SyntaxError>;

    /// Called after the last line; fails when the input ended too early.
    fn finish(&mut self) -> Result<(), SyntaxError> {
        Ok(())
    }

    /// Samples read but deliberately not stored (e.g. OpenMetrics `_created` series).
    fn skipped_samples(&self) -> u64 {
        0
    }

    /// The metric families the input declared (type, help, unit), taken once after the
    /// last line.
    fn metadata(&mut self) -> Vec<MetricMetadata> {
        Vec::new()
    }
}

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics text (timestamps in seconds, `# EOF` last).
    OpenMetrics,
    /// Prometheus text exposition format (timestamps in milliseconds).
    Prometheus,
    /// JSON lines in the row format.
    JsonLines,
    /// CSV in the row format.
    Csv,
}

impl Format {
    /// Every format with the name the CLI uses for it.
    pub const NAMES: [(&'static str, Format); 4] = [
        ("openmetrics", Format::OpenMetrics),
        ("prometheus", Format::Prometheus),
        ("jsonl", Format::JsonLines),
        ("csv", Format::Csv),
    ];

    /// The format named `name` (see [`Format::NAMES`]), or a message listing the names.
    pub fn from_name(name: &str) -> Result<Format, String> {
        Format::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::NAMES.iter().map(|(n, _)| *n).collect();
                format!("unknown format {name:?}: expected one of {}", names.join(", "))
            })
    }

    /// Guesses the format from the file extension, then from the first line: `.om` and
    /// `.openmetrics` are OpenMetrics, `.prom` Prometheus text, `.jsonl`/`.ndjson`/`.json`
    /// JSON lines, `.csv` CSV; otherwise a line starting with `{"` means JSON lines, the CSV
    /// header means CSV, and anything else is read as OpenMetrics.
    pub fn detect(path: &Path, first_line: &str) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "om" | "openmetrics" => Format::OpenMetrics,
            "prom" => Format::Prometheus,
            "jsonl" | "ndjson" | "json" => Format::JsonLines,
            "csv" => Format::Csv,
            _ if first_line.starts_with("{\"") => Format::JsonLines,
            _ if first_line.trim_end() == rows::CSV_HEADER => Format::Csv,
            _ => Format::OpenMetrics,
        }
    }

    fn parser(self) -> Box<dyn LineParser> {
        match self {
            Format::OpenMetrics => Box::new(text::TextParser::new(text::Dialect::OpenMetrics)),
            Format::Prometheus => Box::new(text::TextParser::new(text::Dialect::Prometheus)),
            Format::JsonLines => Box::new(rows::JsonLinesParser),
            Format::Csv => Box::new(rows::CsvParser::default()),
        }
    }
}

/// How to ingest.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// The input format; `None` detects it per file.
    pub format: Option<Format>,
    /// Skip and count malformed lines instead of rejecting the file.
    pub skip_invalid: bool,
    /// Samples buffered before they are staged to disk; bounds memory.
    pub batch_samples: usize,
    /// Stops the ingest when cancelled: the file being read is not committed, and files
    /// committed before it stay.
    pub cancel: Cancel,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: None,
            skip_invalid: false,
            batch_samples: 4 << 20,
            cancel: Cancel::default(),
        }
    }
}

/// What an ingest did.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// Files committed.
    pub files: usize,
    /// Series with samples, summed over files.
    pub series: usize,
    /// Samples stored.
    pub samples: u64,
    /// Duplicates dropped.
    pub duplicates: DuplicateCounts,
    /// Malformed lines skipped (only with `skip_invalid`).
    pub skipped_lines: u64,
    /// The first few skipped lines' errors.
    pub first_skipped: Vec<IngestError>,
    /// Samples read but not stored by design (OpenMetrics `_created` series).
    pub skipped_samples: u64,
    /// Bytes read from the inputs.
    pub bytes_read: u64,
    /// Bytes of samples files written.
    pub bytes_written: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl IngestReport {
    /// Stored samples per second of wall time.
    pub fn samples_per_second(&self) -> f64 {
        self.samples as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Bytes of samples files per stored sample.
    pub fn bytes_per_sample(&self) -> f64 {
        self.bytes_written as f64 / (self.samples.max(1)) as f64
    }
}

impl IngestTally for IngestReport {
    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn absorb(&mut self, other: IngestReport) {
        self.files += other.files;
        self.series += other.series;
        self.samples += other.samples;
        self.duplicates.exact += other.duplicates.exact;
        self.duplicates.conflicting += other.duplicates.conflicting;
        self.skipped_lines += other.skipped_lines;
        self.skipped_samples += other.skipped_samples;
        self.bytes_read += other.bytes_read;
        self.bytes_written += other.bytes_written;
        keep_skipped(&mut self.first_skipped, other.first_skipped);
    }

    fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
    }
}

/// Ingests each file as its own commit into the store at `root` (created if needed).
/// `progress` is called with the number of bytes read so far across all files.
pub fn ingest_files(
    root: &Path,
    paths: &[PathBuf],
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<IngestReport, IngestError> {
    ingest_each(paths, progress, |path, reader, progress| {
        ingest_reader(root, path, reader, options, progress)
    })
}

/// Ingests one input as one commit. `name` is used in error messages and for format
/// detection.
pub fn ingest_reader(
    root: &Path,
    name: &Path,
    mut input: impl BufRead,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<IngestReport, IngestError> {
    let started = Instant::now();
    let mut lines = InputLines::new(name, &mut input, &options.cancel, progress);
    let mut writer = Writer::begin(root)?.with_operation("ingest");
    let mut buf = SeriesBuffer::default();
    let mut report = IngestReport {
        files: 1,
        ..IngestReport::default()
    };
    let mut parser: Option<Box<dyn LineParser>> = None;
    let result = (|| -> Result<(), IngestError> {
        while let Some(line) = lines.next_line()? {
            let parsed = line
                .map_err(|column| SyntaxError::new(column - 1, "invalid UTF-8"))
                .and_then(|line| {
                    let p = parser.get_or_insert_with(|| {
                        options
                            .format
                            .unwrap_or_else(|| Format::detect(name, line))
                            .parser()
                    });
                    p.line(line, &mut buf)
                });
            if let Err(e) = parsed {
                let err = lines.error_at(lines.line_no(), e.offset + 1, e.message);
                if !options.skip_invalid {
                    return Err(err);
                }
                report.skipped_lines += 1;
                if report.first_skipped.len() < KEPT_SKIP_ERRORS {
                    report.first_skipped.push(err);
                }
            }
            if buf.pending() >= options.batch_samples {
                writer.write(buf.take_sorted(&mut report.duplicates))?;
            }
        }
        let mut parser = parser
            .take()
            .unwrap_or_else(|| options.format.unwrap_or(Format::OpenMetrics).parser());
        parser
            .finish()
            .map_err(|e| lines.error_at(lines.line_no() + 1, e.offset + 1, e.message))?;
        report.skipped_samples = parser.skipped_samples();
        writer.declare(parser.metadata());
        writer.write(buf.take_sorted(&mut report.duplicates))?;
        writer.settle()?;
        Ok(())
    })();
    report.bytes_read = lines.bytes_read();
    if let Err(e) = result {
        writer.abort()?;
        return Err(e);
    }
    report.series = writer.series_written();
    report.samples = writer.samples_written();
    report.bytes_written = writer.bytes_written();
    writer.commit()?;
    report.elapsed = started.elapsed();
    Ok(report)
}
