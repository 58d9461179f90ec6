//! Loki's runtime rejections (`logql/rejects_runtime.jsonl`): queries that parse but fail
//! when their pipeline is built or while they are evaluated, with the message Loki gives
//! (or only the fact that it fails). Each runs in the engine scenario its test comes from
//! (the same test file and line in `engine_cases.jsonl`) and must fail with that message.

use crate::logql_engine::{EvalCase, Scenario, evaluate_case, load, read_scenarios};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

#[derive(Deserialize)]
struct Reject {
    query: String,
    message: String,
    /// `substring` (the error contains `message`) or `any-error`.
    #[serde(rename = "match")]
    matching: String,
    /// `pkg/…/<file>.logqltest:<line> (eval …)`.
    source: String,
}

/// The test file and line a reject names.
fn origin(source: &str) -> Option<(String, usize)> {
    let location = source.split_whitespace().next()?;
    let (path, line) = location.rsplit_once(':')?;
    let file = path.rsplit('/').next()?;
    Some((file.to_string(), line.parse().ok()?))
}

/// The outcome of the runtime rejections.
#[derive(Clone, Debug, Default)]
pub struct RuntimeReport {
    /// Queries that failed as Loki's do.
    pub passed: usize,
    /// One line per query that succeeded or failed otherwise.
    pub failures: Vec<String>,
    /// One line per query that could not be run, with the reason.
    pub skipped: Vec<String>,
}

/// Runs every query of `dir/rejects_runtime.jsonl` in its scenario.
pub fn run_runtime_rejects(dir: &Path) -> Result<RuntimeReport, String> {
    let scenarios = read_scenarios(dir)?;
    let mut cases: HashMap<(String, usize), (&Scenario, &EvalCase)> = HashMap::new();
    for (file, scenario) in &scenarios {
        for case in &scenario.evals {
            cases.insert((file.clone(), case.source_line), (scenario, case));
        }
    }
    let path = dir.join("rejects_runtime.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut report = RuntimeReport::default();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let reject: Reject =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let Some((scenario, case)) = origin(&reject.source).and_then(|o| cases.get(&o).copied()) else {
            report.skipped.push(format!(
                "{}: no engine scenario at {}",
                reject.query, reject.source
            ));
            continue;
        };
        let (result, _) = evaluate_case(&load(&scenario.streams), case, &reject.query)?;
        let verdict = match result {
            Ok(r) => Err(format!("succeeded with {r:?}")),
            Err(_) if reject.matching == "any-error" => Ok(()),
            Err(e) if e.contains(&reject.message) => Ok(()),
            Err(e) => Err(format!("failed with {e:?}, Loki with {:?}", reject.message)),
        };
        match verdict {
            Ok(()) => report.passed += 1,
            Err(e) => report
                .failures
                .push(format!("{} ({}): {e}", reject.query, reject.source)),
        }
    }
    Ok(report)
}

impl RuntimeReport {
    /// Every failure and skip with `failures`, then the counts.
    pub fn render(&self, failures: bool) -> String {
        let mut out = String::new();
        if failures {
            for f in &self.failures {
                let _ = writeln!(out, "FAIL {f}");
            }
        }
        for s in &self.skipped {
            let _ = writeln!(out, "SKIP {s}");
        }
        let _ = writeln!(
            out,
            "logql runtime rejects: {} passed, {} failed, {} skipped",
            self.passed,
            self.failures.len(),
            self.skipped.len()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance_dir_or_skip;
    use crate::floors::floor;

    #[test]
    fn origins_name_a_file_and_line() {
        assert_eq!(
            origin("pkg/logql/internal/logqltest/testdata/parsers.logqltest:56 (eval instant)"),
            Some(("parsers.logqltest".to_string(), 56))
        );
        assert_eq!(origin("Engine"), None);
    }

    #[test]
    fn loki_runtime_rejections() {
        let Some(dir) = conformance_dir_or_skip("Loki's runtime rejections") else {
            return;
        };
        let report = run_runtime_rejects(&dir.join("logql")).unwrap();
        print!("{}", report.render(true));
        assert!(
            report.passed >= floor("logql_runtime_rejects").unwrap(),
            "below the recorded floor"
        );
    }
}
