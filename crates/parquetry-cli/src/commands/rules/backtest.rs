//! `parquetry rules backtest`: when would these alerts have fired, and for how long.

use crate::table::render;
use crate::time_args;
use anyhow::{Context, Result};
use parquetry::Engine;
use parquetry::rules::timeline::{AlertSummary, summarize};
use parquetry::rules::{AlertEpisode, BacktestOptions, LoadOptions, RuleSet, Strategy};
use parquetry_model::Labels;
use parquetry_model::time::{format_duration, format_timestamp};
use std::path::PathBuf;

/// Evaluate rule files over `[--start, --end]` of the store's history.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// Rule files (Prometheus format).
    #[arg(long = "rules", required = true)]
    rules: Vec<PathBuf>,
    /// The expressions' language: promql (over the metrics) or logql (over the logs, as
    /// Loki's ruler evaluates them).
    #[arg(long, default_value = "promql")]
    lang: String,
    /// First evaluation time (RFC 3339 or Unix seconds).
    #[arg(long)]
    start: String,
    /// Last evaluation time.
    #[arg(long)]
    end: String,
    /// Interval of groups that do not set their own (Prometheus' evaluation_interval).
    #[arg(long, default_value = "1m")]
    interval: String,
    /// How far back a selector looks for a sample.
    #[arg(long, default_value = "5m")]
    lookback: String,
    /// An external label for templates, `name=value` (repeatable).
    #[arg(long = "external-label")]
    external_labels: Vec<String>,
    /// The external URL for templates.
    #[arg(long, default_value = "")]
    external_url: String,
    /// Write recording-rule series and ALERTS/ALERTS_FOR_STATE into the store.
    #[arg(long)]
    write: bool,
    /// table (summary and timeline), csv or json (one record per alert episode).
    #[arg(long, default_value = "table")]
    format: String,
}

fn time_or_dash(t: Option<i64>) -> String {
    t.map_or_else(|| "-".to_string(), format_timestamp)
}

fn episode_rows(episodes: &[AlertEpisode]) -> Vec<Vec<String>> {
    episodes
        .iter()
        .map(|e| {
            let annotations: Vec<String> = e.annotations.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                e.alertname.clone(),
                e.labels.to_string(),
                format_timestamp(e.active_at),
                time_or_dash(e.fired_at),
                time_or_dash(e.resolved_at),
                parquetry_model::value::format_api_value(e.value),
                annotations.join("; "),
            ]
        })
        .collect()
}

const EPISODE_HEADER: [&str; 7] = [
    "alertname",
    "labels",
    "active_at",
    "fired_at",
    "resolved_at",
    "value",
    "annotations",
];

fn summary_rows(summaries: &[AlertSummary]) -> Vec<Vec<String>> {
    summaries
        .iter()
        .map(|s| {
            vec![
                s.alertname.clone(),
                s.times_fired.to_string(),
                s.pending_only.to_string(),
                format_duration(s.total_firing_ms),
                format_duration(s.longest_firing_ms),
                time_or_dash(s.first_fired),
                time_or_dash(s.last_fired),
            ]
        })
        .collect()
}

fn json(episodes: &[AlertEpisode]) -> serde_json::Value {
    let items = episodes
        .iter()
        .map(|e| {
            let labels: serde_json::Map<String, serde_json::Value> = e
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone().into()))
                .collect();
            let annotations: serde_json::Map<String, serde_json::Value> = e
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            serde_json::json!({
                "alertname": e.alertname,
                "labels": labels,
                "active_at": format_timestamp(e.active_at),
                "fired_at": e.fired_at.map(format_timestamp),
                "resolved_at": e.resolved_at.map(format_timestamp),
                "value": parquetry_model::value::format_api_value(e.value),
                "annotations": annotations,
            })
        })
        .collect();
    serde_json::Value::Array(items)
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let rules = RuleSet::load(
        &args.rules,
        LoadOptions {
            language: args.lang.parse().map_err(anyhow::Error::msg)?,
            ..LoadOptions::default()
        },
    )?;
    let mut engine = Engine::open(&args.store)?;
    let mut options = BacktestOptions::new(
        time_args::timestamp(&args.start)?,
        time_args::timestamp(&args.end)?,
    );
    anyhow::ensure!(
        options.start_ms <= options.end_ms,
        "--start must not be after --end"
    );
    options.default_interval_ms = time_args::duration(&args.interval)?;
    anyhow::ensure!(options.default_interval_ms > 0, "--interval must be positive");
    options.eval.lookback_ms = time_args::duration(&args.lookback)?;
    options.external_url = args.external_url.clone();
    let mut pairs = Vec::new();
    for l in &args.external_labels {
        let (k, v) = l
            .split_once('=')
            .with_context(|| format!("--external-label {l:?} is not name=value"))?;
        pairs.push((k.to_string(), v.to_string()));
    }
    options.external_labels = Labels::from_pairs(pairs);
    options.alert_series = args.write;
    let started = std::time::Instant::now();
    let result = engine.backtest(&rules, &options)?;
    let took = started.elapsed();
    match args.format.as_str() {
        "csv" => {
            let mut out = csv::Writer::from_writer(std::io::stdout());
            out.write_record(EPISODE_HEADER)?;
            for row in episode_rows(&result.episodes) {
                out.write_record(row)?;
            }
            out.flush()?;
        }
        "json" => println!("{}", serde_json::to_string_pretty(&json(&result.episodes))?),
        "table" => {
            let strategy = match result.strategy {
                Strategy::Range => "as range queries",
                Strategy::Stepwise => "step by step",
            };
            println!(
                "{} rules, {} evaluations {strategy} in {:.2?}; {} alert episodes, {} recorded series\n",
                rules.rule_count(),
                result.evaluations,
                took,
                result.episodes.len(),
                result.outputs.series().len()
            );
            let summaries = summarize(&result.episodes, options.end_ms);
            let header = [
                "alert",
                "fired",
                "pending only",
                "total firing",
                "longest",
                "first fired",
                "last fired",
            ];
            print!("{}", render(&header, &summary_rows(&summaries)));
            println!();
            print!("{}", render(&EPISODE_HEADER, &episode_rows(&result.episodes)));
        }
        other => anyhow::bail!("unknown --format {other:?}: expected table, csv or json"),
    }
    for e in result.errors.iter().take(10) {
        eprintln!(
            "warning: group {:?}, rule {:?} at {}: {}",
            e.group,
            e.rule,
            format_timestamp(e.time_ms),
            e.message
        );
    }
    if result.errors.len() > 10 {
        eprintln!(
            "warning: {} more rule evaluation errors",
            result.errors.len() - 10
        );
    }
    if args.write {
        let written = engine.write_series(&result.outputs)?;
        eprintln!(
            "wrote {written} samples of {} series to the store",
            result.outputs.series().len()
        );
    }
    Ok(())
}
