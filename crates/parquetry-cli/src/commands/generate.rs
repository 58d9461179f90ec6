//! `parquetry generate`.

use crate::time_args;
use anyhow::{Result, bail};
use parquetry_datagen::log_fleet::{LOG_FLEET_FILES, TRACES_FILE};
use parquetry_datagen::{Dataset, DemoConfig, LogFleetConfig, OutputFormat};
use std::path::PathBuf;

/// Write the deterministic demo dataset to a file, for tests, benchmarks and reference
/// engines.
#[derive(clap::Args)]
pub struct Args {
    /// demo (the fleet), compliance (the `demo_*` metrics the PromQL compliance queries
    /// expect: 3 instances at 5 s for 2 h, OpenMetrics only), or logs (the shop's logs:
    /// app.jsonl, ingress.log and worker.log in the folder `--output`, about
    /// `--megabytes` of lines, from `--start`, with traces.otlp holding the spans of the
    /// same requests under the same trace ids, as OTLP protobuf).
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
    /// Seed of the random draws (42 for metrics, 7 for logs by default).
    #[arg(long)]
    seed: Option<u64>,
    /// For logs: about how many megabytes of lines to write.
    #[arg(long, default_value_t = 100.0)]
    megabytes: f64,
    /// For logs: stop at about this many spans instead of at `--megabytes` of lines.
    #[arg(long)]
    spans: Option<u64>,
    /// The file to write (a folder for logs).
    #[arg(long, short)]
    output: PathBuf,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    if args.dataset == "logs" {
        anyhow::ensure!(args.megabytes > 0.0, "--megabytes must be positive");
        let defaults = LogFleetConfig::default();
        let config = LogFleetConfig {
            bytes: (args.megabytes * 1e6) as u64,
            spans: args.spans,
            start_ms: match &args.start {
                Some(s) => time_args::timestamp(s)?,
                None => defaults.start_ms,
            },
            seed: args.seed.unwrap_or(defaults.seed),
        };
        let written = config.write(&args.output)?;
        for (name, bytes) in LOG_FLEET_FILES.iter().zip(written.line_bytes) {
            eprintln!(
                "wrote {:.1} MB to {}",
                bytes as f64 / 1e6,
                args.output.join(name).display()
            );
        }
        eprintln!(
            "wrote {} spans, {:.1} MB, to {}",
            written.spans,
            written.trace_bytes as f64 / 1e6,
            args.output.join(TRACES_FILE).display()
        );
        return Ok(());
    }
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
        "unknown dataset {:?}: expected demo, compliance or logs",
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
        seed: args.seed.unwrap_or(DemoConfig::default().seed),
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
