//! A runner for Prometheus' promqltest scripts (`*.test`), against Parquetry's store and
//! evaluator.
//!
//! Each `load` becomes a commit to a temporary store; each `eval` runs through
//! [`parquetry::Engine`] exactly as a user's query would. Instant evals are also re-run with
//! `@` pinned at five other times and cross-checked as range queries, as the upstream
//! runner does. Cases that touch native histograms or start timestamps are skipped with
//! their reason, since the store keeps float samples only.

pub mod compare;
pub mod report;
pub mod script;

use compare::{check_instant, check_range, instant_at};
use parquetry::store::{SeriesSamples, Writer};
use parquetry::{Engine, QueryOptions};
use parquetry_model::Labels;
use parquetry_promql::eval::{QueryResult, StepGrid};
use parquetry_promql::series_notation::Slot;
use parquetry_promql::syntax::ast::{At, Expr};
use parquetry_promql::{ParseOptions, parse_with};
use script::{Command, Eval, EvalTimes, MessageMatch};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Whether a case is about float samples or native histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// Float samples only.
    Float,
    /// Touches native histograms.
    NativeHistogram,
}

/// The outcome of one eval.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every check passed.
    Passed,
    /// A check failed, with what went wrong.
    Failed(String),
    /// Not run, with why.
    Skipped(String),
}

/// One eval's outcome with where it is.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// Line of the eval in its file.
    pub line: usize,
    /// The query.
    pub query: String,
    /// Float or native-histogram case.
    pub category: Category,
    /// Uses experimental syntax or functions (or is in `duration_expression.test`).
    pub experimental: bool,
    /// A core stable float case: float-only, not experimental, and not in
    /// `start_timestamps.test` or `type_and_unit.test` (the milestone of 862 cases).
    pub core: bool,
    /// What happened.
    pub outcome: Outcome,
}

/// Functions whose results depend on the evaluation time, so `@` re-runs are skipped.
const TIME_DEPENDENT: [&str; 15] = [
    "time",
    "timestamp",
    "predict_linear",
    "minute",
    "hour",
    "day_of_week",
    "day_of_month",
    "day_of_year",
    "days_in_month",
    "month",
    "year",
    "start",
    "end",
    "range",
    "step",
];

const NATIVE_FUNCTIONS: [&str; 6] = [
    "histogram_count",
    "histogram_sum",
    "histogram_avg",
    "histogram_fraction",
    "histogram_stddev",
    "histogram_stdvar",
];

fn calls(query: &str, name: &str) -> bool {
    let mut rest = query;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = rest[i + name.len()..].trim_start();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.starts_with('(') {
            return true;
        }
        rest = &rest[i + name.len()..];
    }
    false
}

fn identifiers(query: &str) -> HashSet<&str> {
    query
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The state of a script run: the temporary store and what it holds.
struct Run {
    dir: tempfile::TempDir,
    segment: usize,
    engine: Option<Engine>,
    max_time: HashMap<Labels, i64>,
    histogram_metrics: HashSet<String>,
    /// Label sets that hold native-histogram samples (not stored).
    histogram_series: Vec<Labels>,
    start_timestamps: bool,
}

impl Run {
    fn new() -> Result<Run, String> {
        Ok(Run {
            dir: tempfile::tempdir().map_err(|e| e.to_string())?,
            segment: 0,
            engine: None,
            max_time: HashMap::new(),
            histogram_metrics: HashSet::new(),
            histogram_series: Vec::new(),
            start_timestamps: false,
        })
    }

    fn store_path(&self) -> std::path::PathBuf {
        self.dir.path().join(format!("store-{}", self.segment))
    }

    fn clear(&mut self) {
        self.segment += 1;
        self.engine = None;
        self.max_time.clear();
        self.histogram_metrics.clear();
        self.histogram_series.clear();
        self.start_timestamps = false;
    }

    fn load(
        &mut self,
        interval: i64,
        series: &[script::SeriesLine],
        with_nhcb: bool,
        st: bool,
    ) -> Result<(), String> {
        self.start_timestamps |= st;
        // Within one block a repeated label set replaces the earlier line.
        let mut lines: Vec<&script::SeriesLine> = Vec::new();
        for s in series {
            lines.retain(|l| l.labels != s.labels);
            lines.push(s);
        }
        let mut batch = Vec::new();
        for line in lines {
            let name = line.labels.metric_name().unwrap_or("").to_string();
            if line.histograms {
                self.histogram_metrics.insert(name);
                self.histogram_series.push(line.labels.clone());
                continue;
            }
            if with_nhcb {
                for suffix in ["_bucket", "_count", "_sum"] {
                    if let Some(base) = name.strip_suffix(suffix) {
                        self.histogram_metrics.insert(base.to_string());
                    }
                }
            }
            let mut s = SeriesSamples::new(line.labels.clone());
            // Storage refuses samples at or before the newest one of the series.
            let floor = self.max_time.get(&line.labels).copied().unwrap_or(i64::MIN);
            for (k, slot) in line.slots.iter().enumerate() {
                if let Slot::Value(v) = slot {
                    let t = k as i64 * interval;
                    if t > floor {
                        s.timestamps.push(t);
                        s.values.push(*v);
                    }
                }
            }
            if let Some(&last) = s.timestamps.last() {
                self.max_time.insert(line.labels.clone(), last);
                batch.push(s);
            }
        }
        let mut writer = Writer::begin(&self.store_path()).map_err(|e| e.to_string())?;
        writer.write(batch).map_err(|e| e.to_string())?;
        writer.commit().map_err(|e| e.to_string())?;
        self.engine = Some(Engine::open(self.store_path()).map_err(|e| e.to_string())?);
        Ok(())
    }

    fn engine(&mut self) -> Result<&Engine, String> {
        if self.engine.is_none() {
            // Nothing loaded yet: an empty store.
            Writer::begin(&self.store_path())
                .and_then(|w| w.commit())
                .map_err(|e| e.to_string())?;
            self.engine = Some(Engine::open(self.store_path()).map_err(|e| e.to_string())?);
        }
        Ok(self.engine.as_ref().expect("just opened"))
    }

    /// True when a selector of the query matches a series that holds histograms.
    fn selects_histograms(&self, query: &str) -> bool {
        let Ok(expr) = parse_with(query, ParseOptions::all()) else {
            return false;
        };
        let mut found = false;
        visit_selectors(&expr, &mut |matchers| {
            found |= self.histogram_series.iter().any(|l| l.matches_all(matchers));
        });
        found
    }

    fn category(&self, eval: &Eval) -> Category {
        let q = &eval.query;
        let ids = identifiers(q);
        let native = eval.expect.series.iter().any(|s| s.histograms)
            || NATIVE_FUNCTIONS.iter().any(|f| calls(q, f))
            || self.histogram_metrics.iter().any(|m| ids.contains(m.as_str()))
            || (!self.histogram_metrics.is_empty() && q.contains("__name__"));
        if native {
            Category::NativeHistogram
        } else {
            Category::Float
        }
    }
}

fn options() -> QueryOptions {
    QueryOptions {
        parse: ParseOptions::all(),
        ..QueryOptions::default()
    }
}

fn message_matches(m: &Option<MessageMatch>, text: &str) -> bool {
    match m {
        None => true,
        Some(MessageMatch::Exact(s)) => text == s,
        Some(MessageMatch::Regex(r)) => regex::Regex::new(r).is_ok_and(|re| re.is_match(text)),
    }
}

/// Calls `f` with the matchers of every selector in `e`.
fn visit_selectors(e: &Expr, f: &mut dyn FnMut(&[parquetry_model::Matcher])) {
    match e {
        Expr::VectorSelector(v) => f(&v.matchers),
        Expr::MatrixSelector(m) => f(&m.selector.matchers),
        Expr::Subquery(s) => visit_selectors(&s.expr, f),
        Expr::Paren { expr, .. } | Expr::Unary { expr, .. } => visit_selectors(expr, f),
        Expr::Binary(b) => {
            visit_selectors(&b.lhs, f);
            visit_selectors(&b.rhs, f);
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                visit_selectors(p, f);
            }
            visit_selectors(&a.expr, f);
        }
        Expr::Call(c) => c.args.iter().for_each(|a| visit_selectors(a, f)),
        Expr::Number { .. } | Expr::String { .. } => {}
    }
}

/// Pins every top-level selector and subquery without `@` to `at_ms`.
fn pin_at(e: &mut Expr, at_ms: i64) {
    match e {
        Expr::VectorSelector(v) => {
            v.modifiers.at.get_or_insert(At::Timestamp(at_ms));
        }
        Expr::MatrixSelector(m) => {
            m.selector.modifiers.at.get_or_insert(At::Timestamp(at_ms));
        }
        Expr::Subquery(s) => {
            s.modifiers.at.get_or_insert(At::Timestamp(at_ms));
        }
        Expr::Paren { expr, .. } | Expr::Unary { expr, .. } => pin_at(expr, at_ms),
        Expr::Binary(b) => {
            pin_at(&mut b.lhs, at_ms);
            pin_at(&mut b.rhs, at_ms);
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &mut a.param {
                pin_at(p, at_ms);
            }
            pin_at(&mut a.expr, at_ms);
        }
        Expr::Call(c) => c.args.iter_mut().for_each(|a| pin_at(a, at_ms)),
        Expr::Number { .. } | Expr::String { .. } => {}
    }
}

/// Checks a query's outcome: the expected failure (and its message), or a result that
/// `check` accepts.
fn check_outcome(
    expect_fail: &Option<Option<MessageMatch>>,
    result: Result<QueryResult, parquetry::Error>,
    check: impl FnOnce(&QueryResult) -> Result<(), String>,
) -> Result<(), String> {
    match (expect_fail, result) {
        (Some(m), Err(e)) => {
            let text = e.to_string();
            if message_matches(m, &text) {
                Ok(())
            } else {
                Err(format!("failed with {text:?}, which does not match {m:?}"))
            }
        }
        (Some(_), Ok(r)) => Err(format!("expected a failure, got {r:?}")),
        (None, Err(e)) => Err(format!("query failed: {e}")),
        (None, Ok(r)) => check(&r),
    }
}

/// Runs one instant query and checks it against the eval's expectations.
fn check_instant_run(engine: &Engine, eval: &Eval, query: &str, t: i64) -> Result<(), String> {
    let result = engine.query_instant(query, t, &options());
    check_outcome(&eval.expect.fail, result, |r| check_instant(r, &eval.expect, t))
}

fn run_eval(engine: &Engine, eval: &Eval) -> Result<(), String> {
    match eval.times {
        EvalTimes::Range { start, end, step } => {
            let grid = StepGrid { start, end, step };
            let result = engine.query_range(&eval.query, grid, &options());
            check_outcome(&eval.expect.fail, result, |r| {
                check_range(r, &eval.expect, start, step)
            })
        }
        EvalTimes::Instant(t) => {
            check_instant_run(engine, eval, &eval.query, t).map_err(|e| format!("at {t} ms: {e}"))?;
            let expect = &eval.expect;
            let mut runs = vec![t];
            if !TIME_DEPENDENT.iter().any(|f| calls(&eval.query, f)) {
                let mut pinned = parse_with(&eval.query, ParseOptions::all()).map_err(|e| e.to_string())?;
                pin_at(&mut pinned, t);
                let text = pinned.to_string();
                let times: Vec<i64> = if t == 0 {
                    vec![-1000, 0, 1000]
                } else {
                    vec![-10 * t, 0, t / 5, t, 10 * t]
                };
                for at in times {
                    check_instant_run(engine, eval, &text, at)
                        .map_err(|e| format!("`{text}` at {at} ms: {e}"))?;
                }
                runs.push(t);
            }
            let excluded = expect.range_vector.is_some()
                || expect.string.is_some()
                || expect.ordered
                || expect.fail.is_some()
                || ["start", "end", "range", "step"]
                    .iter()
                    .any(|f| calls(&eval.query, f));
            if !excluded {
                let grid = StepGrid {
                    start: t - 60_000,
                    end: t + 60_000,
                    step: 60_000,
                };
                let r = engine
                    .query_range(&eval.query, grid, &options())
                    .map_err(|e| format!("range-mode cross-check failed: {e}"))?;
                if let QueryResult::Vector(series) = &r
                    && series.windows(2).any(|w| w[0].labels > w[1].labels)
                {
                    return Err("range-mode cross-check: matrix not sorted".to_string());
                }
                check_instant(&instant_at(&r, t), expect, t)
                    .map_err(|e| format!("range-mode cross-check: {e}"))?;
            }
            Ok(())
        }
    }
}

/// Runs one script file; every eval gets an outcome.
pub fn run_file(path: &Path) -> Result<Vec<CaseResult>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let commands = script::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let start_timestamp_file = file_name == "start_timestamps.test";
    let mut run = Run::new()?;
    let mut out = Vec::new();
    for cmd in commands {
        match cmd {
            Command::Clear => run.clear(),
            Command::Load {
                interval_ms,
                series,
                with_nhcb,
                start_timestamps,
            } => run.load(interval_ms, &series, with_nhcb, start_timestamps)?,
            Command::Eval(eval) => {
                let category = run.category(&eval);
                let outcome = if category == Category::NativeHistogram {
                    Outcome::Skipped("native histograms are not stored yet".to_string())
                } else if start_timestamp_file || run.start_timestamps {
                    Outcome::Skipped("start timestamps are not stored yet".to_string())
                } else {
                    let touches_histograms = run.selects_histograms(&eval.query);
                    let engine = run.engine()?;
                    match run_eval(engine, &eval) {
                        Ok(()) => Outcome::Passed,
                        // The upstream heuristic calls this a float case, but the query
                        // also selects series that hold native histograms.
                        Err(e) if touches_histograms => {
                            Outcome::Failed(format!("{e} (selects native-histogram series)"))
                        }
                        Err(e) => Outcome::Failed(e),
                    }
                };
                let experimental = file_name == "duration_expression.test"
                    || parse_with(&eval.query, ParseOptions::default()).is_err();
                let core = category == Category::Float
                    && !experimental
                    && !["start_timestamps.test", "type_and_unit.test"].contains(&file_name.as_str());
                out.push(CaseResult {
                    line: eval.line,
                    query: eval.query,
                    category,
                    experimental,
                    core,
                    outcome,
                });
            }
        }
    }
    Ok(out)
}
