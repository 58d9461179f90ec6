//! `parquetry demo`: the built-in walk through Parquetry on generated data.

use super::ingest::{logs_summary, spans_summary, summary};
use super::trace::{trace_lines, waterfall};
use super::traceql::{search_table, stored_range};
use crate::table::render;
use crate::time_args;
use anyhow::Result;
use parquetry::logs::ingest::LogIngestOptions;
use parquetry::promql::eval::QueryResult;
use parquetry::spans::ingest::SpanIngestOptions;
use parquetry::sql::format;
use parquetry::store::IngestOptions;
use parquetry::traceql::eval::SearchParams;
use parquetry::{Engine, QueryOptions};
use parquetry_datagen::log_fleet::{LOG_FLEET_FILES, TRACES_FILE, next_burst};
use parquetry_datagen::{Dataset, DemoConfig, LogFleetConfig, OutputFormat};
use parquetry_model::time::format_timestamp;
use parquetry_model::value::format_api_value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Generate a realistic fleet's telemetry (HTTP traffic with error bursts and restarts,
/// latency histograms, CPU, filling disks, and the logs and traces of a shop's
/// services), ingest it into a store, and ask it questions.
#[derive(clap::Args)]
pub struct Args {
    /// About how many series to generate.
    #[arg(long, default_value_t = 2000)]
    series: usize,
    /// How much time to cover.
    #[arg(long, default_value = "6h")]
    duration: String,
    /// About how many megabytes of log lines to generate.
    #[arg(long, default_value_t = 20.0)]
    log_megabytes: f64,
    /// Keep the store in this folder instead of a temporary one.
    #[arg(long)]
    keep: Option<PathBuf>,
}

/// The questions the demo asks of the logs, with the SQL that answers them.
const LOG_QUESTIONS: [(&str, &str); 2] = [
    (
        "Failed requests per service (app lines at pino's error level, 50)",
        "SELECT regexp_match(line, '\"service\":\"([a-z]+)\"')[1] AS service, count(*) AS failed \
         FROM logs WHERE labels['component'] = 'api' AND severity = '50' GROUP BY 1 ORDER BY 2 DESC, 1",
    ),
    (
        "Every line of request req-000000042, across services",
        "SELECT timestamp, substr(line, 1, 120) AS line FROM logs \
         WHERE contains(line, '\"req-000000042\"') ORDER BY timestamp",
    ),
];

/// The questions the demo asks, with the PromQL that answers them.
const QUESTIONS: [(&str, &str); 4] = [
    (
        "p95 request latency per job now (seconds)",
        r#"histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))"#,
    ),
    (
        "Worst 5xx error ratio per job over the last 6 hours",
        r#"max_over_time((sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum by (job) (rate(http_requests_total[5m])))[6h:1m])"#,
    ),
    (
        "Data disks predicted to be full within 4 hours (bytes left by then)",
        r#"predict_linear(node_filesystem_avail_bytes{mountpoint="/var/lib/data"}[1h], 4 * 3600) < 0"#,
    ),
    (
        "Instances that restarted (counter resets of their busiest series)",
        r#"resets(http_requests_total{handler="/", method="GET", code="200"}[6h]) > 0"#,
    ),
];

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
    let end = config.time_of(config.steps().saturating_sub(1));
    println!(
        "Generated {} series from {} to {} every {} s: {} samples.",
        dataset.series().len(),
        format_timestamp(config.start_ms),
        format_timestamp(end),
        config.interval_ms / 1000,
        samples
    );
    let report = Engine::ingest(&store, &[input], &IngestOptions::default(), &mut |_| {})?;
    println!("{}", summary(&report));
    let engine = Engine::open(&store)?;

    println!("\nSeries per metric:");
    let mut per_metric: BTreeMap<String, usize> = BTreeMap::new();
    for s in engine.store().all_series()? {
        *per_metric
            .entry(s.labels.metric_name().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let rows: Vec<Vec<String>> = per_metric
        .into_iter()
        .map(|(m, n)| vec![m, n.to_string()])
        .collect();
    print!("{}", render(&["metric", "series"], &rows));

    println!("\nQuestions asked at {}:", format_timestamp(end));
    for (title, query) in QUESTIONS {
        println!("\n{title}\n  {query}");
        show(engine.query_instant(query, end, &QueryOptions::default())?);
    }
    demo_logs(&args, &config, &store, temp.path())?;
    if let Some(dir) = &args.keep {
        println!(
            "\nThe store is in {}; try: parquetry query --store {} 'sum by (job) (rate(http_requests_total[5m]))'",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Generates the shop's logs over the same hours, ingests each file as a stream, and asks
/// the log questions in SQL.
fn demo_logs(
    args: &Args,
    config: &DemoConfig,
    store: &std::path::Path,
    scratch: &std::path::Path,
) -> Result<()> {
    if args.log_megabytes <= 0.0 {
        return Ok(());
    }
    // Half a minute before the fleet's first error burst, so that even a few megabytes of
    // logs hold one.
    let fleet = LogFleetConfig {
        bytes: (args.log_megabytes * 1e6) as u64,
        start_ms: next_burst(config.start_ms) - 30_000,
        ..LogFleetConfig::default()
    };
    let folder = scratch.join("logs");
    fleet.write(&folder)?;
    println!(
        "\nGenerated the shop's logs: JSON lines of its services, logfmt lines of its proxy, text lines of a worker."
    );
    for (file, component) in LOG_FLEET_FILES.iter().zip(["api", "ingress", "worker"]) {
        let options = LogIngestOptions {
            labels: vec![
                ("app".to_string(), "shop".to_string()),
                ("component".to_string(), component.to_string()),
            ],
            ..LogIngestOptions::default()
        };
        let report = Engine::ingest_logs(store, &[folder.join(file)], &options, &mut |_| {})?;
        println!("{}", logs_summary(&report));
    }
    let ctx = Engine::open(store)?.sql_context()?;
    for (title, query) in LOG_QUESTIONS {
        println!("\n{title}\n  {query}");
        print!("{}", format::table(&ctx.sql(query)?)?);
    }
    demo_traces(store, &folder)
}

/// Ingests the spans of the same requests, finds failed payments with TraceQL, and shows
/// the first one's waterfall with the log lines of its spans.
fn demo_traces(store: &std::path::Path, folder: &std::path::Path) -> Result<()> {
    let files = [folder.join(TRACES_FILE)];
    let report = Engine::ingest_spans(store, &files, &SpanIngestOptions::default(), &mut |_| {})?;
    println!("\nIngested the spans of the same requests, under the same trace ids:");
    println!("{}", spans_summary(&report));
    let engine = Engine::open(store)?;
    let query = r#"{ resource.service.name = "payment" && status = error }"#;
    let (start_ns, end_ns) = stored_range(&engine)?;
    let params = SearchParams {
        limit: 3,
        ..SearchParams::new(start_ns, end_ns)
    };
    let found = engine.traceql_search(query, &params)?;
    println!("\nFailed payment spans, newest first (TraceQL)\n  {query}");
    print!("{}", search_table(&found));
    if let Some(first) = found.traces.first() {
        let spans = engine.trace(&first.trace_id.to_string())?;
        println!(
            "\nThe newest one with its log lines (parquetry trace --logs {}):",
            first.trace_id
        );
        print!("{}", waterfall(&spans, &trace_lines(&engine, &spans)?));
    }
    Ok(())
}

/// Prints an instant query's series and values as a table.
fn show(result: QueryResult) {
    let rows: Vec<Vec<String>> = match result {
        QueryResult::Vector(series) => series
            .iter()
            .filter_map(|s| Some(vec![s.labels.to_string(), format_api_value(s.points.first()?.1)]))
            .collect(),
        _ => Vec::new(),
    };
    if rows.is_empty() {
        println!("(none)");
    } else {
        print!("{}", render(&["series", "value"], &rows));
    }
}
