//! `parquetry rules`: check rule files (Prometheus', or Loki's with LogQL), run their unit
//! tests, and backtest them.

mod backtest;

use anyhow::{Result, bail};
use parquetry::rules::unittest::{TestOptions, run_file};
use parquetry::rules::{LoadOptions, RuleSet};
use std::path::PathBuf;

/// Prometheus rule files, and Loki's with `--lang logql`: check, test, backtest.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Check rule files as `promtool check rules` does; problems name file:line:col.
    Check(CheckArgs),
    /// Run `promtool test rules` unit-test files.
    Test(TestArgs),
    /// Evaluate rule files over the store's history: alert timelines and recorded series.
    Backtest(backtest::Args),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Accept fields the rule format does not define.
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// The expressions' language: promql (Prometheus) or logql (Loki's ruler).
    #[arg(long, default_value = "promql")]
    lang: String,
    /// The rule files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct TestArgs {
    /// Only run test groups whose name matches one of these (unanchored regexes).
    #[arg(long)]
    run: Vec<String>,
    /// Accept fields the rule format does not define.
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// The test files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Check(a) => check(a),
        Command::Test(a) => test(a),
        Command::Backtest(a) => backtest::run(a),
    }
}

fn check(args: CheckArgs) -> Result<()> {
    let options = LoadOptions {
        ignore_unknown_fields: args.ignore_unknown_fields,
        language: args.lang.parse().map_err(anyhow::Error::msg)?,
        ..LoadOptions::default()
    };
    let mut failed = 0;
    for file in &args.files {
        println!("Checking {}", file.display());
        match RuleSet::load(std::slice::from_ref(file), options) {
            Ok(set) => println!("  SUCCESS: {} rules found\n", set.rule_count()),
            Err(errors) => {
                failed += 1;
                println!("  FAILED:");
                for e in &errors.0 {
                    println!("{e}");
                }
                println!();
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} rule files have problems", args.files.len());
    }
    Ok(())
}

fn test(args: TestArgs) -> Result<()> {
    let run = if args.run.is_empty() {
        None
    } else {
        Some(regex::Regex::new(&args.run.join("|"))?)
    };
    let options = TestOptions {
        ignore_unknown_fields: args.ignore_unknown_fields,
        run,
        ..TestOptions::default()
    };
    let (mut passed, mut failed, mut skipped, mut failed_files) = (0, 0, 0, 0);
    for file in &args.files {
        let report = run_file(file, &options);
        print!("{}", report.render());
        let (p, f, s) = report.counts();
        (passed, failed, skipped) = (passed + p, failed + f, skipped + s);
        failed_files += usize::from(!report.passed());
    }
    println!("\n{passed} passed, {failed} failed, {skipped} skipped");
    if failed_files > 0 {
        bail!("{failed_files} of {} test files failed", args.files.len());
    }
    Ok(())
}
