//! Loki's engine scenarios (`logql/engine_cases.jsonl`): streams loaded at regular
//! times, then instant and range metric queries whose series (or scalar, emptiness or
//! failure) must equal what Loki's own tests expect.

use parquetry_logql::eval::Grid;
use parquetry_logql::eval::labels::LabelSet;
use parquetry_logql::eval::metric::{MetricResult, evaluate};
use parquetry_logql::eval::source::MemorySource;
use parquetry_logql::syntax::parse_metric;
use parquetry_logs::{LogEntry, StreamEntries};
use parquetry_model::Labels;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::Path;

/// The scenarios' time zero: times in the cases are seconds after it, as in Loki's tests.
const EPOCH_NS: i64 = 1_767_225_600 * 1_000_000_000;

/// One scenario: streams and the evaluations over them.
#[derive(Deserialize)]
pub(crate) struct Scenario {
    id: String,
    pub(crate) streams: Vec<StreamSpec>,
    pub(crate) evals: Vec<EvalCase>,
}

/// Lines of one stream: the same line at regular times.
#[derive(Deserialize)]
pub(crate) struct StreamSpec {
    labels: BTreeMap<String, String>,
    line: String,
    first_ts_s: f64,
    #[serde(default)]
    every_s: Option<f64>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    structured_metadata: BTreeMap<String, String>,
}

/// One evaluation of a scenario.
#[derive(Deserialize)]
pub(crate) struct EvalCase {
    /// Its line in Loki's test file.
    #[serde(default)]
    pub(crate) source_line: usize,
    query: String,
    #[serde(default)]
    instant_at_s: Option<f64>,
    #[serde(default)]
    range: Option<RangeSpec>,
    expect: Value,
}

#[derive(Deserialize)]
struct RangeSpec {
    start_s: f64,
    end_s: f64,
    step_s: f64,
}

fn seconds(s: f64) -> i64 {
    EPOCH_NS + (s * 1e9).round() as i64
}

/// The scenario's streams, merged by labels and sorted by time.
pub(crate) fn load(specs: &[StreamSpec]) -> MemorySource {
    let mut streams: HashMap<Labels, StreamEntries> = HashMap::new();
    for spec in specs {
        let labels = Labels::from_pairs(spec.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let stream = streams
            .entry(labels.clone())
            .or_insert_with(|| StreamEntries::new(labels));
        let count = spec.count.unwrap_or(1);
        for i in 0..count {
            let at = spec.first_ts_s + i as f64 * spec.every_s.unwrap_or(0.0);
            let mut entry = LogEntry::new(seconds(at), spec.line.clone());
            entry.metadata = spec
                .structured_metadata
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            stream.entries.push(entry);
        }
    }
    let mut streams: Vec<StreamEntries> = streams.into_values().collect();
    for s in &mut streams {
        s.entries.sort_by_key(|e| e.timestamp);
    }
    MemorySource { streams }
}

/// A number of the expectations: JSON numbers or the strings `NaN`, `+Inf`, `Inf`, `-Inf`.
fn expected_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "+Inf" | "Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

/// Equal as Loki's tests compare floats: NaN equals NaN, otherwise a relative error of
/// at most 1e-9 (the engines sum in different orders).
fn same(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    ((a - b) / b.abs().max(a.abs())).abs() <= 1e-9
}

fn expected_labels(v: &Value) -> LabelSet {
    let pairs = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(n, v)| (n.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    LabelSet::from_pairs(pairs)
}

/// Compares a result with the expectation; `Err` says how they differ.
fn compare(result: Result<MetricResult, String>, expect: &Value, times: &[i64]) -> Result<(), String> {
    if expect.get("fail").and_then(Value::as_bool) == Some(true) {
        return match result {
            Err(_) => Ok(()),
            Ok(r) => Err(format!("succeeded with {r:?}, Loki fails")),
        };
    }
    let result = result.map_err(|e| format!("failed: {e}"))?;
    if let Some(scalar) = expect.get("scalar") {
        let MetricResult::Scalar(points) = &result else {
            return Err(format!("gave {result:?}, Loki gives the scalar {scalar}"));
        };
        let wanted: Vec<f64> = match scalar {
            Value::Array(items) => items.iter().filter_map(expected_number).collect(),
            v => expected_number(v).into_iter().collect(),
        };
        let ok = points.len() <= wanted.len().max(1)
            && points
                .iter()
                .zip(wanted.iter().cycle())
                .all(|((_, g), w)| same(*g, *w));
        return if ok {
            Ok(())
        } else {
            Err(format!("scalar {points:?}, Loki gives {scalar}"))
        };
    }
    let series = match result {
        MetricResult::Vector(s) => s,
        MetricResult::Scalar(points) => return Err(format!("gave the scalar {points:?}, Loki gives series")),
    };
    if expect.get("empty").and_then(Value::as_bool) == Some(true) {
        return if series.is_empty() {
            Ok(())
        } else {
            Err(format!("gave {} series, Loki none", series.len()))
        };
    }
    let wanted = expect
        .get("series")
        .and_then(Value::as_array)
        .ok_or("no expectation")?;
    let ordered = expect.get("ordered").and_then(Value::as_bool) == Some(true);
    let shown = |s: &[parquetry_logql::eval::metric::MetricSeries]| {
        s.iter()
            .map(|s| format!("{} {:?}", s.labels, s.points))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if wanted.len() != series.len() {
        return Err(format!(
            "gave {} series [{}], Loki {}",
            series.len(),
            shown(&series),
            wanted.len()
        ));
    }
    for (i, w) in wanted.iter().enumerate() {
        let labels = expected_labels(&w["labels"]);
        let got = if ordered {
            series.get(i).filter(|s| s.labels == labels)
        } else {
            series.iter().find(|s| s.labels == labels)
        };
        let Some(got) = got else {
            return Err(format!(
                "no series {labels} (ordered: {ordered}) in [{}]",
                shown(&series)
            ));
        };
        let points = w["points"].as_array().ok_or("no points")?;
        for (k, p) in points.iter().enumerate() {
            let at = times.get(k).copied().unwrap_or_default();
            let value = got.points.iter().find(|(t, _)| *t == at).map(|(_, v)| *v);
            match (expected_number(p), value) {
                (None, None) => {}
                (Some(e), Some(g)) if same(g, e) => {}
                (e, g) => return Err(format!("{labels} at step {k}: got {g:?}, Loki {e:?}")),
            }
        }
        if got.points.len() != points.iter().filter(|p| !p.is_null()).count() {
            return Err(format!(
                "{labels}: {} points, Loki {}",
                got.points.len(),
                points.len()
            ));
        }
    }
    Ok(())
}

/// Evaluates `query` at the times of `case` over `source`: the result, or the error's
/// text (parse or evaluation), and the evaluation times.
pub(crate) fn evaluate_case(
    source: &MemorySource,
    case: &EvalCase,
    query: &str,
) -> Result<(Result<MetricResult, String>, Vec<i64>), String> {
    let (grid, instant) = match (&case.instant_at_s, &case.range) {
        (Some(t), _) => (Grid::instant(seconds(*t)), true),
        (None, Some(r)) => (
            Grid {
                start: seconds(r.start_s),
                end: seconds(r.end_s),
                step: (r.step_s * 1e9).round() as i64,
            },
            false,
        ),
        (None, None) => return Err("neither instant nor range".into()),
    };
    let times: Vec<i64> = grid.times().collect();
    let result = parse_metric(query)
        .map_err(|e| e.to_string())
        .and_then(|expr| evaluate(&expr, source, grid, instant).map_err(|e| e.to_string()));
    Ok((result, times))
}

fn run_eval(source: &MemorySource, case: &EvalCase) -> Result<(), String> {
    let (result, times) = evaluate_case(source, case, &case.query)?;
    compare(result, &case.expect, &times)
}

/// Every scenario of `dir/engine_cases.jsonl` with the name of its test file.
pub(crate) fn read_scenarios(dir: &Path) -> Result<Vec<(String, Scenario)>, String> {
    let path = dir.join("engine_cases.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let at = |e: serde_json::Error| format!("{}:{}: {e}", path.display(), n + 1);
            let v: Value = serde_json::from_str(line).map_err(at)?;
            let file = v["file"].as_str().unwrap_or("?").to_string();
            Ok((file, serde_json::from_value(v).map_err(at)?))
        })
        .collect()
}

/// The outcome of the engine scenarios.
#[derive(Clone, Debug, Default)]
pub struct EngineReport {
    /// Evaluations per scenario file: passed, failed.
    pub per_file: BTreeMap<String, (usize, usize)>,
    /// One line per failed evaluation.
    pub failures: Vec<String>,
}

/// Runs every evaluation of `dir/engine_cases.jsonl`.
pub fn run_engine_cases(dir: &Path) -> Result<EngineReport, String> {
    let mut report = EngineReport::default();
    for (file, scenario) in read_scenarios(dir)? {
        let source = load(&scenario.streams);
        for case in &scenario.evals {
            let counts = report.per_file.entry(file.clone()).or_default();
            match run_eval(&source, case) {
                Ok(()) => counts.0 += 1,
                Err(e) => {
                    counts.1 += 1;
                    report.failures.push(format!(
                        "{}:{} ({}): {} — {e}",
                        file, case.source_line, scenario.id, case.query
                    ));
                }
            }
        }
    }
    Ok(report)
}

impl EngineReport {
    /// Evaluations that passed.
    pub fn passed(&self) -> usize {
        self.per_file.values().map(|c| c.0).sum()
    }

    /// Evaluations that failed.
    pub fn failed(&self) -> usize {
        self.per_file.values().map(|c| c.1).sum()
    }

    /// Counts per file and in total, and with `failures` every failed evaluation.
    pub fn render(&self, failures: bool) -> String {
        let mut out = String::new();
        if failures {
            for f in &self.failures {
                let _ = writeln!(out, "FAIL {f}");
            }
        }
        for (file, (p, f)) in &self.per_file {
            let _ = writeln!(out, "{file}: {p} passed, {f} failed");
        }
        let _ = writeln!(
            out,
            "logql engine evaluations: {} passed, {} failed, 0 skipped",
            self.passed(),
            self.failed()
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
    fn loki_engine_scenarios() {
        let Some(dir) = conformance_dir_or_skip("the LogQL engine scenarios") else {
            return;
        };
        let report = run_engine_cases(&dir.join("logql")).unwrap();
        print!("{}", report.render(true));
        assert!(
            report.passed() >= floor("logql_engine_evaluations").unwrap(),
            "below the recorded floor"
        );
    }
}
