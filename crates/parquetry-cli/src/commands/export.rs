//! `parquetry export`.

use crate::time_args;
use anyhow::{Result, bail};
use parquetry::Engine;
use parquetry::store::ingest::rows::RowFormat;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write raw samples in the ingest row format (JSONL or CSV); `ingest` reads the output
/// back to the same samples.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// jsonl or csv.
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
    /// A series selector; every series when omitted.
    selector: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let format = match args.format.as_str() {
        "jsonl" => RowFormat::JsonLines,
        "csv" => RowFormat::Csv,
        other => bail!("unknown export format {other:?}: expected jsonl or csv"),
    };
    let (start, end) = time_args::range(args.start.as_deref(), args.end.as_deref())?;
    let engine = Engine::open(&args.store)?;
    let (out, name): (Box<dyn Write>, &Path) = match &args.output {
        Some(path) => (Box::new(std::fs::File::create(path)?), path.as_path()),
        None => (Box::new(std::io::stdout().lock()), Path::new("<stdout>")),
    };
    let out = std::io::BufWriter::with_capacity(1 << 20, out);
    let written = engine.export(args.selector.as_deref(), start, end, format, out, name)?;
    if args.output.is_some() {
        eprintln!("exported {written} samples");
    }
    Ok(())
}
