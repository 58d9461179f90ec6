//! `parquetry`: ingest, inspect, export and query telemetry archived in Parquet.

mod allocator;
mod answer_out;
mod commands;
mod progress;
mod result_table;
mod table;
mod time_args;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// PromQL, LogQL and SQL over telemetry archived in Parquet.
#[derive(Parser)]
#[command(name = "parquetry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest metrics (OpenMetrics, Prometheus text, JSONL, CSV), logs (Loki push,
    /// OTLP, JSON, logfmt, text) or spans (OTLP/JSON, OTLP protobuf) into a store.
    Ingest(commands::ingest::Args),
    /// List the series a selector matches.
    Series(commands::series::Args),
    /// Write raw samples, log entries or spans back out in a format ingest reads.
    Export(commands::export::Args),
    /// Show the samples a selector matches at a time or over a range.
    Query(commands::query::Args),
    /// Generate the demo dataset into a temporary store and show what is in it.
    Demo(commands::demo::Args),
    /// Write the demo dataset to a file (OpenMetrics, JSONL or CSV).
    Generate(commands::generate::Args),
    /// Format a PromQL expression or show its syntax tree.
    Promql(commands::promql::Args),
    /// Query the logs with LogQL, or format a LogQL query or show its syntax tree.
    Logql(commands::logql::Args),
    /// Show one trace: a waterfall in the terminal, or OTLP/JSON.
    Trace(commands::trace::Args),
    /// Search the spans with TraceQL or draw metrics from them, or format a TraceQL query.
    Traceql(commands::traceql::Args),
    /// Run SQL over the store, with PromQL callable from SQL.
    Sql(commands::sql::Args),
    /// Serve the store over Prometheus', Loki's and Tempo's HTTP APIs, for Grafana,
    /// promtool and other clients.
    Serve(commands::serve::Args),
    /// Check, unit-test and backtest Prometheus rule files.
    Rules(commands::rules::Args),
    /// Run a conformance suite and print its counts.
    Conformance(commands::conformance::Args),
    /// Rewrite small files into one file per day and table.
    Compact(commands::maintain::CompactArgs),
    /// Drop whole days older than a cutoff.
    Retain(commands::maintain::RetainArgs),
    /// Convert a store of an older layout to the current one.
    Upgrade(commands::maintain::UpgradeArgs),
}

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`| head`) ends the process quietly,
    // as it does any Unix filter, instead of failing to print.
    sigpipe::reset();
    allocator::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Series(a) => commands::series::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Query(a) => commands::query::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Generate(a) => commands::generate::run(a),
        Command::Promql(a) => commands::promql::run(a),
        Command::Logql(a) => commands::logql::run(a),
        Command::Sql(a) => commands::sql::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Trace(a) => commands::trace::run(a),
        Command::Traceql(a) => commands::traceql::run(a),
        Command::Rules(a) => commands::rules::run(a),
        Command::Conformance(a) => commands::conformance::run(a),
        Command::Compact(a) => commands::maintain::run_compact(a),
        Command::Retain(a) => commands::maintain::run_retain(a),
        Command::Upgrade(a) => commands::maintain::run_upgrade(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
