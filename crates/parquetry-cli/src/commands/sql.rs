//! `parquetry sql`: SQL over the store, with PromQL callable from SQL.

use anyhow::{Context, Result, bail};
use parquetry::Engine;
use parquetry::sql::format;
use std::path::PathBuf;

/// Run a SQL query over the store's `samples` and `series` tables (and
/// `promql_range(expr, start, end, step)` / `promql_instant(expr, time)`).
#[derive(clap::Args)]
pub struct Args {
    /// The store: a folder or an object-store URL.
    #[arg(long)]
    store: PathBuf,
    /// Another table, `name=path` to a Parquet or CSV file (by extension) or a folder of
    /// Parquet files; repeatable.
    #[arg(long = "table")]
    tables: Vec<String>,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: String,
    /// The SQL statement.
    query: String,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let engine = Engine::open(&args.store)?;
    let ctx = engine.sql_context()?;
    for t in &args.tables {
        let (name, path) = t
            .split_once('=')
            .with_context(|| format!("--table {t:?} is not name=path"))?;
        ctx.register_file(name, std::path::Path::new(path))?;
    }
    let batches = ctx.sql(&args.query)?;
    let text = match args.format.as_str() {
        "table" => format::table(&batches)?,
        "csv" => format::csv(&batches)?,
        "json" => format::json(&batches)?,
        other => bail!("unknown --format {other:?}: expected table, csv or json"),
    };
    println!("{}", text.trim_end());
    Ok(())
}
