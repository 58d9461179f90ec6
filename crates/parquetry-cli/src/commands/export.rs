//! `parquetry export`.

use crate::answer_out::answer_out;
use crate::time_args;
use anyhow::{Result, bail};
use parquetry::logs::entries_file::NANOS_PER_MS;
use parquetry::logs::export::LogExportFormat;
use parquetry::spans::export::SpanExportFormat;
use parquetry::store::ingest::rows::RowFormat;
use parquetry::{Engine, Signal};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write raw samples in the ingest row format (JSONL or CSV), log entries as entry JSON
/// lines or Loki push bodies, or spans as OTLP/JSON lines; `ingest` reads the output
/// back to the same data.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// metrics, logs or spans.
    #[arg(long, default_value = "metrics")]
    signal: String,
    /// Metrics: jsonl or csv. Logs: jsonl (every field) or loki-push. Spans: otlp-json
    /// (also accepted as jsonl): one `TracesData` per trace and line; or otlp-proto: one
    /// `TracesData` per trace, each after its length as 4 big-endian bytes.
    #[arg(long, default_value = "jsonl")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Earliest sample time (RFC 3339 or Unix seconds).
    #[arg(long)]
    start: Option<String>,
    /// Latest sample time (RFC 3339 or Unix seconds).
    #[arg(long)]
    end: Option<String>,
    /// A series (or stream) selector; every series (or stream) when omitted.
    selector: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let signal = Signal::from_name(&args.signal).map_err(anyhow::Error::msg)?;
    let (start, end) = time_args::range(args.start.as_deref(), args.end.as_deref())?;
    let engine = Engine::open(&args.store)?;
    let (out, name): (Box<dyn Write>, &Path) = match &args.output {
        Some(path) => (Box::new(std::fs::File::create(path)?), path.as_path()),
        None => (Box::new(answer_out()?), Path::new("<stdout>")),
    };
    let out = std::io::BufWriter::with_capacity(1 << 20, out);
    let (written, what) = match signal {
        Signal::Metrics => {
            let format = match args.format.as_str() {
                "jsonl" => RowFormat::JsonLines,
                "csv" => RowFormat::Csv,
                other => bail!("unknown export format {other:?}: expected jsonl or csv"),
            };
            let n = engine.export(args.selector.as_deref(), start, end, format, out, name)?;
            (n, "samples")
        }
        Signal::Logs => {
            let format = LogExportFormat::from_name(&args.format).map_err(anyhow::Error::msg)?;
            // Milliseconds to nanoseconds; the end millisecond's first nanosecond is in.
            let start_ns = start.saturating_mul(NANOS_PER_MS);
            let end_ns = end.saturating_mul(NANOS_PER_MS).saturating_add(1);
            let n = engine.export_logs(args.selector.as_deref(), start_ns, end_ns, format, out, name)?;
            (n, "log entries")
        }
        Signal::Spans => {
            let format = SpanExportFormat::from_name(&args.format).map_err(anyhow::Error::msg)?;
            if args.selector.is_some() {
                bail!("spans are exported whole: a selector applies to metrics and logs");
            }
            let start_ns = start.saturating_mul(NANOS_PER_MS);
            let end_ns = end.saturating_mul(NANOS_PER_MS).saturating_add(1);
            (engine.export_spans(start_ns, end_ns, format, out, name)?, "spans")
        }
    };
    if args.output.is_some() {
        eprintln!("exported {written} {what}");
    }
    Ok(())
}
