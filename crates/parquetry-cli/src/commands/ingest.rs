//! `parquetry ingest`.

use crate::progress::byte_bar;
use anyhow::Result;
use parquetry::Engine;
use parquetry::store::{Format, IngestOptions, IngestReport};
use std::path::PathBuf;

/// Ingest files into a store (created if missing). Each file is one atomic commit.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// Input format: openmetrics, prometheus, jsonl or csv (detected from the extension
    /// and first line when omitted).
    #[arg(long)]
    format: Option<String>,
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
    let format = match args.format.as_deref() {
        None => None,
        Some(name) => Some(Format::from_name(name).map_err(anyhow::Error::msg)?),
    };
    let options = IngestOptions {
        format,
        skip_invalid: args.skip_invalid,
        batch_samples: args.batch_samples.max(1),
        ..IngestOptions::default()
    };
    let total: u64 = args
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = byte_bar(total);
    let report = Engine::ingest(&args.store, &args.files, &options, &mut |b| bar.set_position(b));
    bar.finish_and_clear();
    let report = report?;
    println!("{}", summary(&report));
    for e in &report.first_skipped {
        eprintln!("skipped: {e}");
    }
    Ok(())
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
