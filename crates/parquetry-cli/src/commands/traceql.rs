//! `parquetry traceql`: TraceQL searches and metrics over the spans of a store, and the
//! canonical form of a query.

use crate::commands::trace::duration_text;
use crate::table::render;
use crate::time_args;
use anyhow::{Context, Result, anyhow, bail};
use parquetry::Engine;
use parquetry::logql::default_step;
use parquetry::traceql::eval::metrics::prom_labels;
use parquetry::traceql::eval::{MetricsParams, MetricsResult, SearchParams, SearchResult};
use parquetry::traceql::parse;
use parquetry_model::time::{format_timestamp, format_timestamp_ns};
use std::fmt::Write as _;
use std::path::PathBuf;

const NANOS_PER_MS: i64 = 1_000_000;

/// Search the spans of a store with TraceQL (`--store S QUERY`); a query ending in a
/// metrics function (`| rate()`, `| quantile_over_time(duration, .99)`, …) gives time
/// series instead. `fmt QUERY` prints a query in canonical form.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    query: QueryArgs,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Print the query in canonical form.
    Fmt {
        /// The query.
        query: String,
    },
}

#[derive(clap::Args)]
struct QueryArgs {
    /// The store folder or object-store URL.
    #[arg(long, required = true)]
    store: Option<PathBuf>,
    /// Start of the range (RFC 3339 or Unix seconds, inclusive); by default the
    /// earliest span.
    #[arg(long)]
    start: Option<String>,
    /// End of the range (exclusive); by default just after the latest span.
    #[arg(long)]
    end: Option<String>,
    /// Step of a metrics query; by default (end − start) / 250, at least 1s.
    #[arg(long)]
    step: Option<String>,
    /// Most traces a search returns (the newest).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Most spans shown per spanset of a search.
    #[arg(long, default_value_t = 3)]
    spss: usize,
    /// table, or json for the body of Tempo's HTTP API response.
    #[arg(long, default_value = "table")]
    format: String,
    /// The TraceQL query.
    #[arg(required = true)]
    query: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Some(Command::Fmt { query }) => {
            println!("{}", parse(&query).map_err(|e| anyhow!("{e}"))?);
            Ok(())
        }
        None => run_query(args.query),
    }
}

fn run_query(args: QueryArgs) -> Result<()> {
    let (Some(store), Some(query)) = (&args.store, &args.query) else {
        bail!("give --store and a query, or fmt and a query");
    };
    let parsed = parse(query).map_err(|e| anyhow!("{e}"))?;
    anyhow::ensure!(args.limit > 0, "--limit must be positive");
    anyhow::ensure!(args.spss > 0, "--spss must be positive");
    if !matches!(args.format.as_str(), "table" | "json") {
        bail!("unknown format {:?}: expected table or json", args.format);
    }
    let engine = Engine::open(store)?;
    let (start_ns, end_ns) = range(&args, &engine)?;
    if parsed.metrics.is_some() {
        let step_ns = match &args.step {
            Some(step) => time_args::duration(step)? * NANOS_PER_MS,
            None => default_step(start_ns, end_ns),
        };
        anyhow::ensure!(step_ns > 0, "--step must be positive");
        let params = MetricsParams {
            start_ns,
            end_ns,
            step_ns,
        };
        let result = engine.traceql_metrics(query, &params)?;
        match args.format.as_str() {
            "json" => println!("{}", result.to_tempo_json()),
            _ => print!("{}", metrics_table(&result)),
        }
    } else {
        let params = SearchParams {
            start_ns,
            end_ns,
            limit: args.limit,
            spans_per_spanset: args.spss,
        };
        let result = engine.traceql_search(query, &params)?;
        match args.format.as_str() {
            "json" => println!("{}", result.to_tempo_json()),
            _ => print!("{}", search_table(&result)),
        }
    }
    Ok(())
}

/// The range the arguments give, in ns; sides not given cover every stored span.
fn range(args: &QueryArgs, engine: &Engine) -> Result<(i64, i64)> {
    let ns = |ms: i64| ms.saturating_mul(NANOS_PER_MS);
    let start = match &args.start {
        Some(s) => ns(time_args::timestamp(s)?),
        None => stored_range(engine)?.0,
    };
    let end = match &args.end {
        Some(e) => ns(time_args::timestamp(e)?),
        None => stored_range(engine)?.1,
    };
    anyhow::ensure!(start < end, "--start must be before --end");
    Ok((start, end))
}

/// From the earliest stored span start to just after the latest (its millisecond,
/// whole), in ns.
pub(crate) fn stored_range(engine: &Engine) -> Result<(i64, i64)> {
    engine.spans().time_range_ns().context("the store holds no spans")
}

/// A search's traces as a table, with what was inspected.
pub(crate) fn search_table(result: &SearchResult) -> String {
    let rows: Vec<Vec<String>> = result
        .traces
        .iter()
        .map(|t| {
            let matched: usize = t.spansets.iter().map(|s| s.matched).sum();
            vec![
                t.trace_id.to_string(),
                format_timestamp_ns(t.start_ns),
                t.root_service.clone().unwrap_or_else(|| "-".into()),
                t.root_name.clone().unwrap_or_else(|| "-".into()),
                duration_text(t.duration_ns),
                matched.to_string(),
            ]
        })
        .collect();
    let mut out = render(
        &[
            "trace",
            "start",
            "root service",
            "root name",
            "duration",
            "matched spans",
        ],
        &rows,
    );
    let _ = writeln!(
        out,
        "{} traces ({} traces, {} spans inspected)",
        rows.len(),
        result.inspected_traces,
        result.inspected_spans
    );
    out
}

fn metrics_table(result: &MetricsResult) -> String {
    let rows: Vec<Vec<String>> = result
        .series
        .iter()
        .flat_map(|s| {
            let labels = prom_labels(&s.labels);
            s.points
                .iter()
                .map(move |(t, v)| vec![labels.clone(), format_timestamp(*t), v.to_string()])
        })
        .collect();
    let mut out = render(&["series", "time", "value"], &rows);
    let _ = writeln!(
        out,
        "{} series ({} traces, {} spans inspected)",
        result.series.len(),
        result.inspected_traces,
        result.inspected_spans
    );
    out
}
