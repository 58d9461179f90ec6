//! `parquetry promql`: tools for PromQL text.

use anyhow::{Result, anyhow};
use parquetry::promql::syntax::json::to_json;
use parquetry::promql::{ParseOptions, parse_with};

/// Format or inspect a PromQL expression.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Print the expression in canonical form.
    Fmt(Expr),
    /// Print the expression's syntax tree as JSON.
    Ast(Expr),
}

#[derive(clap::Args)]
struct Expr {
    /// Accept experimental syntax (functions, duration arithmetic, fill, anchored/smoothed).
    #[arg(long)]
    experimental: bool,
    /// The expression.
    expr: String,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let (Command::Fmt(e) | Command::Ast(e)) = &args.command;
    let options = ParseOptions {
        experimental: e.experimental,
    };
    let parsed = parse_with(&e.expr, options).map_err(|err| anyhow!("{err}"))?;
    match args.command {
        Command::Fmt(_) => println!("{parsed}"),
        Command::Ast(_) => println!("{}", serde_json::to_string_pretty(&to_json(&parsed))?),
    }
    Ok(())
}
