//! `parquetry logql`: tools for LogQL text.

use anyhow::{Result, anyhow};
use parquetry::logql::parse;
use parquetry::logql::syntax::json::to_json;

/// Format or inspect a LogQL query.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
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

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let (Command::Fmt { query } | Command::Ast { query }) = &args.command;
    let parsed = parse(query).map_err(|err| anyhow!("{err}"))?;
    match args.command {
        Command::Fmt { .. } => println!("{parsed}"),
        Command::Ast { .. } => println!("{}", serde_json::to_string_pretty(&to_json(&parsed))?),
    }
    Ok(())
}
