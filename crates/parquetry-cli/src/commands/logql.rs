//! `parquetry logql`: LogQL over the logs of a store, and tools for LogQL text.

use crate::answer_out::answer_out;
use crate::result_table::write_result_table;
use crate::table::render;
use crate::time_args;
use anyhow::{Context, Result, anyhow, bail};
use parquetry::Engine;
use parquetry::logql::eval::api_json::to_loki_json;
use parquetry::logql::eval::log_query::merged_lines;
use parquetry::logql::syntax::json::to_json;
use parquetry::logql::{Answer, Direction, Expr, Grid, QueryOutput, QueryParams, default_step, parse};
use parquetry_model::time::format_timestamp_ns;
use std::io::Write;
use std::path::PathBuf;

const NANOS_PER_MS: i64 = 1_000_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const HOUR_NS: i64 = 3_600 * NANOS_PER_SECOND;

/// Query the logs of a store with LogQL (`--store S QUERY`), or format and inspect LogQL.
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
    /// Print the query's syntax tree as JSON.
    Ast {
        /// The query.
        query: String,
    },
}

#[derive(clap::Args)]
struct QueryArgs {
    /// The store folder or object-store URL.
    #[arg(long, required = true)]
    store: Option<PathBuf>,
    /// Time of an instant query (RFC 3339 or Unix seconds). A log query at T reads
    /// [T − 30s, T). Without --time or --start/--end: a log query reads the hour before
    /// the newest entry, a metric query is evaluated at the newest entry.
    #[arg(long, conflicts_with_all = ["start", "end"])]
    time: Option<String>,
    /// Start of a range query (inclusive).
    #[arg(long, requires = "end")]
    start: Option<String>,
    /// End of a range query (exclusive for a log query, the last step for a metric query).
    #[arg(long, requires = "start")]
    end: Option<String>,
    /// Step of a range metric query; by default Loki's: (end − start) / 250, at least 1s.
    #[arg(long)]
    step: Option<String>,
    /// Most lines a log query returns, over all streams.
    #[arg(long, default_value_t = parquetry::logql::eval::log_query::DEFAULT_LIMIT)]
    limit: usize,
    /// backward (newest lines first) or forward (oldest first).
    #[arg(long, default_value = "backward")]
    direction: String,
    /// Return a log line only this long after (forward) or before (backward) the last one.
    #[arg(long)]
    interval: Option<String>,
    /// table; json for the body of Loki's HTTP API response; raw for just the lines.
    #[arg(long, default_value = "table")]
    format: String,
    /// The LogQL query.
    #[arg(required = true)]
    query: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Some(Command::Fmt { query }) => println!("{}", parse(&query).map_err(|e| anyhow!("{e}"))?),
        Some(Command::Ast { query }) => {
            let parsed = parse(&query).map_err(|e| anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&to_json(&parsed))?)
        }
        None => run_query(args.query)?,
    }
    Ok(())
}

fn run_query(args: QueryArgs) -> Result<()> {
    let (Some(store), Some(query)) = (&args.store, &args.query) else {
        bail!("give --store and a query, or fmt/ast and a query");
    };
    let expr = parse(query).map_err(|e| anyhow!("{e}"))?;
    let engine = Engine::open(store)?;
    let mut params = params(&args, &expr, &engine)?;
    anyhow::ensure!(args.limit > 0, "--limit must be positive");
    params.limit = args.limit;
    params.direction = args.direction.parse::<Direction>().map_err(anyhow::Error::msg)?;
    if let Some(interval) = &args.interval {
        params.interval = time_args::duration(interval)? * NANOS_PER_MS;
    }
    let answer = engine.logql(query, &params)?;
    let mut out = answer_out()?;
    match args.format.as_str() {
        "json" => writeln!(out, "{}", to_loki_json(&answer))?,
        "table" => write_table(&answer, params.direction, &mut out)?,
        "raw" => match &answer.output {
            QueryOutput::Streams(streams) => {
                for (_, _, line) in merged_lines(streams, params.direction) {
                    writeln!(out, "{line}")?;
                }
            }
            QueryOutput::Metric(_) => {
                bail!("--format raw prints log lines; give a metric query table or json")
            }
        },
        other => bail!("unknown format {other:?}: expected table, json or raw"),
    }
    out.flush()?;
    Ok(())
}

/// The times the arguments give, in nanoseconds.
fn params(args: &QueryArgs, expr: &Expr, engine: &Engine) -> Result<QueryParams> {
    let ns = |ms: i64| ms.saturating_mul(NANOS_PER_MS);
    if let (Some(s), Some(e)) = (&args.start, &args.end) {
        let (start, end) = time_args::range(Some(s), Some(e))?;
        let (start, end) = (ns(start), ns(end));
        let step = match &args.step {
            Some(step) => ns(time_args::duration(step)?),
            None => default_step(start, end),
        };
        anyhow::ensure!(step > 0, "--step must be positive");
        return Ok(QueryParams::range(Grid { start, end, step }));
    }
    if let Some(t) = &args.time {
        return Ok(QueryParams::instant(ns(time_args::timestamp(t)?)));
    }
    let newest = engine
        .logs()?
        .streams()
        .iter()
        .map(|s| s.max_time)
        .max()
        .context("the store holds no logs")?;
    // The newest entry's millisecond, whole: it is inside both the range and the window.
    let after_newest = ns(newest + 1);
    Ok(match expr {
        Expr::Log(_) => {
            let end = after_newest;
            QueryParams::range(Grid {
                start: end - HOUR_NS,
                end,
                step: default_step(end - HOUR_NS, end),
            })
        }
        _ => QueryParams::instant(after_newest),
    })
}

fn write_table(answer: &Answer, direction: Direction, out: &mut impl Write) -> std::io::Result<()> {
    match &answer.output {
        QueryOutput::Metric(m) => write_result_table(&m.clone().into_promql(), answer.instant, out),
        QueryOutput::Streams(streams) => {
            let rows: Vec<Vec<String>> = merged_lines(streams, direction)
                .into_iter()
                .map(|(t, i, line)| {
                    vec![
                        format_timestamp_ns(t),
                        streams[i].labels.to_string(),
                        line.to_string(),
                    ]
                })
                .collect();
            out.write_all(render(&["time", "labels", "line"], &rows).as_bytes())?;
            writeln!(
                out,
                "{} lines in {} streams ({} lines read)",
                rows.len(),
                streams.len(),
                answer.stats.lines_processed
            )
        }
    }
}
