//! The life of an alerting rule's alerts across evaluations: pending, firing, resolved,
//! with `for` and `keep_firing_for`, exactly as Prometheus' rule manager steps them.

use crate::file::Rule;
use crate::template::{AlertData, Context, Template};
use parquetry_model::{Labels, METRIC_NAME};
use std::collections::{BTreeMap, HashMap};

/// One stretch of time an alert instance was active: from the evaluation that first
/// returned it (pending) to the one that resolved it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertEpisode {
    /// The alert's name.
    pub alertname: String,
    /// The alert's labels (series labels without `__name__`, rule labels, `alertname`).
    pub labels: Labels,
    /// Evaluation time the alert became pending, ms.
    pub active_at: i64,
    /// Evaluation time it started firing, ms; `None` if it never fired.
    pub fired_at: Option<i64>,
    /// Evaluation time it was resolved, ms; `None` if still active at the end.
    pub resolved_at: Option<i64>,
    /// The expression's value when the alert fired (or became pending, if it never fired).
    pub value: f64,
    /// Annotations as rendered when the alert fired; empty if it never fired.
    pub annotations: Vec<(String, String)>,
}

/// A firing alert as seen at one evaluation: its labels and rendered annotations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FiringAlert {
    /// The alert's labels.
    pub labels: Labels,
    /// Its annotations, by name.
    pub annotations: Vec<(String, String)>,
}

/// An alert active after an evaluation, pending or firing, as Prometheus' rules and
/// alerts APIs list it.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveAlert {
    /// The alert's labels.
    pub labels: Labels,
    /// Its annotations, rendered from the latest value.
    pub annotations: Vec<(String, String)>,
    /// Firing (its `for` has passed), or still pending.
    pub firing: bool,
    /// Evaluation time it became pending, ms.
    pub active_at: i64,
    /// Evaluation time its condition cleared while `keep_firing_for` holds it, ms.
    pub keep_firing_since: Option<i64>,
    /// The expression's value at the latest evaluation that returned it.
    pub value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Pending,
    Firing,
}

#[derive(Clone, Debug)]
struct Active {
    state: State,
    series_labels: Labels,
    value: f64,
    keep_firing_since: Option<i64>,
    episode: AlertEpisode,
}

/// What templates of one rule evaluation may use.
pub struct TemplateEnv<'a> {
    /// `query` and `now`.
    pub context: &'a Context<'a>,
    /// `$externalLabels`.
    pub external_labels: &'a Labels,
    /// `$externalURL`.
    pub external_url: &'a str,
}

impl TemplateEnv<'_> {
    fn render(&self, t: &Template, labels: &Labels, value: f64) -> String {
        let data = AlertData {
            labels,
            external_labels: self.external_labels,
            external_url: self.external_url,
            value,
        };
        t.execute_alert(&data, self.context)
            .unwrap_or_else(|e| format!("<error expanding template: {e}>"))
    }

    fn annotations(&self, rule: &Rule, labels: &Labels, value: f64) -> Vec<(String, String)> {
        match &rule.kind {
            crate::file::RuleKind::Alert { annotations, .. } => annotations
                .iter()
                .map(|(k, t)| (k.clone(), self.render(t, labels, value)))
                .collect(),
            crate::file::RuleKind::Record(_) => Vec::new(),
        }
    }
}

/// The alerts of one alerting rule.
#[derive(Clone, Debug, Default)]
pub struct AlertState {
    active: HashMap<Labels, Active>,
    /// Episodes that have ended, in the order they ended.
    pub finished: Vec<AlertEpisode>,
}

// Prometheus keeps resolved alerts for 15 minutes to resend them to Alertmanager; nothing is
// sent here and a returning alert starts a new episode either way, so they are dropped at once.
impl AlertState {
    /// Applies one evaluation at `ts` whose expression returned `samples` (series labels,
    /// value). Returns the `ALERTS` and `ALERTS_FOR_STATE` samples of the evaluation, or an
    /// error (duplicate alert label sets, or more active alerts than `limit`).
    pub fn step(
        &mut self,
        rule: &Rule,
        ts: i64,
        samples: Vec<(Labels, f64)>,
        limit: usize,
        env: &TemplateEnv<'_>,
    ) -> Result<Vec<(Labels, f64)>, String> {
        let crate::file::RuleKind::Alert {
            name,
            hold_ms,
            keep_firing_for_ms,
            ..
        } = &rule.kind
        else {
            return Ok(Vec::new());
        };
        let mut current: BTreeMap<Labels, (Labels, f64)> = BTreeMap::new();
        for (series, value) in samples {
            let mut labels = series.without(METRIC_NAME);
            for (k, t) in &rule.labels {
                labels = labels.with(k, &env.render(t, &series, value));
            }
            labels = labels.with("alertname", name);
            if current.insert(labels, (series, value)).is_some() {
                return Err(
                    "vector contains metrics with the same labelset after applying alert labels".into(),
                );
            }
        }
        for (labels, (series, value)) in &current {
            if let Some(a) = self.active.get_mut(labels) {
                a.value = *value;
                a.series_labels = series.clone();
                continue;
            }
            self.active.insert(
                labels.clone(),
                Active {
                    state: State::Pending,
                    series_labels: series.clone(),
                    value: *value,
                    keep_firing_since: None,
                    episode: AlertEpisode {
                        alertname: name.clone(),
                        labels: labels.clone(),
                        active_at: ts,
                        fired_at: None,
                        resolved_at: None,
                        value: *value,
                        annotations: Vec::new(),
                    },
                },
            );
        }
        let mut keys: Vec<Labels> = self.active.keys().cloned().collect();
        keys.sort();
        let mut out = Vec::new();
        let mut ended = Vec::new();
        for key in keys {
            let a = self.active.get_mut(&key).expect("key taken from the map");
            if current.contains_key(&key) {
                a.keep_firing_since = None;
            } else {
                let mut keep_firing = false;
                if a.state == State::Firing && *keep_firing_for_ms > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < *keep_firing_for_ms;
                }
                if !keep_firing {
                    ended.push(key);
                    continue;
                }
            }
            if a.state == State::Pending && ts - a.episode.active_at >= *hold_ms {
                a.state = State::Firing;
                a.episode.fired_at = Some(ts);
                a.episode.value = a.value;
                a.episode.annotations = env.annotations(rule, &a.series_labels, a.value);
            }
            let state = if a.state == State::Firing {
                "firing"
            } else {
                "pending"
            };
            out.push((key.with(METRIC_NAME, "ALERTS").with("alertstate", state), 1.0));
            out.push((
                key.with(METRIC_NAME, "ALERTS_FOR_STATE"),
                a.episode.active_at.div_euclid(1000) as f64,
            ));
        }
        for key in ended {
            if let Some(mut a) = self.active.remove(&key) {
                a.episode.resolved_at = Some(ts);
                self.finished.push(a.episode);
            }
        }
        let active = self.active.len();
        if limit > 0 && active > limit {
            for (_, mut a) in self.active.drain() {
                a.episode.resolved_at = Some(ts);
                self.finished.push(a.episode);
            }
            return Err(format!("exceeded limit of {limit} with {active} alerts"));
        }
        Ok(out)
    }

    /// The alerts active now, pending and firing, in label order, with annotations
    /// rendered from their latest values.
    pub fn active(&self, rule: &Rule, env: &TemplateEnv<'_>) -> Vec<ActiveAlert> {
        let mut out: Vec<ActiveAlert> = self
            .active
            .iter()
            .map(|(labels, a)| ActiveAlert {
                labels: labels.clone(),
                annotations: env.annotations(rule, &a.series_labels, a.value),
                firing: a.state == State::Firing,
                active_at: a.episode.active_at,
                keep_firing_since: a.keep_firing_since,
                value: a.value,
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// The firing alerts now, with annotations rendered from their latest values.
    pub fn firing(&self, rule: &Rule, env: &TemplateEnv<'_>) -> Vec<FiringAlert> {
        self.active(rule, env)
            .into_iter()
            .filter(|a| a.firing)
            .map(|a| FiringAlert {
                labels: a.labels,
                annotations: a.annotations,
            })
            .collect()
    }

    /// Every episode: the finished ones, then those still active (unresolved).
    pub fn into_episodes(self) -> Vec<AlertEpisode> {
        let mut open: Vec<AlertEpisode> = self.active.into_values().map(|a| a.episode).collect();
        open.sort_by(|a, b| a.labels.cmp(&b.labels));
        let mut all = self.finished;
        all.extend(open);
        all
    }
}
