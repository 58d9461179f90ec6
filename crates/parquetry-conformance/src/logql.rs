//! Loki's LogQL corpora (`logql/` in the conformance folder): the queries Loki's parser
//! accepts and rejects, run through Parquetry's parser with the entry point each case
//! names. The corpus is AGPL-licensed and is only ever read from the conformance folder.

use parquetry_logql::syntax::{self, ParseError};
use serde::Deserialize;
use std::fmt::Write;
use std::path::Path;

/// The parser entry point a case was written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Any query.
    Query,
    /// A metric query only.
    Metric,
    /// A log query only.
    Log,
    /// A bare stream selector only.
    Selector,
}

impl Entry {
    /// The entry point for the corpus' `api` names (Loki's function names;
    /// `ParseSampleExpr/ParseExpr` means either, so any query).
    fn from_api(api: &str) -> Entry {
        if api == "ParseSampleExpr" {
            Entry::Metric
        } else if api.starts_with("ParseLogSelector") {
            Entry::Log
        } else if api.starts_with("ParseMatchers") {
            Entry::Selector
        } else {
            Entry::Query
        }
    }

    /// Parses `query` with this entry point; for full queries, the canonical text must
    /// parse back to an equal tree.
    pub fn parse(self, query: &str) -> Result<(), String> {
        let shown = |e: ParseError| e.to_string();
        match self {
            Entry::Query | Entry::Metric => {
                let expr = match self {
                    Entry::Metric => syntax::parse_metric(query),
                    _ => syntax::parse(query),
                }
                .map_err(shown)?;
                let printed = expr.to_string();
                match syntax::parse(&printed) {
                    Ok(again) if again == expr => Ok(()),
                    Ok(again) => Err(format!("printed as {printed:?}, which parses to {again}")),
                    Err(e) => Err(format!("printed as {printed:?}, which does not parse: {e}")),
                }
            }
            Entry::Log => syntax::parse_log(query).map(drop).map_err(shown),
            Entry::Selector => syntax::parse_selector(query).map(drop).map_err(shown),
        }
    }
}

/// One query of the accept or reject list.
#[derive(Clone, Debug)]
pub struct ParseCase {
    /// The query text, exactly.
    pub query: String,
    /// The entry points it goes through (an accepted query may come from several).
    pub entries: Vec<Entry>,
    /// True when Loki accepts it.
    pub accepted: bool,
    /// Where Loki's test has it, for messages.
    pub source: String,
}

#[derive(Deserialize)]
struct AcceptLine {
    query: String,
    sources: Vec<SourceLine>,
}

#[derive(Deserialize)]
struct SourceLine {
    source: String,
    api: String,
}

#[derive(Deserialize)]
struct RejectLine {
    query: String,
    api: String,
    source: String,
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1)))
        .collect()
}

/// The accept (`accepts.jsonl`) and reject (`rejects.jsonl`) cases of the LogQL folder.
pub fn parse_cases(dir: &Path) -> Result<Vec<ParseCase>, String> {
    let mut cases = Vec::new();
    for line in read_lines::<AcceptLine>(&dir.join("accepts.jsonl"))? {
        let mut entries: Vec<Entry> = line.sources.iter().map(|s| Entry::from_api(&s.api)).collect();
        entries.dedup();
        cases.push(ParseCase {
            query: line.query,
            entries,
            accepted: true,
            source: line.sources.first().map(|s| s.source.clone()).unwrap_or_default(),
        });
    }
    for line in read_lines::<RejectLine>(&dir.join("rejects.jsonl"))? {
        cases.push(ParseCase {
            query: line.query,
            entries: vec![Entry::from_api(&line.api)],
            accepted: false,
            source: line.source,
        });
    }
    Ok(cases)
}

/// Passed and failed counts of one list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases with Loki's outcome.
    pub passed: usize,
    /// Cases with another outcome.
    pub failed: usize,
}

/// The outcome of the parse corpora.
#[derive(Clone, Debug, Default)]
pub struct ParseReport {
    /// Queries Loki accepts.
    pub accepts: Counts,
    /// Queries Loki rejects.
    pub rejects: Counts,
    /// One line per failed case: source, query and what went wrong.
    pub failures: Vec<String>,
}

/// Runs every accept and reject case of `dir`.
pub fn run_parse_cases(dir: &Path) -> Result<ParseReport, String> {
    let mut report = ParseReport::default();
    for case in parse_cases(dir)? {
        let outcome: Result<(), String> = case.entries.iter().try_for_each(|e| e.parse(&case.query));
        let counts = if case.accepted {
            &mut report.accepts
        } else {
            &mut report.rejects
        };
        match (outcome, case.accepted) {
            (Ok(()), true) | (Err(_), false) => counts.passed += 1,
            (Err(e), true) => {
                counts.failed += 1;
                report
                    .failures
                    .push(format!("{}: {:?} must parse: {e}", case.source, case.query));
            }
            (Ok(()), false) => {
                counts.failed += 1;
                report
                    .failures
                    .push(format!("{}: {:?} must be rejected", case.source, case.query));
            }
        }
    }
    Ok(report)
}

impl ParseReport {
    /// The counts, and with `failures` every failed case.
    pub fn render(&self, failures: bool) -> String {
        let mut out = String::new();
        if failures {
            for f in &self.failures {
                let _ = writeln!(out, "FAIL {f}");
            }
        }
        for (name, c) in [
            ("accepted queries", self.accepts),
            ("rejected queries", self.rejects),
        ] {
            let _ = writeln!(
                out,
                "logql parse, {name}: {} passed, {} failed, 0 skipped",
                c.passed, c.failed
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance_dir_or_skip;
    use crate::floors::floor;

    #[test]
    fn loki_accept_and_reject_lists() {
        let Some(dir) = conformance_dir_or_skip("the LogQL accept and reject lists") else {
            return;
        };
        let report = run_parse_cases(&dir.join("logql")).unwrap();
        print!("{}", report.render(true));
        assert!(
            report.accepts.passed >= floor("logql_parse_accepts").unwrap(),
            "below the recorded floor"
        );
        assert!(
            report.rejects.passed >= floor("logql_parse_rejects").unwrap(),
            "below the recorded floor"
        );
        assert_eq!(report.accepts.failed + report.rejects.failed, 0);
    }
}
