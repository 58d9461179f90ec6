//! `parquetry conformance`: run conformance suites and print honest counts.

use anyhow::{Result, anyhow};
use parquetry_conformance::promqltest::report::run_dir;
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
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Promqltest { dir, failures } => {
            let report = run_dir(&dir).map_err(|e| anyhow!(e))?;
            print!("{}", report.render(failures));
        }
    }
    Ok(())
}
