//! Loki's pipeline cases (`logql/pipeline_cases.jsonl`): one line, its stream labels and
//! structured metadata through a pipeline, compared on what Loki's own test asserts
//! (whether the line is kept, the line, the final labels).

use parquetry_logql::eval::labels::{ERROR_DETAILS_LABEL, LabelSet, LabelsBuilder};
use parquetry_logql::eval::pipeline::Pipeline;
use parquetry_logql::syntax::parse_log;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

#[derive(Deserialize)]
struct Case {
    id: String,
    pipeline: String,
    input: Input,
    expected: Expected,
    asserted_by_source: Vec<String>,
}

#[derive(Deserialize)]
struct Input {
    ts_ns: i64,
    line: String,
    stream_labels: BTreeMap<String, String>,
    #[serde(default)]
    structured_metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Expected {
    keep: Option<bool>,
    line: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

/// The outcome of the pipeline cases.
#[derive(Clone, Debug, Default)]
pub struct PipelineReport {
    /// Cases with Loki's outcome.
    pub passed: usize,
    /// Cases with another outcome, each with its id and what differed.
    pub failures: Vec<String>,
}

/// A label set without `__error_details__`, whose wording is Go's.
fn comparable(labels: impl IntoIterator<Item = (String, String)>) -> LabelSet {
    LabelSet::from_pairs(labels.into_iter().filter(|(n, _)| n != ERROR_DETAILS_LABEL))
}

fn run_case(case: &Case) -> Result<(), String> {
    let query = format!("{{__case__=\"x\"}} {}", case.pipeline);
    let log = parse_log(&query).map_err(|e| format!("does not parse: {e}"))?;
    let pipeline = Pipeline::build(&log.pipeline).map_err(|e| format!("does not build: {e}"))?;
    let stream = case
        .input
        .stream_labels
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()));
    let metadata = case
        .input
        .structured_metadata
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()));
    let mut labels = LabelsBuilder::new(stream, metadata);
    let mut line = case.input.line.clone();
    let kept = pipeline.process(case.input.ts_ns, &mut line, &mut labels);
    let asserted = |what: &str| case.asserted_by_source.iter().any(|a| a == what);
    if let Some(keep) = case.expected.keep.filter(|k| asserted("keep") && *k != kept) {
        return Err(format!("kept {kept}, Loki keeps {keep}"));
    }
    if let Some(expected) = case
        .expected
        .line
        .as_ref()
        .filter(|l| asserted("line") && **l != line)
    {
        return Err(format!("line {line:?}, Loki has {expected:?}"));
    }
    if let Some(expected) = case.expected.labels.as_ref().filter(|_| asserted("labels")) {
        let got = comparable(labels.finish().0);
        let want = comparable(expected.clone());
        if got != want {
            return Err(format!("labels {got}, Loki has {want}"));
        }
    }
    Ok(())
}

/// Runs every case of `dir/pipeline_cases.jsonl`.
pub fn run_pipeline_cases(dir: &Path) -> Result<PipelineReport, String> {
    let path = dir.join("pipeline_cases.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut report = PipelineReport::default();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let case: Case =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        match run_case(&case) {
            Ok(()) => report.passed += 1,
            Err(e) => report
                .failures
                .push(format!("{} ({}): {e}", case.id, case.pipeline)),
        }
    }
    Ok(report)
}

impl PipelineReport {
    /// The counts, and with `failures` every failed case.
    pub fn render(&self, failures: bool) -> String {
        let mut out = String::new();
        if failures {
            for f in &self.failures {
                let _ = writeln!(out, "FAIL {f}");
            }
        }
        let _ = writeln!(
            out,
            "logql pipeline cases: {} passed, {} failed, 0 skipped",
            self.passed,
            self.failures.len()
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
    fn loki_pipeline_cases() {
        let Some(dir) = conformance_dir_or_skip("the LogQL pipeline cases") else {
            return;
        };
        let report = run_pipeline_cases(&dir.join("logql")).unwrap();
        print!("{}", report.render(true));
        assert!(
            report.passed >= floor("logql_pipeline_cases").unwrap(),
            "below the recorded floor"
        );
    }
}
