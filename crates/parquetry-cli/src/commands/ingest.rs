//! `parquetry ingest`.

use crate::progress::byte_bar;
use anyhow::Context;
use anyhow::Result;
use parquetry::logs::ingest::plain::TimeSource;
use parquetry::logs::ingest::{LogFormat, LogIngestOptions, LogIngestReport};
use parquetry::spans::ingest::{SpanIngestOptions, SpanIngestReport};
use parquetry::store::{Format, IngestOptions, IngestReport};
use parquetry::{Engine, Signal};
use std::path::PathBuf;

/// Ingest files into a store (created if missing). Each file is one atomic commit.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// metrics, logs or spans. Detected from the first file's content when omitted (Loki
    /// push bodies and OTLP logs are logs, OTLP traces spans); `--label` implies logs.
    #[arg(long)]
    signal: Option<String>,
    /// Input format. Metrics: openmetrics, prometheus, jsonl or csv. Logs: loki-push,
    /// otlp-json, json, logfmt, text or jsonl (entries as `export --signal logs` writes
    /// them). Spans: otlp-json. Detected from the content when omitted.
    #[arg(long)]
    format: Option<String>,
    /// A stream label of plain log files, `name=value`; repeat for more.
    #[arg(long = "label", value_name = "NAME=VALUE")]
    labels: Vec<String>,
    /// Logs: a regular expression finding a text line's time (its group `ts`, else its
    /// first group, else the whole match).
    #[arg(long)]
    timestamp_regex: Option<String>,
    /// Logs: the strftime format of a text line's time (e.g. `%d/%b/%Y:%H:%M:%S %z`);
    /// without a regex it is matched at the start of the line.
    #[arg(long)]
    timestamp_format: Option<String>,
    /// Logs: add a `service_name` label as Loki 3 does by default.
    #[arg(long)]
    service_name: bool,
    /// Logs: add `detected_level` structured metadata as Loki 3 does by default.
    #[arg(long)]
    detect_level: bool,
    /// Logs: in text files, a line without a readable time continues the entry before it
    /// (a stack trace stays with its error line) instead of being an error.
    #[arg(long)]
    multiline: bool,
    /// Skip and count malformed lines instead of rejecting the file.
    #[arg(long)]
    skip_invalid: bool,
    /// Samples buffered in memory before they are written out.
    #[arg(long, default_value_t = IngestOptions::default().batch_samples)]
    batch_samples: usize,
    /// The files to ingest.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let signal = match args.signal.as_deref() {
        Some(name) => Signal::from_name(name).map_err(anyhow::Error::msg)?,
        None if !args.labels.is_empty() => Signal::Logs,
        None => Signal::detect(&args.files[0])?,
    };
    let total: u64 = args
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = byte_bar(total);
    let mut progress = |b| bar.set_position(b);
    match signal {
        Signal::Metrics => {
            let options = metrics_options(&args)?;
            let report = Engine::ingest(&args.store, &args.files, &options, &mut progress);
            bar.finish_and_clear();
            let report = report?;
            println!("{}", summary(&report));
            for e in &report.first_skipped {
                eprintln!("skipped: {e}");
            }
        }
        Signal::Logs => {
            let options = logs_options(&args)?;
            let report = Engine::ingest_logs(&args.store, &args.files, &options, &mut progress);
            bar.finish_and_clear();
            let report = report?;
            println!("{}", logs_summary(&report));
            for e in &report.first_skipped {
                eprintln!("skipped: {e}");
            }
        }
        Signal::Spans => {
            let options = spans_options(&args)?;
            let report = Engine::ingest_spans(&args.store, &args.files, &options, &mut progress);
            bar.finish_and_clear();
            let report = report?;
            println!("{}", spans_summary(&report));
            for e in &report.first_skipped {
                eprintln!("skipped: {e}");
            }
        }
    }
    Ok(())
}

fn metrics_options(args: &Args) -> Result<IngestOptions> {
    anyhow::ensure!(
        args.timestamp_regex.is_none()
            && args.timestamp_format.is_none()
            && !args.service_name
            && !args.detect_level
            && !args.multiline,
        "--timestamp-regex, --timestamp-format, --service-name, --detect-level and --multiline apply to logs (--signal logs)"
    );
    let format = match args.format.as_deref() {
        None => None,
        Some(name) => Some(Format::from_name(name).map_err(anyhow::Error::msg)?),
    };
    Ok(IngestOptions {
        format,
        skip_invalid: args.skip_invalid,
        batch_samples: args.batch_samples.max(1),
        ..IngestOptions::default()
    })
}

fn spans_options(args: &Args) -> Result<SpanIngestOptions> {
    anyhow::ensure!(
        args.labels.is_empty()
            && args.timestamp_regex.is_none()
            && args.timestamp_format.is_none()
            && !args.service_name
            && !args.detect_level
            && !args.multiline,
        "--label, --timestamp-regex, --timestamp-format, --service-name, --detect-level and --multiline apply to logs (--signal logs)"
    );
    if let Some(format) = args.format.as_deref() {
        anyhow::ensure!(
            format == "otlp-json",
            "unknown spans format {format:?}: expected otlp-json"
        );
    }
    Ok(SpanIngestOptions {
        skip_invalid: args.skip_invalid,
        ..SpanIngestOptions::default()
    })
}

/// The one-line summary of an ingest of spans.
pub fn spans_summary(r: &SpanIngestReport) -> String {
    let mut s = format!(
        "ingested {} file(s): {} spans in {} trace(s), {} bytes written ({:.1} bytes/span) in {:.2} s ({:.0} spans/s)",
        r.files,
        r.spans,
        r.traces,
        r.bytes_written,
        r.bytes_written as f64 / r.spans.max(1) as f64,
        r.elapsed.as_secs_f64(),
        r.spans as f64 / r.elapsed.as_secs_f64().max(1e-9)
    );
    if r.duplicates > 0 {
        s.push_str(&format!(
            "; dropped {} repeated span(s) (the last copy kept)",
            r.duplicates
        ));
    }
    if r.skipped_lines > 0 {
        s.push_str(&format!("; skipped {} malformed line(s)", r.skipped_lines));
    }
    s
}

fn logs_options(args: &Args) -> Result<LogIngestOptions> {
    let format = match args.format.as_deref() {
        None => None,
        Some(name) => Some(LogFormat::from_name(name).map_err(anyhow::Error::msg)?),
    };
    let labels = args
        .labels
        .iter()
        .map(|l| {
            l.split_once('=')
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .with_context(|| format!("--label {l:?}: expected name=value"))
        })
        .collect::<Result<Vec<_>>>()?;
    let time = TimeSource::new(args.timestamp_regex.as_deref(), args.timestamp_format.clone())
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    Ok(LogIngestOptions {
        format,
        labels,
        time,
        skip_invalid: args.skip_invalid,
        service_name: args.service_name,
        detected_level: args.detect_level,
        multiline: args.multiline,
        ..LogIngestOptions::default()
    })
}

/// The one-line summary of an ingest of logs.
pub fn logs_summary(r: &LogIngestReport) -> String {
    let mut s = format!(
        "ingested {} file(s): {} stream(s), {} entries, {} bytes of lines, {} bytes written ({:.1}x) in {:.2} s ({:.1} MB/s)",
        r.files,
        r.streams,
        r.entries,
        r.line_bytes,
        r.bytes_written,
        r.line_bytes as f64 / r.bytes_written.max(1) as f64,
        r.elapsed.as_secs_f64(),
        r.bytes_read as f64 / 1e6 / r.elapsed.as_secs_f64().max(1e-9)
    );
    if r.duplicates > 0 {
        s.push_str(&format!("; dropped {} exact duplicate(s)", r.duplicates));
    }
    if r.skipped_lines > 0 {
        s.push_str(&format!("; skipped {} malformed line(s)", r.skipped_lines));
    }
    s
}

/// The one-line summary of an ingest.
pub fn summary(r: &IngestReport) -> String {
    let mut s = format!(
        "ingested {} file(s): {} series, {} samples, {} bytes written ({:.2} bytes/sample) in {:.2} s ({:.0} samples/s)",
        r.files,
        r.series,
        r.samples,
        r.bytes_written,
        r.bytes_per_sample(),
        r.elapsed.as_secs_f64(),
        r.samples_per_second()
    );
    if r.duplicates.exact > 0 || r.duplicates.conflicting > 0 {
        s.push_str(&format!(
            "; dropped {} exact duplicate(s) and {} conflicting duplicate(s) (first value kept)",
            r.duplicates.exact, r.duplicates.conflicting
        ));
    }
    if r.skipped_lines > 0 {
        s.push_str(&format!("; skipped {} malformed line(s)", r.skipped_lines));
    }
    if r.skipped_samples > 0 {
        s.push_str(&format!(
            "; left out {} OpenMetrics _created sample(s)",
            r.skipped_samples
        ));
    }
    s
}
