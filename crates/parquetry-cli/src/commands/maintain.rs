//! `parquetry compact`, `parquetry retain` and `parquetry upgrade`: keeping a store's files
//! few, its history bounded and its layout current.

use crate::time_args;
use anyhow::{Result, bail};
use parquetry::maintenance::{MaintenanceReport, compact, retain};
use parquetry::store::Writer;
use parquetry::table::Storage;
use std::path::PathBuf;
use std::time::Duration;

/// Rewrite the small files of each day into one file per table and day, in one commit.
#[derive(clap::Args)]
pub struct CompactArgs {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// How long files that no version names any more are kept for readers of older
    /// snapshots before they are deleted (a PromQL duration).
    #[arg(long, default_value = "1h")]
    grace: String,
}

/// Drop whole days older than a cutoff from every table (metrics and logs), in one commit.
#[derive(clap::Args)]
pub struct RetainArgs {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// How much history to keep, back from now (a PromQL duration such as 90d); days
    /// that end before then are dropped.
    #[arg(long, conflicts_with = "before")]
    keep: Option<String>,
    /// Drop the days that end at or before this time instead (RFC 3339 or seconds).
    #[arg(long)]
    before: Option<String>,
    /// As for `compact`.
    #[arg(long, default_value = "1h")]
    grace: String,
}

/// Convert a store written in an older layout to the current one, in one commit.
#[derive(clap::Args)]
pub struct UpgradeArgs {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
}

fn grace(s: &str) -> Result<Duration> {
    Ok(Duration::from_millis(time_args::duration(s)?.max(0) as u64))
}

fn print(report: &MaintenanceReport) {
    println!(
        "version {}: {} segments and {} files before, {} segments and {} files after",
        report.version, report.segments.0, report.files.0, report.segments.1, report.files.1
    );
    println!(
        "{} days rewritten ({} rows: samples, log entries, spans), {} days dropped; vacuum deleted {} files ({} bytes)",
        report.days_rewritten,
        report.rows_rewritten,
        report.days_dropped,
        report.vacuumed.files,
        report.vacuumed.bytes
    );
}

/// Runs `compact`.
pub fn run_compact(args: CompactArgs) -> Result<()> {
    require_store(&args.store)?;
    print(&compact(&Storage::open(&args.store)?, grace(&args.grace)?)?);
    Ok(())
}

/// Runs `retain`.
pub fn run_retain(args: RetainArgs) -> Result<()> {
    require_store(&args.store)?;
    let cutoff = match (&args.keep, &args.before) {
        (Some(keep), None) => now_ms() - time_args::duration(keep)?,
        (None, Some(before)) => time_args::timestamp(before)?,
        _ => bail!("say how much to keep: --keep DURATION or --before TIME"),
    };
    print(&retain(
        &Storage::open(&args.store)?,
        cutoff,
        grace(&args.grace)?,
    )?);
    Ok(())
}

/// Runs `upgrade`.
pub fn run_upgrade(args: UpgradeArgs) -> Result<()> {
    require_store(&args.store)?;
    let writer = Writer::begin(&args.store)?;
    writer.abort()?;
    let engine = parquetry::Engine::open(&args.store)?;
    println!(
        "{}: layout {} at version {}",
        args.store.display(),
        engine.store().manifest().format,
        engine.store().manifest().version
    );
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Refuses a location that holds no store, rather than creating an empty one there
/// (reads only the commit log).
fn require_store(path: &std::path::Path) -> Result<()> {
    parquetry::table::log::read_latest(&parquetry::table::Storage::open(path)?)?;
    Ok(())
}
