//! `parquetry demo`: the built-in walk through Parquetry on generated data.

use super::ingest::summary;
use crate::table::render;
use crate::time_args;
use anyhow::Result;
use parquetry::Engine;
use parquetry::promql::eval::StepGrid;
use parquetry::promql::eval::lookback::DEFAULT_LOOKBACK_MS;
use parquetry::store::IngestOptions;
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use parquetry_model::time::format_timestamp;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Generate a realistic fleet's telemetry (HTTP traffic with error bursts and restarts,
/// latency histograms, CPU, filling disks), ingest it into a store, and show what it holds.
#[derive(clap::Args)]
pub struct Args {
    /// About how many series to generate.
    #[arg(long, default_value_t = 2000)]
    series: usize,
    /// How much time to cover.
    #[arg(long, default_value = "6h")]
    duration: String,
    /// Keep the store in this folder instead of a temporary one.
    #[arg(long)]
    keep: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let config = DemoConfig {
        duration_ms: time_args::duration(&args.duration)?,
        ..DemoConfig::with_series(args.series)
    };
    let temp = tempfile::tempdir()?;
    let input = temp.path().join("demo.jsonl");
    let store = args.keep.clone().unwrap_or_else(|| temp.path().join("store"));
    let dataset = Dataset::new(config.clone());
    let samples = dataset.write(OutputFormat::JsonLines, std::fs::File::create(&input)?)?;
    println!(
        "Generated {} series from {} to {} every {} s: {} samples.",
        dataset.series().len(),
        format_timestamp(config.start_ms),
        format_timestamp(config.time_of(config.steps().saturating_sub(1))),
        config.interval_ms / 1000,
        samples
    );
    let report = Engine::ingest(&store, &[input], &IngestOptions::default(), &mut |_| {})?;
    println!("{}", summary(&report));
    let engine = Engine::open(&store)?;
    let end = config.time_of(config.steps().saturating_sub(1));

    println!("\nSeries per metric:");
    let mut per_metric: BTreeMap<String, usize> = BTreeMap::new();
    for s in engine.store().all_series() {
        *per_metric
            .entry(s.labels.metric_name().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let rows: Vec<Vec<String>> = per_metric
        .into_iter()
        .map(|(m, n)| vec![m, n.to_string()])
        .collect();
    print!("{}", render(&["metric", "series"], &rows));

    println!(
        "\nFullest data disks at {} (node_filesystem_avail_bytes / size):",
        format_timestamp(end)
    );
    let at_end = StepGrid::instant(end);
    let avail = engine.selector_at_steps(
        r#"node_filesystem_avail_bytes{mountpoint="/var/lib/data"}"#,
        &at_end,
        DEFAULT_LOOKBACK_MS,
    )?;
    let mut disks: Vec<(f64, String)> = avail
        .iter()
        .filter_map(|(l, v)| Some((v[0]? / 500e9 * 100.0, l.get("instance")?.to_string())))
        .collect();
    disks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rows: Vec<Vec<String>> = disks
        .iter()
        .take(5)
        .map(|(pct, inst)| vec![inst.clone(), format!("{pct:.1}% free")])
        .collect();
    print!("{}", render(&["instance", "space left"], &rows));

    println!("\nTargets that went down (up == 0):");
    let mut rows = Vec::new();
    for batch in engine.raw_samples("up", i64::MIN, i64::MAX)? {
        for (i, s) in batch.series.iter().enumerate() {
            let (ts, vs) = batch.samples(i);
            let down: Vec<i64> = ts
                .iter()
                .zip(vs)
                .filter(|(_, v)| **v == 0.0)
                .map(|(t, _)| *t)
                .collect();
            if let (Some(first), Some(last)) = (down.first(), down.last()) {
                let instance = s.labels.get("instance").unwrap_or("?").to_string();
                rows.push(vec![instance, format_timestamp(*first), format_timestamp(*last)]);
            }
        }
    }
    print!("{}", render(&["instance", "down from", "down until"], &rows));

    println!("\nCounter resets in http_requests_total (a restart zeroes the counters):");
    let mut resets: BTreeMap<String, usize> = BTreeMap::new();
    for batch in engine.raw_samples(r#"http_requests_total{code="200"}"#, i64::MIN, i64::MAX)? {
        for (i, s) in batch.series.iter().enumerate() {
            let (_, vs) = batch.samples(i);
            // Stale markers (NaN) sit between the last value before a restart and the
            // first after it; compare the numbers only.
            let numbers: Vec<f64> = vs.iter().copied().filter(|v| !v.is_nan()).collect();
            let n = numbers.windows(2).filter(|w| w[1] < w[0]).count();
            if n > 0 {
                *resets
                    .entry(s.labels.get("instance").unwrap_or("?").to_string())
                    .or_default() += n;
            }
        }
    }
    let rows: Vec<Vec<String>> = resets.into_iter().map(|(i, n)| vec![i, n.to_string()]).collect();
    print!("{}", render(&["instance", "series with a reset"], &rows));
    if let Some(dir) = &args.keep {
        println!(
            "\nThe store is in {}; try: parquetry series --store {} 'up'",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}
