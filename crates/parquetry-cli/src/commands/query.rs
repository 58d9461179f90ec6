//! `parquetry query`.

use crate::answer_out::answer_out;
use crate::result_table::write_result_table;
use crate::time_args;
use anyhow::{Result, bail};
use parquetry::promql::ParseOptions;
use parquetry::promql::eval::api_json::{Extras, write_api_json};
use parquetry::promql::eval::{EvalOptions, StepGrid};
use parquetry::{Engine, QueryOptions};
use std::io::Write;
use std::path::PathBuf;

/// Evaluate PromQL at one time (--time) or over a range (--start, --end, --step).
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// Evaluation time of an instant query (RFC 3339 or Unix seconds); the newest sample
    /// in the store when neither --time nor --start/--end is given.
    #[arg(long, conflicts_with_all = ["start", "end"])]
    time: Option<String>,
    /// Start of a range query.
    #[arg(long, requires = "end")]
    start: Option<String>,
    /// End of a range query.
    #[arg(long, requires = "start")]
    end: Option<String>,
    /// Step of a range query.
    #[arg(long, default_value = "1m")]
    step: String,
    /// How far back a selector looks for a sample.
    #[arg(long, default_value = "5m")]
    lookback: String,
    /// Accept experimental PromQL (functions, duration arithmetic, fill, anchored/smoothed).
    #[arg(long)]
    experimental: bool,
    /// table, or json for the body of Prometheus' HTTP API response.
    #[arg(long, default_value = "table")]
    format: String,
    /// The PromQL expression.
    query: String,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let engine = Engine::open(&args.store)?;
    let options = QueryOptions {
        parse: ParseOptions {
            experimental: args.experimental,
        },
        eval: EvalOptions {
            lookback_ms: time_args::duration(&args.lookback)?,
            ..EvalOptions::default()
        },
    };
    let (result, instant, grid) = match (&args.time, &args.start, &args.end) {
        (None, Some(s), Some(e)) => {
            let step = time_args::duration(&args.step)?;
            anyhow::ensure!(step > 0, "--step must be positive");
            let (start, end) = time_args::range(Some(s), Some(e))?;
            let grid = StepGrid { start, end, step };
            (engine.query_range(&args.query, grid, &options)?, false, grid)
        }
        (time, None, None) => {
            let t = match time {
                Some(t) => time_args::timestamp(t)?,
                None => match engine.store().time_range() {
                    Some((_, last)) => last,
                    None => bail!("the store is empty"),
                },
            };
            (
                engine.query_instant(&args.query, t, &options)?,
                true,
                StepGrid::instant(t),
            )
        }
        _ => bail!("give either --time, or --start and --end"),
    };
    let mut out = answer_out()?;
    match args.format.as_str() {
        "json" => {
            write_api_json(&result, instant, grid.start, Extras::default(), &mut out)?;
            writeln!(out)?;
        }
        "table" => write_result_table(&result, instant, &mut out)?,
        other => bail!("unknown format {other:?}: expected table or json"),
    }
    out.flush()?;
    // The process ends here, and the system takes its memory back at once: freeing the
    // answer and the store's catalog piece by piece would only delay the exit.
    std::mem::forget((result, engine));
    Ok(())
}
