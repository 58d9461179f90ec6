//! `parquetry generate`.

use crate::time_args;
use anyhow::{Result, bail};
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use std::path::PathBuf;

/// Write the deterministic demo dataset to a file, for tests, benchmarks and reference
/// engines.
#[derive(clap::Args)]
pub struct Args {
    /// demo (the fleet), or compliance (the `demo_*` metrics the PromQL compliance queries
    /// expect: 3 instances at 5 s for 2 h, OpenMetrics only).
    #[arg(long, default_value = "demo")]
    dataset: String,
    /// openmetrics, jsonl or csv.
    #[arg(long, default_value = "openmetrics")]
    format: String,
    /// About how many series to generate.
    #[arg(long, default_value_t = 2000)]
    series: usize,
    /// How much time to cover, as a duration.
    #[arg(long, default_value = "6h")]
    duration: String,
    /// Scrape interval.
    #[arg(long, default_value = "15s")]
    interval: String,
    /// First scrape time (RFC 3339 or Unix seconds); 2026-01-05T00:00:00Z by default.
    #[arg(long)]
    start: Option<String>,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The file to write.
    #[arg(long, short)]
    output: PathBuf,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    if args.dataset == "compliance" {
        anyhow::ensure!(
            args.format == "openmetrics",
            "the compliance dataset is written as OpenMetrics only"
        );
        let config = parquetry_datagen::compliance::ComplianceConfig::default();
        let samples =
            parquetry_datagen::compliance::write_openmetrics(&config, std::fs::File::create(&args.output)?)?;
        eprintln!("wrote {samples} samples to {}", args.output.display());
        return Ok(());
    }
    anyhow::ensure!(
        args.dataset == "demo",
        "unknown dataset {:?}: expected demo or compliance",
        args.dataset
    );
    let format = match args.format.as_str() {
        "openmetrics" => OutputFormat::OpenMetrics,
        "jsonl" => OutputFormat::JsonLines,
        "csv" => OutputFormat::Csv,
        other => bail!("unknown format {other:?}: expected openmetrics, jsonl or csv"),
    };
    let interval_ms = time_args::duration(&args.interval)?;
    anyhow::ensure!(interval_ms > 0, "--interval must be positive");
    let config = DemoConfig {
        start_ms: match &args.start {
            Some(s) => time_args::timestamp(s)?,
            None => parquetry_datagen::config::DEFAULT_START_MS,
        },
        duration_ms: time_args::duration(&args.duration)?,
        interval_ms,
        seed: args.seed,
        ..DemoConfig::with_series(args.series)
    };
    let dataset = Dataset::new(config);
    let samples = dataset.write(format, std::fs::File::create(&args.output)?)?;
    eprintln!(
        "wrote {} series, {samples} samples to {}",
        dataset.series().len(),
        args.output.display()
    );
    Ok(())
}
