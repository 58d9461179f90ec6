//! `promtool test rules`: unit tests for rule files, with promtool's outcomes.
//!
//! Each test group loads its input series, evaluates every rule group at each evaluation
//! interval from the start up to the latest `eval_time`, then checks the firing alerts and
//! the instant-query results it lists. Cases about native histograms are skipped with that
//! reason, since the store holds float samples only; everything else runs.

mod check;
pub mod file;

use crate::backtest::{BacktestOptions, backtest};
use crate::expr_walk;
use crate::file::{LoadOptions, RuleSet};
use crate::source::{Layered, MemoryStore};
use file::{TestFile, TestGroup};
use parquetry_model::Labels;
use parquetry_model::time::{format_duration, parse_duration, parse_timestamp};
use parquetry_promql::series_notation::{Slot, expand, has_histograms, series_labels};
use parquetry_promql::{ParseOptions, parse_with};
use std::path::{Path, PathBuf};

/// Engine settings of a test run.
#[derive(Clone, Debug)]
pub struct TestOptions {
    /// Allow the `@` modifier (promtool's CLI allows it).
    pub at_modifier: bool,
    /// Allow negative offsets (promtool's CLI allows them).
    pub negative_offset: bool,
    /// Accept unknown fields in rule files.
    pub ignore_unknown_fields: bool,
    /// Only run groups whose name this unanchored regex matches.
    pub run: Option<regex::Regex>,
}

impl Default for TestOptions {
    /// As `promtool test rules` runs from the command line.
    fn default() -> Self {
        TestOptions {
            at_modifier: true,
            negative_offset: true,
            ignore_unknown_fields: false,
            run: None,
        }
    }
}

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed, with promtool-style detail.
    Failed(String),
    /// Not run, with why.
    Skipped(String),
}

/// One check of a group: an alert or expression test, or the group's evaluation itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// What is checked (`alert InstanceDown at 5m`, `expr test at 0s`, `evaluation`).
    pub what: String,
    /// How it went.
    pub outcome: Outcome,
}

/// The checks of one test group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupReport {
    /// The group's name (or its position when unnamed).
    pub name: String,
    /// Its checks.
    pub cases: Vec<Case>,
}

/// The result of one test file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// A problem with the file as a whole (YAML, rule files), if any.
    pub error: Option<String>,
    /// The groups that ran.
    pub groups: Vec<GroupReport>,
}

impl FileReport {
    /// True when nothing failed (skipped checks do not fail a file).
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self
                .groups
                .iter()
                .flat_map(|g| &g.cases)
                .all(|c| !matches!(c.outcome, Outcome::Failed(_)))
    }

    /// `(passed, failed, skipped)` checks.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for c in self.groups.iter().flat_map(|g| &g.cases) {
            match c.outcome {
                Outcome::Passed => counts.0 += 1,
                Outcome::Failed(_) => counts.1 += 1,
                Outcome::Skipped(_) => counts.2 += 1,
            }
        }
        counts.1 += usize::from(self.error.is_some());
        counts
    }

    /// promtool-style text: `Unit Testing: FILE`, then `SUCCESS` or the failures.
    pub fn render(&self) -> String {
        let mut out = format!("Unit Testing: {}\n", self.path.display());
        if let Some(e) = &self.error {
            out.push_str(&format!("  FAILED:\n    {}\n", e.replace('\n', "\n    ")));
            return out;
        }
        for g in &self.groups {
            for c in &g.cases {
                match &c.outcome {
                    Outcome::Failed(msg) => out.push_str(&format!(
                        "  FAILED: {}: {}\n    {}\n",
                        g.name,
                        c.what,
                        msg.replace('\n', "\n    ")
                    )),
                    Outcome::Skipped(why) => {
                        out.push_str(&format!("  SKIPPED: {}: {}: {why}\n", g.name, c.what))
                    }
                    Outcome::Passed => {}
                }
            }
        }
        if self.passed() {
            out.push_str("  SUCCESS\n");
        }
        out
    }
}

fn fail_file(path: &Path, error: String) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        error: Some(error),
        groups: Vec::new(),
    }
}

/// Runs one test file.
pub fn run_file(path: &Path, options: &TestOptions) -> FileReport {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail_file(path, e.to_string()),
    };
    let file: TestFile = match serde_norway::from_str(&text) {
        Ok(f) => f,
        Err(e) => return fail_file(path, e.to_string()),
    };
    let interval = match parse_duration(file.evaluation_interval.as_deref().unwrap_or("1m")) {
        Ok(ms) if ms > 0 => ms,
        Ok(_) => return fail_file(path, "evaluation_interval must be positive".into()),
        Err(e) => return fail_file(path, format!("evaluation_interval: {e}")),
    };
    let rules = match load_rules(path, &file, options) {
        Ok(r) => r,
        Err(e) => return fail_file(path, e),
    };
    let groups = file
        .tests
        .iter()
        .enumerate()
        .filter(|(_, g)| options.run.as_ref().is_none_or(|re| re.is_match(&g.name)))
        .map(|(i, g)| {
            let name = if g.name.is_empty() {
                format!("group {}", i + 1)
            } else {
                g.name.clone()
            };
            let cases = run_group(g, &rules, interval, file.fuzzy_compare, options);
            GroupReport { name, cases }
        })
        .collect();
    FileReport {
        path: path.to_path_buf(),
        error: None,
        groups,
    }
}

fn load_rules(path: &Path, file: &TestFile, options: &TestOptions) -> Result<RuleSet, String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut paths = Vec::new();
    for pattern in &file.rule_files {
        let full = dir.join(pattern);
        let matched: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
            .map_err(|e| format!("rule_files {pattern:?}: {e}"))?
            .filter_map(Result::ok)
            .collect();
        if matched.is_empty() {
            paths.push(full);
        } else {
            paths.extend(matched);
        }
    }
    let load = LoadOptions {
        ignore_unknown_fields: options.ignore_unknown_fields,
        ..LoadOptions::default()
    };
    let mut rules = RuleSet::load(&paths, load).map_err(|e| e.to_string())?;
    for g in &rules.groups {
        for r in &g.rules {
            let expr = r.expr.promql().ok_or("unit tests run PromQL rules")?;
            disabled_features(expr, options)
                .map_err(|e| format!("group {:?}, rule {:?}: {e}", g.name, r.name()))?;
        }
    }
    // `group_eval_order` first, the rest in file order.
    let mut ordered = Vec::new();
    for (i, name) in file.group_eval_order.iter().enumerate() {
        if file.group_eval_order[..i].contains(name) {
            return Err(format!("group name repeated in evaluation order: {name}"));
        }
        let at = rules
            .groups
            .iter()
            .position(|g| &g.name == name)
            .ok_or_else(|| format!("group {name:?} in group_eval_order not found in the rule files"))?;
        ordered.push(rules.groups.remove(at));
    }
    ordered.append(&mut rules.groups);
    rules.groups = ordered;
    Ok(rules)
}

/// Refuses `@` and negative offsets when the engine has them off.
fn disabled_features(expr: &parquetry_promql::Expr, options: &TestOptions) -> Result<(), String> {
    if !options.at_modifier && expr_walk::uses_at(expr) {
        return Err("@ modifier is disabled".into());
    }
    if !options.negative_offset && expr_walk::uses_negative_offset(expr) {
        return Err("negative offset is disabled".into());
    }
    Ok(())
}

fn start_time(text: Option<&str>) -> Result<i64, String> {
    let Some(text) = text else { return Ok(0) };
    parse_timestamp(text).map_err(|e| format!("start_timestamp: {e}"))
}

/// The group's input: float series loaded, names of native-histogram series set aside.
struct Inputs {
    store: MemoryStore,
    histogram_names: Vec<String>,
}

fn load_inputs(group: &TestGroup, start: i64, interval: i64) -> Result<Inputs, String> {
    let mut inputs = Inputs {
        store: MemoryStore::new(),
        histogram_names: Vec::new(),
    };
    for s in &group.input_series {
        let labels = series_labels(&s.series).map_err(|e| e.0)?;
        if has_histograms(&s.values) {
            inputs
                .histogram_names
                .push(labels.metric_name().unwrap_or_default().to_string());
            continue;
        }
        let slots = expand(&s.values).map_err(|e| format!("series {}: {}", s.series, e.0))?;
        for (i, slot) in slots.into_iter().enumerate() {
            if let Slot::Value(v) = slot {
                inputs.store.append(&labels, start + i as i64 * interval, v);
            }
        }
    }
    Ok(inputs)
}

fn relative(text: &str) -> Result<i64, String> {
    parse_duration(text).map_err(|e| format!("eval_time: {e}"))
}

fn run_group(
    group: &TestGroup,
    rules: &RuleSet,
    interval: i64,
    fuzzy: bool,
    options: &TestOptions,
) -> Vec<Case> {
    let evaluation = |outcome: Outcome| {
        vec![Case {
            what: "evaluation".into(),
            outcome,
        }]
    };
    let prepared = (|| -> Result<_, String> {
        let start = start_time(group.start_timestamp.as_deref())?;
        let input_interval = match &group.interval {
            Some(i) => parse_duration(i).map_err(|e| format!("interval: {e}"))?,
            None => interval,
        };
        let inputs = load_inputs(group, start, input_interval)?;
        let mut latest = 0;
        for t in group.alert_rule_test.iter().map(|a| &a.eval_time) {
            latest = latest.max(relative(t)?);
        }
        for t in group.promql_expr_test.iter().map(|e| &e.eval_time) {
            latest = latest.max(relative(t)?);
        }
        Ok((start, inputs, latest))
    })();
    let (start, inputs, latest) = match prepared {
        Ok(p) => p,
        Err(e) => return evaluation(Outcome::Failed(e)),
    };
    let last_step = start + latest / interval * interval;
    let mut opts = BacktestOptions::new(start, last_step);
    opts.default_interval_ms = interval;
    opts.ignore_group_intervals = true;
    opts.eval.default_subquery_step_ms = interval;
    opts.base_until = Some(last_step);
    opts.external_labels = Labels::from_pairs(group.external_labels.clone());
    opts.external_url = group.external_url.clone().unwrap_or_default();
    let mut alert_times = Vec::new();
    for a in &group.alert_rule_test {
        alert_times.push(start + relative(&a.eval_time).unwrap_or(0));
    }
    opts.snapshot_times = alert_times.clone();
    let result = backtest(rules, &inputs.store, &opts);
    if !result.errors.is_empty() {
        let lines: Vec<String> = result
            .errors
            .iter()
            .take(5)
            .map(|e| {
                let at = format_duration(e.time_ms - start);
                format!("group {:?}, rule {:?}, time {at}: {}", e.group, e.rule, e.message)
            })
            .collect();
        return evaluation(Outcome::Failed(format!(
            "rule evaluation failed:\n{}",
            lines.join("\n")
        )));
    }
    let mut cases = Vec::new();
    for (a, at) in group.alert_rule_test.iter().zip(alert_times) {
        let firing = result.snapshots.get(&at).map(Vec::as_slice).unwrap_or(&[]);
        cases.push(Case {
            what: format!("alert {} at {}", a.alertname, a.eval_time),
            outcome: check::alerts(a, firing),
        });
    }
    let source = Layered {
        base: &inputs.store,
        base_until: Some(last_step),
        outputs: &result.outputs,
    };
    let parse_options = ParseOptions::default();
    for e in &group.promql_expr_test {
        let what = format!("expr {:?} at {}", e.expr, e.eval_time);
        let uses_histograms = e.exp_samples.iter().any(|s| s.histogram.is_some())
            || parse_with(&e.expr, parse_options)
                .is_ok_and(|x| inputs.histogram_names.iter().any(|n| expr_walk::may_read(&x, n)));
        let outcome = if uses_histograms {
            Outcome::Skipped("needs native histograms, which are not stored".into())
        } else {
            let t = start + relative(&e.eval_time).unwrap_or(0);
            check::expression(e, t, &source, &opts, options, fuzzy)
        };
        cases.push(Case { what, outcome });
    }
    if cases.is_empty() {
        cases = evaluation(Outcome::Passed);
    }
    cases
}

/// Renders an alert's annotations and labels for messages.
fn describe(labels: &Labels, annotations: &[(String, String)]) -> String {
    let ann: Vec<String> = annotations.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("labels: {labels}, annotations: {{{}}}", ann.join(", "))
}
