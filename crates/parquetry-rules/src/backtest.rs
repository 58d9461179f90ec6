//! Evaluating rule groups over a span of history, as Prometheus' rule manager would have
//! evaluated them live.
//!
//! Groups run at `start, start + interval, …`; at equal times, groups run in file order and
//! rules in group order. Each rule's output is written at its evaluation time (less the
//! group's `query_offset`) and is visible to every later evaluation; series that vanish
//! from a rule's output get a stale marker, as in Prometheus.
//!
//! Two strategies give the same answers. When no rule reads the output of itself or of a
//! rule after it, and none looks past its evaluation time (`@`, negative offsets, template
//! `query` calls), each rule is evaluated as range queries over its whole schedule, rule by
//! rule ([`Strategy::Range`]). Otherwise every evaluation is an instant query at its time
//! ([`Strategy::Stepwise`]), with the archive cut off at that time.

use crate::alerting::{ActiveAlert, AlertEpisode, AlertState, FiringAlert, TemplateEnv};
use crate::expr_walk;
use crate::file::{Group, Rule, RuleExpr, RuleKind, RuleSet};
use crate::source::{Layered, MemoryStore};
use crate::template::{Context, Sample};
use parquetry_logql::eval::source::EntrySource;
use parquetry_model::value::stale_nan;
use parquetry_model::{Labels, METRIC_NAME};
use parquetry_promql::eval::{EvalOptions, QueryResult, SeriesSource, StepGrid, evaluate};
use std::collections::{BTreeMap, HashSet};

/// Evaluation steps per range query; bounds the points a range evaluation holds at once.
const STEPS_PER_CHUNK: usize = 720;

/// Settings of a backtest.
#[derive(Clone, Debug)]
pub struct BacktestOptions {
    /// First evaluation time, ms.
    pub start_ms: i64,
    /// Last possible evaluation time, ms (inclusive).
    pub end_ms: i64,
    /// Interval of groups that do not set one (Prometheus' `evaluation_interval`), ms.
    pub default_interval_ms: i64,
    /// Use `default_interval_ms` for every group, whatever its own interval (as
    /// `promtool test rules` does).
    pub ignore_group_intervals: bool,
    /// Query settings (lookback, limits).
    pub eval: EvalOptions,
    /// `$externalLabels` of templates.
    pub external_labels: Labels,
    /// `$externalURL` of templates.
    pub external_url: String,
    /// Archive samples after this time are never visible.
    pub base_until: Option<i64>,
    /// Times at which to record the firing alerts (the state after the latest evaluation
    /// at or before each time).
    pub snapshot_times: Vec<i64>,
    /// Write `ALERTS` and `ALERTS_FOR_STATE` series into the outputs.
    pub alert_series: bool,
    /// Evaluate step by step even when range evaluation would give the same answers.
    pub force_stepwise: bool,
}

impl BacktestOptions {
    /// Defaults for `[start_ms, end_ms]`: groups without an interval run every minute.
    pub fn new(start_ms: i64, end_ms: i64) -> BacktestOptions {
        BacktestOptions {
            start_ms,
            end_ms,
            default_interval_ms: 60_000,
            ignore_group_intervals: false,
            eval: EvalOptions::default(),
            external_labels: Labels::empty(),
            external_url: String::new(),
            base_until: None,
            snapshot_times: Vec::new(),
            alert_series: true,
            force_stepwise: false,
        }
    }
}

/// How a backtest was evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Rule by rule, as range queries.
    Range,
    /// Evaluation by evaluation, as instant queries.
    Stepwise,
}

/// A rule evaluation that failed; Prometheus would log it and carry on.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleError {
    /// The rule's group.
    pub group: String,
    /// The recorded metric or alert name.
    pub rule: String,
    /// Evaluation time, ms.
    pub time_ms: i64,
    /// What went wrong.
    pub message: String,
}

/// Where a rule stands after its last evaluation of a backtest, as Prometheus' rules API
/// reports a live rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleStatus {
    /// Time of the rule's last evaluation, ms; `None` if the span had none.
    pub last_evaluation_ms: Option<i64>,
    /// Why the last evaluation failed; `None` when it succeeded.
    pub last_error: Option<String>,
    /// The alerts active after it (alerting rules), in label order.
    pub alerts: Vec<ActiveAlert>,
}

/// What a backtest produced.
#[derive(Debug)]
pub struct Backtest {
    /// Recording-rule series and (when asked for) `ALERTS`/`ALERTS_FOR_STATE`, with stale
    /// markers where series ended.
    pub outputs: MemoryStore,
    /// Every alert episode, per rule in rule order.
    pub episodes: Vec<AlertEpisode>,
    /// Failed evaluations.
    pub errors: Vec<RuleError>,
    /// Firing alerts at each requested snapshot time, by alert name.
    pub snapshots: BTreeMap<i64, Vec<(String, FiringAlert)>>,
    /// How the rules were evaluated.
    pub strategy: Strategy,
    /// Number of rule evaluations.
    pub evaluations: usize,
    /// Every rule's state at the end, in file order (groups in order, rules in group
    /// order).
    pub statuses: Vec<RuleStatus>,
}

/// A rule with its group settings and running state.
struct RuleRun<'r> {
    rule: &'r Rule,
    group: &'r Group,
    interval_ms: i64,
    offset_ms: i64,
    previous: HashSet<Labels>,
    alerts: AlertState,
    last_evaluation: Option<i64>,
    last_error: Option<String>,
}

fn interval_of(group: &Group, opts: &BacktestOptions) -> i64 {
    if opts.ignore_group_intervals {
        opts.default_interval_ms
    } else {
        group.interval_ms.unwrap_or(opts.default_interval_ms)
    }
}

fn output_names(rule: &Rule) -> Vec<&str> {
    match &rule.kind {
        RuleKind::Record(name) => vec![name.as_str()],
        RuleKind::Alert { .. } => vec!["ALERTS", "ALERTS_FOR_STATE"],
    }
}

fn uses_template_queries(rule: &Rule) -> bool {
    let annotations = match &rule.kind {
        RuleKind::Alert { annotations, .. } => annotations.as_slice(),
        RuleKind::Record(_) => &[],
    };
    rule.labels.iter().chain(annotations).any(|(_, t)| t.uses_query())
}

/// Whether every rule can be evaluated as range queries with the same answers. LogQL
/// rules read only logs, never what rules write, and never look ahead.
fn range_safe(runs: &[RuleRun<'_>]) -> bool {
    runs.iter().enumerate().all(|(i, r)| {
        let Some(expr) = r.rule.expr.promql() else {
            return !uses_template_queries(r.rule);
        };
        let reads_later = runs[i..].iter().any(|later| {
            output_names(later.rule)
                .iter()
                .any(|n| expr_walk::may_read(expr, n))
        });
        let reads_offset_later = runs[..i].iter().any(|earlier| {
            earlier.offset_ms > r.offset_ms
                && output_names(earlier.rule)
                    .iter()
                    .any(|n| expr_walk::may_read(expr, n))
        });
        !reads_later && !reads_offset_later && !expr_walk::looks_ahead(expr) && !uses_template_queries(r.rule)
    })
}

/// Turns a query result into the vector of each step, or the reason it is not a vector.
fn per_step(result: QueryResult, grid: &StepGrid) -> Result<Vec<Vec<(Labels, f64)>>, String> {
    let mut steps: Vec<Vec<(Labels, f64)>> = vec![Vec::new(); grid.len()];
    let index = |t: i64| ((t - grid.start) / grid.step.max(1)) as usize;
    match result {
        QueryResult::Scalar(points) => {
            for (t, v) in points {
                steps[index(t)].push((Labels::empty(), v));
            }
        }
        QueryResult::Vector(series) => {
            for s in series {
                for (t, v) in s.points {
                    steps[index(t)].push((s.labels.clone(), v));
                }
            }
        }
        QueryResult::Range(_) | QueryResult::String(_) => {
            return Err("rule result is not a vector or scalar".into());
        }
    }
    Ok(steps)
}

/// Evaluates `expr` as an instant query at `t`: its vector (a scalar is one sample without
/// labels), or why it failed or is not a vector.
pub(crate) fn instant_query(
    expr: &parquetry_promql::Expr,
    source: &dyn SeriesSource,
    t: i64,
    eval: &EvalOptions,
) -> Result<Vec<(Labels, f64)>, String> {
    let grid = StepGrid::instant(t);
    let result = evaluate(expr, source, grid, true, eval).map_err(|e| e.to_string())?;
    the_vector(result, &grid)
}

/// The vector of an instant query's result.
fn the_vector(result: QueryResult, grid: &StepGrid) -> Result<Vec<(Labels, f64)>, String> {
    per_step(result, grid).map(|mut s| s.pop().unwrap_or_default())
}

struct Runner<'a> {
    base: &'a dyn SeriesSource,
    logs: Option<&'a dyn EntrySource>,
    opts: &'a BacktestOptions,
    outputs: MemoryStore,
    errors: Vec<RuleError>,
    snapshots: BTreeMap<i64, Vec<(String, FiringAlert)>>,
    evaluations: usize,
}

impl Runner<'_> {
    fn source(&self, until: Option<i64>) -> Layered<'_> {
        let base_until = match (until, self.opts.base_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Layered {
            base: self.base,
            base_until,
            outputs: &self.outputs,
        }
    }

    /// Evaluates `expr` over `grid`: PromQL over the archive and the rules' outputs so far
    /// (the archive cut at `until`), LogQL over the logs.
    fn evaluate(
        &self,
        expr: &RuleExpr,
        grid: StepGrid,
        instant: bool,
        until: Option<i64>,
    ) -> Result<QueryResult, String> {
        match expr {
            RuleExpr::Promql(e) => {
                evaluate(e, &self.source(until), grid, instant, &self.opts.eval).map_err(|e| e.to_string())
            }
            RuleExpr::Logql(e) => {
                let logs = self
                    .logs
                    .ok_or("a LogQL rule reads logs, and this backtest has none")?;
                let ns = |ms: i64| ms.saturating_mul(1_000_000);
                let grid = parquetry_logql::Grid {
                    start: ns(grid.start),
                    end: ns(grid.end),
                    step: ns(grid.step),
                };
                parquetry_logql::eval::metric::evaluate(e, logs, grid, instant)
                    .map(|r| r.into_promql())
                    .map_err(|e| e.to_string())
            }
        }
    }

    fn instant(&self, rule: &Rule, t: i64, until: Option<i64>) -> Result<Vec<(Labels, f64)>, String> {
        let grid = StepGrid::instant(t);
        the_vector(self.evaluate(&rule.expr, grid, true, until)?, &grid)
    }

    /// Applies the result of one evaluation of `run` at `ts`.
    fn apply(
        &mut self,
        run: &mut RuleRun<'_>,
        ts: i64,
        result: Result<Vec<(Labels, f64)>, String>,
        until: Option<i64>,
    ) {
        self.evaluations += 1;
        run.last_evaluation = Some(ts);
        let write_at = ts - run.offset_ms;
        let produced = result.and_then(|vector| self.produce(run, ts, vector, until));
        run.last_error = produced.as_ref().err().cloned();
        let samples = match produced {
            Ok(s) => s,
            Err(message) => {
                self.errors.push(RuleError {
                    group: run.group.name.clone(),
                    rule: run.rule.name().to_string(),
                    time_ms: ts,
                    message,
                });
                self.snapshot(run, ts, until);
                return;
            }
        };
        let current: HashSet<Labels> = samples.iter().map(|(l, _)| l.clone()).collect();
        let write = matches!(run.rule.kind, RuleKind::Record(_)) || self.opts.alert_series;
        if write {
            let mut gone: Vec<&Labels> = run.previous.difference(&current).collect();
            gone.sort();
            for labels in gone {
                self.outputs.append(labels, write_at, stale_nan());
            }
            for (labels, v) in &samples {
                self.outputs.append(labels, write_at, *v);
            }
        }
        run.previous = current;
        self.snapshot(run, ts, until);
    }

    /// A template's `query` at `ts`, in the rule's language: PromQL for a Prometheus rule,
    /// LogQL over the logs for a Loki rule (as Loki's ruler runs it).
    fn template_query(
        &self,
        rule: &Rule,
        ts: i64,
        until: Option<i64>,
        q: &str,
    ) -> Result<Vec<Sample>, String> {
        let vector = match &rule.expr {
            RuleExpr::Promql(_) => {
                let expr = parquetry_promql::parse(q).map_err(|e| e.to_string())?;
                instant_query(&expr, &self.source(until.or(Some(ts))), ts, &self.opts.eval)?
            }
            RuleExpr::Logql(_) => {
                let expr = parquetry_logql::syntax::parse_metric(q).map_err(|e| e.to_string())?;
                let grid = StepGrid::instant(ts);
                the_vector(self.evaluate(&RuleExpr::Logql(expr), grid, true, until)?, &grid)?
            }
        };
        Ok(vector.iter().map(|(l, v)| Sample::new(l, *v)).collect())
    }

    fn with_env<T>(
        &self,
        rule: &Rule,
        ts: i64,
        until: Option<i64>,
        f: impl FnOnce(&TemplateEnv<'_>) -> T,
    ) -> T {
        let query = |q: &str| self.template_query(rule, ts, until, q);
        let context = Context {
            time_ms: ts,
            external_url: &self.opts.external_url,
            query: &query,
            functions: None,
        };
        f(&TemplateEnv {
            context: &context,
            external_labels: &self.opts.external_labels,
            external_url: &self.opts.external_url,
        })
    }

    fn produce(
        &self,
        run: &mut RuleRun<'_>,
        ts: i64,
        vector: Vec<(Labels, f64)>,
        until: Option<i64>,
    ) -> Result<Vec<(Labels, f64)>, String> {
        match &run.rule.kind {
            RuleKind::Record(name) => {
                let mut out = Vec::with_capacity(vector.len());
                let mut seen = HashSet::with_capacity(vector.len());
                for (labels, v) in vector {
                    let mut l = labels.with(METRIC_NAME, name);
                    for (k, t) in &run.rule.labels {
                        l = l.with(k, t.as_literal().unwrap_or_default());
                    }
                    if !seen.insert(l.clone()) {
                        return Err(
                            "vector contains metrics with the same labelset after applying rule labels"
                                .into(),
                        );
                    }
                    out.push((l, v));
                }
                let limit = run.group.limit;
                if limit > 0 && out.len() > limit {
                    return Err(format!("exceeded limit of {limit} with {} series", out.len()));
                }
                Ok(out)
            }
            RuleKind::Alert { .. } => {
                let (rule, limit) = (run.rule, run.group.limit);
                self.with_env(rule, ts, until, |env| {
                    run.alerts.step(rule, ts, vector, limit, env)
                })
            }
        }
    }

    fn snapshot(&mut self, run: &RuleRun<'_>, ts: i64, until: Option<i64>) {
        let RuleKind::Alert { name, .. } = &run.rule.kind else {
            return;
        };
        let due: Vec<i64> = self
            .opts
            .snapshot_times
            .iter()
            .copied()
            .filter(|e| ts <= *e && *e < ts + run.interval_ms)
            .collect::<std::collections::BTreeSet<i64>>()
            .into_iter()
            .collect();
        if due.is_empty() {
            return;
        }
        let firing = self.with_env(run.rule, ts, until, |env| run.alerts.firing(run.rule, env));
        for e in due {
            let entry = self.snapshots.entry(e).or_default();
            entry.extend(firing.iter().map(|f| (name.clone(), f.clone())));
        }
    }

    /// Where `run` stands after its last evaluation.
    fn status(&self, run: &RuleRun<'_>, strategy: Strategy) -> RuleStatus {
        let alerts = match run.last_evaluation {
            Some(ts) => {
                let until = (strategy == Strategy::Stepwise).then_some(ts);
                self.with_env(run.rule, ts, until, |env| run.alerts.active(run.rule, env))
            }
            None => Vec::new(),
        };
        RuleStatus {
            last_evaluation_ms: run.last_evaluation,
            last_error: run.last_error.clone(),
            alerts,
        }
    }

    fn range_rule(&mut self, run: &mut RuleRun<'_>) {
        let grid = StepGrid {
            start: self.opts.start_ms,
            end: self.opts.end_ms,
            step: run.interval_ms,
        };
        let times: Vec<i64> = grid.times().collect();
        for chunk in times.chunks(STEPS_PER_CHUNK) {
            let (first, last) = (chunk[0], chunk[chunk.len() - 1]);
            let query_grid = StepGrid {
                start: first - run.offset_ms,
                end: last - run.offset_ms,
                step: run.interval_ms,
            };
            let result = self
                .evaluate(&run.rule.expr, query_grid, false, None)
                .and_then(|r| per_step(r, &query_grid));
            match result {
                Ok(steps) => {
                    for (ts, vector) in chunk.iter().zip(steps) {
                        self.apply(run, *ts, Ok(vector), None);
                    }
                }
                // Some step fails: find which, one evaluation at a time.
                Err(_) => {
                    for ts in chunk {
                        let r = self.instant(run.rule, ts - run.offset_ms, None);
                        self.apply(run, *ts, r, None);
                    }
                }
            }
        }
    }

    fn stepwise(&mut self, runs: &mut [RuleRun<'_>]) {
        let mut schedule: Vec<(i64, usize)> = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let grid = StepGrid {
                start: self.opts.start_ms,
                end: self.opts.end_ms,
                step: run.interval_ms,
            };
            schedule.extend(grid.times().map(|t| (t, i)));
        }
        // Stable sort: at equal times, rules keep their file order.
        schedule.sort_by_key(|(t, _)| *t);
        for (ts, i) in schedule {
            let run = &mut runs[i];
            let r = self.instant(run.rule, ts - run.offset_ms, Some(ts));
            self.apply(run, ts, r, Some(ts));
        }
    }
}

/// Evaluates every group of `rules` over `[opts.start_ms, opts.end_ms]`, reading the
/// archive from `base`. LogQL rules fail every evaluation: they need
/// [`backtest_with_logs`].
pub fn backtest(rules: &RuleSet, base: &dyn SeriesSource, opts: &BacktestOptions) -> Backtest {
    run_backtest(rules, base, None, opts)
}

/// [`backtest`] with LogQL rules reading `logs`, as Loki's ruler evaluates them.
pub fn backtest_with_logs(
    rules: &RuleSet,
    base: &dyn SeriesSource,
    logs: &dyn EntrySource,
    opts: &BacktestOptions,
) -> Backtest {
    run_backtest(rules, base, Some(logs), opts)
}

fn run_backtest(
    rules: &RuleSet,
    base: &dyn SeriesSource,
    logs: Option<&dyn EntrySource>,
    opts: &BacktestOptions,
) -> Backtest {
    let mut runs: Vec<RuleRun<'_>> = rules
        .groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().map(move |r| RuleRun {
                rule: r,
                group: g,
                interval_ms: interval_of(g, opts).max(1),
                offset_ms: g.query_offset_ms.unwrap_or(0),
                previous: HashSet::new(),
                alerts: AlertState::default(),
                last_evaluation: None,
                last_error: None,
            })
        })
        .collect();
    let strategy = if !opts.force_stepwise && range_safe(&runs) {
        Strategy::Range
    } else {
        Strategy::Stepwise
    };
    let mut runner = Runner {
        base,
        logs,
        opts,
        outputs: MemoryStore::new(),
        errors: Vec::new(),
        snapshots: BTreeMap::new(),
        evaluations: 0,
    };
    match strategy {
        Strategy::Range => runs.iter_mut().for_each(|run| runner.range_rule(run)),
        Strategy::Stepwise => runner.stepwise(&mut runs),
    }
    for list in runner.snapshots.values_mut() {
        list.sort();
    }
    let statuses = runs.iter().map(|run| runner.status(run, strategy)).collect();
    Backtest {
        outputs: runner.outputs,
        episodes: runs.into_iter().flat_map(|r| r.alerts.into_episodes()).collect(),
        errors: runner.errors,
        snapshots: runner.snapshots,
        strategy,
        evaluations: runner.evaluations,
        statuses,
    }
}

#[cfg(test)]
#[path = "backtest_tests.rs"]
mod tests;
