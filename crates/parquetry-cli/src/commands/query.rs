//! `parquetry query`.

use crate::table::render;
use crate::time_args;
use anyhow::{Result, bail};
use parquetry::Engine;
use parquetry::promql::eval::StepGrid;
use parquetry::promql::eval::lookback::DEFAULT_LOOKBACK_MS;
use parquetry_model::time::format_timestamp;
use parquetry_model::value::format_api_value;
use std::path::PathBuf;

/// Evaluate a series selector at one time (--time) or over a range (--start, --end,
/// --step), with Prometheus' 5-minute lookback and staleness.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// Evaluation time for an instant query (RFC 3339 or Unix seconds).
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
    /// The selector, e.g. 'up{job="api"}'.
    query: String,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let engine = Engine::open(&args.store)?;
    let grid = match (&args.time, &args.start, &args.end) {
        (Some(t), None, None) => StepGrid::instant(time_args::timestamp(t)?),
        (None, Some(s), Some(e)) => {
            let step = time_args::duration(&args.step)?;
            anyhow::ensure!(step > 0, "--step must be positive");
            let (start, end) = time_args::range(Some(s), Some(e))?;
            StepGrid { start, end, step }
        }
        (None, None, None) => {
            // Default: an instant query at the newest sample in the store.
            let newest = engine.store().all_series().iter().map(|s| s.max_time).max();
            match newest {
                Some(t) => StepGrid::instant(t),
                None => bail!("the store is empty"),
            }
        }
        _ => bail!("give either --time, or --start and --end"),
    };
    let result = engine.selector_at_steps(&args.query, &grid, DEFAULT_LOOKBACK_MS)?;
    let instant = grid.len() == 1;
    let mut rows = Vec::new();
    for (labels, values) in &result {
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let mut row = vec![labels.to_string(), format_api_value(*v)];
                if !instant {
                    row.insert(1, format_timestamp(grid.time(i)));
                }
                rows.push(row);
            }
        }
    }
    let header: &[&str] = if instant {
        &["series", "value"]
    } else {
        &["series", "time", "value"]
    };
    print!("{}", render(header, &rows));
    println!("{} series at {}", result.len(), describe(&grid));
    Ok(())
}

fn describe(grid: &StepGrid) -> String {
    if grid.len() == 1 {
        format_timestamp(grid.start)
    } else {
        format!(
            "{} steps from {} to {}",
            grid.len(),
            format_timestamp(grid.start),
            format_timestamp(grid.end)
        )
    }
}
