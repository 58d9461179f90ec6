//! `parquetry conformance`: run conformance suites and print honest counts.

use anyhow::{Result, anyhow};
use parquetry_conformance::logql::run_parse_cases;
use parquetry_conformance::logql_engine::run_engine_cases;
use parquetry_conformance::logql_pipeline::run_pipeline_cases;
use parquetry_conformance::logql_runtime::run_runtime_rejects;
use parquetry_conformance::promqltest::report::run_dir;
use parquetry_conformance::promtool_rules;
use std::path::PathBuf;

/// Run a conformance suite.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Run Prometheus' PromQL test scripts (`*.test`) in DIR and print per-file and total
    /// counts, float-sample and native-histogram cases apart.
    Promqltest {
        /// The folder with the `.test` files.
        dir: PathBuf,
        /// Also list every failure with its reason.
        #[arg(long)]
        failures: bool,
    },
    /// Run Loki's LogQL corpora in DIR (the `logql` folder): the accept and reject lists,
    /// the pipeline cases, the engine scenarios and the runtime rejections, and print their
    /// counts.
    Logql {
        /// The folder with accepts.jsonl, rejects.jsonl, pipeline_cases.jsonl,
        /// engine_cases.jsonl and rejects_runtime.jsonl.
        dir: PathBuf,
        /// Also list every failure with its reason.
        #[arg(long)]
        failures: bool,
    },
    /// Run promtool's rule unit-test files in DIR with the options of each row of its
    /// EXPECTED.tsv, and compare the outcomes with promtool's.
    PromtoolRules {
        /// The folder with EXPECTED.tsv and the test files.
        dir: PathBuf,
    },
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Promqltest { dir, failures } => {
            let report = run_dir(&dir).map_err(|e| anyhow!(e))?;
            print!("{}", report.render(failures));
        }
        Command::Logql { dir, failures } => {
            print!(
                "{}",
                run_parse_cases(&dir).map_err(|e| anyhow!(e))?.render(failures)
            );
            print!(
                "{}",
                run_pipeline_cases(&dir).map_err(|e| anyhow!(e))?.render(failures)
            );
            print!(
                "{}",
                run_engine_cases(&dir).map_err(|e| anyhow!(e))?.render(failures)
            );
            print!(
                "{}",
                run_runtime_rejects(&dir)
                    .map_err(|e| anyhow!(e))?
                    .render(failures)
            );
        }
        Command::PromtoolRules { dir } => {
            let results = promtool_rules::run_all(&dir).map_err(|e| anyhow!(e))?;
            print!("{}", promtool_rules::render(&results));
        }
    }
    Ok(())
}
