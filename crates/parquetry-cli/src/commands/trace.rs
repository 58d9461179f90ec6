//! `parquetry trace`: one trace by its id, as a waterfall in the terminal or as OTLP/JSON.

use anyhow::{Result, bail};
use parquetry::Engine;
use parquetry::logs::LogEntry;
use parquetry::logs::read::LogQuery;
use parquetry::spans::otlp_json::resource_spans_json;
use parquetry::spans::{Span, StatusCode, TraceTree};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

/// Show every span of a trace: a waterfall (`tree`) or OTLP/JSON (`json`).
#[derive(clap::Args)]
pub struct Args {
    /// The store folder.
    #[arg(long)]
    store: PathBuf,
    /// tree (a waterfall: spans indented under their parents, with service, start
    /// offset, duration and status) or json (OTLP/JSON, as Tempo's trace API gives it).
    #[arg(long, default_value = "tree")]
    format: String,
    /// Interleave the log lines that carry the trace's id, in time order, under the span
    /// whose id they carry (tree format).
    #[arg(long)]
    logs: bool,
    /// The trace id: 32 hex digits (16 for a 64-bit id).
    trace_id: String,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let engine = Engine::open(&args.store)?;
    let spans = engine.trace(&args.trace_id)?;
    if spans.is_empty() {
        bail!("trace {} is not in the store", args.trace_id.to_ascii_lowercase());
    }
    let text = match args.format.as_str() {
        "json" => {
            if args.logs {
                bail!("--logs goes with --format tree");
            }
            serde_json::json!({ "batches": resource_spans_json(&spans) }).to_string() + "\n"
        }
        "tree" => {
            let lines = if args.logs {
                trace_lines(&engine, &spans)?
            } else {
                Vec::new()
            };
            waterfall(&spans, &lines)
        }
        other => bail!("unknown trace format {other:?}: expected tree or json"),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// The log lines that carry the trace id of `spans`, in time order.
pub(crate) fn trace_lines(engine: &Engine, spans: &[Span]) -> Result<Vec<LogEntry>> {
    let query = LogQuery {
        trace_id: spans.first().map(|s| s.trace_id.to_string()),
        ..LogQuery::default()
    };
    let mut lines: Vec<LogEntry> = engine
        .logs()?
        .read(&query)?
        .into_iter()
        .flat_map(|s| s.entries)
        .collect();
    lines.sort_by_key(|e| e.timestamp);
    Ok(lines)
}

/// Width of the timeline bar.
const BAR: usize = 24;

/// A duration in ns, in the unit that reads best.
pub(crate) fn duration_text(ns: i64) -> String {
    match ns {
        n if n >= 1_000_000_000 => format!("{:.2}s", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.2}ms", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1}µs", n as f64 / 1e3),
        n => format!("{n}ns"),
    }
}

/// The waterfall of `spans` (one trace, sorted by start): a header, then one row per
/// span, depth first, with `lines` (sorted by time) under the span they name.
pub fn waterfall(spans: &[Span], lines: &[LogEntry]) -> String {
    let ids: Vec<_> = spans.iter().map(|s| s.span_id).collect();
    let parents: Vec<_> = spans.iter().map(|s| s.parent_span_id).collect();
    let tree = TraceTree::build(&ids, &parents);
    let start = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.end).max().unwrap_or(start);
    let total = (end - start).max(1);
    let errors = spans
        .iter()
        .filter(|s| s.status_code == StatusCode::Error)
        .count();
    let services: std::collections::BTreeSet<String> = spans.iter().map(Span::service_name).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "trace {}: {} span(s), {} service(s), {}{}",
        spans[0].trace_id,
        spans.len(),
        services.len(),
        duration_text(end - start),
        if errors > 0 {
            format!(", {errors} error(s)")
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "{:>10}  {:>10}  {:<BAR$}  SPAN",
        "START", "DURATION", "TIMELINE"
    );
    let mut placed = vec![false; lines.len()];
    for (i, depth) in tree.depth_first() {
        let s = &spans[i];
        let from = ((s.start - start) as f64 / total as f64 * BAR as f64) as usize;
        let to = (((s.end - start) as f64 / total as f64 * BAR as f64).ceil() as usize).clamp(from + 1, BAR);
        let bar: String = (0..BAR)
            .map(|c| {
                if (from.min(BAR - 1)..to).contains(&c) {
                    '█'
                } else {
                    '·'
                }
            })
            .collect();
        let status = match s.status_code {
            StatusCode::Error if s.status_message.is_empty() => "  ✗ error".to_string(),
            StatusCode::Error => format!("  ✗ error: {}", s.status_message),
            StatusCode::Ok => "  ok".to_string(),
            StatusCode::Unset => String::new(),
        };
        let _ = writeln!(
            out,
            "{:>10}  {:>10}  {bar}  {}{} [{}] {}{status}",
            format!("+{}", duration_text(s.start - start)),
            duration_text(s.duration()),
            "  ".repeat(depth),
            s.name,
            s.service_name(),
            s.kind.name(),
        );
        let id = s.span_id.to_string();
        for (line, done) in lines.iter().zip(&mut placed) {
            if !*done
                && line
                    .span_id
                    .as_deref()
                    .is_some_and(|l| l.eq_ignore_ascii_case(&id))
            {
                *done = true;
                let _ = writeln!(out, "{}", log_row(line, start, depth + 1));
            }
        }
    }
    let rest: Vec<&LogEntry> = lines
        .iter()
        .zip(&placed)
        .filter(|(_, d)| !**d)
        .map(|(l, _)| l)
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(out, "log lines of the trace under no stored span:");
        for line in rest {
            let _ = writeln!(out, "{}", log_row(line, start, 1));
        }
    }
    out
}

fn log_row(line: &LogEntry, start: i64, depth: usize) -> String {
    format!(
        "{:>10}  {:>10}  {:<BAR$}  {}▸ {}",
        format!("+{}", duration_text(line.timestamp - start)),
        "",
        "",
        "  ".repeat(depth),
        line.line
    )
}
