//! `parquetry series`.

use crate::table::render;
use anyhow::Result;
use parquetry::Engine;
use parquetry_model::time::format_timestamp;
use std::path::PathBuf;

/// List the series a selector matches, with their first and last sample times.
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// A series selector such as 'up{job="api"}'; every series when omitted.
    selector: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let engine = Engine::open(&args.store)?;
    let series = match &args.selector {
        Some(s) => engine.series(s)?,
        None => {
            let mut all = engine.store().all_series()?.to_vec();
            all.sort_by(|a, b| a.labels.cmp(&b.labels));
            all
        }
    };
    let rows: Vec<Vec<String>> = series
        .iter()
        .map(|s| {
            vec![
                s.labels.to_string(),
                format_timestamp(s.min_time),
                format_timestamp(s.max_time),
            ]
        })
        .collect();
    print!("{}", render(&["series", "first sample", "last sample"], &rows));
    println!("{} series", rows.len());
    Ok(())
}
