//! `/api/v1/rules` and `/api/v1/alerts`: the rule files given with `--rules`, in the
//! state a live Prometheus would show at the store's newest sample.
//!
//! That state comes from a backtest: every group is evaluated over the history before
//! the newest sample (the server's rule history plus the longest `for` and
//! `keep_firing_for`, so every alert whose condition held in that history has reached
//! the state it would have live). An alert active since before that span shows the
//! span's start as its `activeAt`, as after a Prometheus restart. The answer is kept
//! until a commit changes the store. `evaluationTime` is 0: the rules are evaluated as
//! one backtest, not one evaluation at a time.

use super::success;
use crate::api_error::{ApiError, parse_message};
use crate::params::Params;
use crate::query_run::run_query;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use parquetry::Engine;
use parquetry::QueryOptions;
use parquetry::model::Labels;
use parquetry::model::go_float::format_e_shortest;
use parquetry::model::go_time::format_layout;
use parquetry::promql::parse_selector;
use parquetry::promql::syntax::selector::SeriesMatchers;
use parquetry::rules::{ActiveAlert, BacktestOptions, Group, Rule, RuleKind, RuleSet, RuleStatus};
use serde_json::{Value, json};
use std::sync::Arc;

/// The rules' state over one version of the store.
pub struct RulesNow {
    /// The store version the rules were evaluated over.
    version: u64,
    /// Each rule's state, in file order.
    statuses: Vec<RuleStatus>,
}

/// The rules' state over the newest version of the store: the kept one when no commit
/// landed since, otherwise a new backtest (one at a time, within a query slot and the
/// query timeout).
async fn rules_now(state: &Arc<AppState>) -> Result<Arc<RulesNow>, ApiError> {
    let mut kept = state.rules_now.lock().await;
    let version = state.engine().await?.store().state().manifest.version;
    if let Some(now) = kept.as_ref().filter(|now| now.version == version) {
        return Ok(now.clone());
    }
    let rules = state.config.rules.clone();
    let (interval_ms, history_ms) = (state.config.rule_interval_ms, state.config.rule_history_ms);
    let now = run_query(state, None, rule_errors, move |engine, options| {
        evaluate(engine, options, &rules, interval_ms, history_ms)
    })
    .await?;
    let now = Arc::new(now);
    *kept = Some(now.clone());
    Ok(now)
}

fn rule_errors(error: parquetry::Error) -> ApiError {
    ApiError::from_engine(error, "rules")
}

/// Backtests `rules` over the history before the newest sample of `engine`'s store.
fn evaluate(
    engine: &Engine,
    options: &QueryOptions,
    rules: &RuleSet,
    interval_ms: i64,
    history_ms: i64,
) -> Result<RulesNow, parquetry::Error> {
    let version = engine.store().state().manifest.version;
    let Some((_, newest)) = engine.store().time_range().filter(|_| rules.rule_count() > 0) else {
        return Ok(RulesNow {
            version,
            statuses: Vec::new(),
        });
    };
    let span = history_ms + longest_hold(rules);
    // Whole default intervals, so that groups without their own interval are evaluated
    // at the newest sample itself.
    let intervals = span.div_euclid(interval_ms) + 1;
    let mut backtest = BacktestOptions::new(newest - intervals * interval_ms, newest);
    backtest.default_interval_ms = interval_ms;
    backtest.eval = options.eval.clone();
    backtest.alert_series = true;
    let result = engine.backtest(rules, &backtest)?;
    Ok(RulesNow {
        version,
        statuses: result.statuses,
    })
}

/// The longest `for` plus `keep_firing_for` among the alerting rules, ms.
fn longest_hold(rules: &RuleSet) -> i64 {
    let holds = rules.groups.iter().flat_map(|g| &g.rules).map(|r| match &r.kind {
        RuleKind::Alert {
            hold_ms,
            keep_firing_for_ms,
            ..
        } => hold_ms + keep_firing_for_ms,
        RuleKind::Record(_) => 0,
    });
    holds.max().unwrap_or(0)
}

/// Which rules a `/api/v1/rules` request asks for.
struct RuleFilter {
    alerting: bool,
    recording: bool,
    names: Vec<String>,
    groups: Vec<String>,
    files: Vec<String>,
    selectors: Vec<SeriesMatchers>,
    exclude_alerts: bool,
}

impl RuleFilter {
    fn read(params: &Params) -> Result<RuleFilter, ApiError> {
        let kind = params.value("type").to_ascii_lowercase();
        if !matches!(kind.as_str(), "" | "alert" | "record") {
            return Err(ApiError::bad_data(format!("not supported value {kind:?}")));
        }
        let exclude_alerts = match params.get("exclude_alerts") {
            None | Some("") => false,
            Some(text) => parse_go_bool(text).ok_or_else(|| {
                ApiError::bad_data(format!(
                    "parsing exclude_alerts: strconv.ParseBool: parsing {text:?}: invalid syntax"
                ))
            })?,
        };
        let selectors = params
            .all("match[]")
            .into_iter()
            .map(|text| parse_selector(text).map_err(|e| ApiError::bad_data(parse_message(&e))))
            .collect::<Result<Vec<_>, _>>()?;
        let owned = |name: &str| params.all(name).into_iter().map(str::to_string).collect();
        Ok(RuleFilter {
            alerting: kind != "record",
            recording: kind != "alert",
            names: owned("rule_name[]"),
            groups: owned("rule_group[]"),
            files: owned("file[]"),
            selectors,
            exclude_alerts,
        })
    }

    /// Whether any filter narrows the rules (groups left empty are then dropped).
    fn narrows(&self) -> bool {
        let everything = self.alerting
            && self.recording
            && self.names.is_empty()
            && self.groups.is_empty()
            && self.files.is_empty()
            && self.selectors.is_empty();
        !everything
    }

    fn keeps_group(&self, group: &Group) -> bool {
        (self.groups.is_empty() || self.groups.contains(&group.name))
            && (self.files.is_empty() || self.files.contains(&group.file))
    }

    fn keeps_rule(&self, rule: &Rule) -> bool {
        let kind = match rule.kind {
            RuleKind::Alert { .. } => self.alerting,
            RuleKind::Record(_) => self.recording,
        };
        let labels = Labels::from_pairs(rule.labels.iter().map(|(k, t)| (k.as_str(), t.source())));
        kind && (self.names.is_empty() || self.names.iter().any(|n| n == rule.name()))
            && (self.selectors.is_empty() || self.selectors.iter().any(|s| labels.matches_all(&s.matchers)))
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `/api/v1/rules`: every group with its rules, filtered by `type`, `rule_name[]`,
/// `rule_group[]`, `file[]` and `match[]` (over the rules' labels); `exclude_alerts`
/// leaves out the alerts of alerting rules.
pub async fn rules(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    let filter = RuleFilter::read(&params)?;
    let now = rules_now(&state).await?;
    let mut statuses = now.statuses.iter();
    let mut groups = Vec::new();
    for group in &state.config.rules.groups {
        let group_statuses: Vec<&RuleStatus> = statuses.by_ref().take(group.rules.len()).collect();
        if !filter.keeps_group(group) {
            continue;
        }
        let rules: Vec<Value> = group
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| filter.keeps_rule(rule))
            .map(|(i, rule)| rule_json(rule, group_statuses.get(i).copied(), filter.exclude_alerts))
            .collect();
        if rules.is_empty() && filter.narrows() {
            continue;
        }
        let last = group_statuses.iter().filter_map(|s| s.last_evaluation_ms).max();
        groups.push(json!({
            "name": group.name,
            "file": group.file,
            "rules": rules,
            "interval": group.interval_ms.unwrap_or(state.config.rule_interval_ms) as f64 / 1000.0,
            "limit": group.limit,
            "evaluationTime": 0.0,
            "lastEvaluation": go_time(last),
        }));
    }
    Ok(success(json!({ "groups": groups }), &[]))
}

/// `/api/v1/alerts`: every active alert, pending or firing, rule by rule.
pub async fn alerts(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let now = rules_now(&state).await?;
    let alerts: Vec<Value> = now
        .statuses
        .iter()
        .flat_map(|s| s.alerts.iter().map(alert_json))
        .collect();
    Ok(success(json!({ "alerts": alerts }), &[]))
}

fn rule_json(rule: &Rule, status: Option<&RuleStatus>, exclude_alerts: bool) -> Value {
    let query = rule
        .expr
        .promql()
        .map_or_else(|| rule.expr_text.clone(), |e| e.to_string());
    let labels = object(rule.labels.iter().map(|(k, t)| (k.as_str(), t.source())));
    let last_error = status.and_then(|s| s.last_error.clone());
    let health = match (status.and_then(|s| s.last_evaluation_ms), &last_error) {
        (None, _) => "unknown",
        (Some(_), Some(_)) => "err",
        (Some(_), None) => "ok",
    };
    let last_evaluation = go_time(status.and_then(|s| s.last_evaluation_ms));
    let mut out = match &rule.kind {
        RuleKind::Record(name) => {
            let mut out = json!({ "name": name, "query": query });
            if !rule.labels.is_empty() {
                out["labels"] = labels;
            }
            out
        }
        RuleKind::Alert {
            name,
            hold_ms,
            keep_firing_for_ms,
            annotations,
        } => {
            let active = status.map_or(&[][..], |s| s.alerts.as_slice());
            let state = if active.iter().any(|a| a.firing) {
                "firing"
            } else if active.is_empty() {
                "inactive"
            } else {
                "pending"
            };
            let annotations = object(annotations.iter().map(|(k, t)| (k.as_str(), t.source())));
            let mut out = json!({
                "state": state,
                "name": name,
                "query": query,
                "duration": *hold_ms as f64 / 1000.0,
                "keepFiringFor": *keep_firing_for_ms as f64 / 1000.0,
                "labels": labels,
                "annotations": annotations,
            });
            if !exclude_alerts {
                out["alerts"] = active.iter().map(alert_json).collect();
            }
            out
        }
    };
    out["health"] = json!(health);
    if let Some(error) = last_error {
        out["lastError"] = json!(error);
    }
    out["evaluationTime"] = json!(0.0);
    out["lastEvaluation"] = json!(last_evaluation);
    out["type"] = json!(match rule.kind {
        RuleKind::Alert { .. } => "alerting",
        RuleKind::Record(_) => "recording",
    });
    out
}

fn alert_json(alert: &ActiveAlert) -> Value {
    let mut out = json!({
        "labels": object(alert.labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
        "annotations": object(alert.annotations.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        "state": if alert.firing { "firing" } else { "pending" },
        "activeAt": go_time(Some(alert.active_at)),
    });
    if let Some(since) = alert.keep_firing_since {
        out["keepFiringSince"] = json!(go_time(Some(since)));
    }
    out["value"] = json!(format_e_shortest(alert.value));
    out
}

/// Name-value pairs as a JSON object, as Go writes a label set or a string map.
fn object<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Object(pairs.map(|(k, v)| (k.to_string(), Value::from(v))).collect())
}

/// A time as Go writes `time.Time` in JSON (its RFC 3339 layout with nanoseconds, the
/// fraction's trailing zeros dropped); Go's zero time when there is none.
fn go_time(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => format_layout(
            ms.saturating_mul(1_000_000),
            "2006-01-02T15:04:05.999999999Z07:00",
        ),
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_go_writes_them() {
        assert_eq!(go_time(None), "0001-01-01T00:00:00Z");
        assert_eq!(go_time(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(go_time(Some(400)), "1970-01-01T00:00:00.4Z");
        assert_eq!(go_time(Some(1_234)), "1970-01-01T00:00:01.234Z");
    }

    #[test]
    fn go_booleans() {
        assert_eq!(parse_go_bool("T"), Some(true));
        assert_eq!(parse_go_bool("0"), Some(false));
        assert_eq!(parse_go_bool("yes"), None);
    }
}
