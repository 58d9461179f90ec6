//! The YAML format of `promtool test rules` files. Unknown keys are errors, as in promtool.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A test file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// Rule files to load, relative to the test file; globs allowed.
    #[serde(default)]
    pub rule_files: Vec<String>,
    /// How often all groups are evaluated (default 1m).
    pub evaluation_interval: Option<String>,
    /// Groups evaluated first, in this order.
    #[serde(default)]
    pub group_eval_order: Vec<String>,
    /// Floats one ULP apart count as equal.
    #[serde(default)]
    pub fuzzy_compare: bool,
    /// The test groups.
    #[serde(default)]
    pub tests: Vec<TestGroup>,
}

/// One test group: input series and the checks against them.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct TestGroup {
    /// Name, matched by the `--run` filter.
    #[serde(default)]
    pub name: String,
    /// Spacing of input samples (default: the evaluation interval).
    pub interval: Option<String>,
    /// Input series in series notation.
    #[serde(default)]
    pub input_series: Vec<InputSeries>,
    /// Alert checks.
    #[serde(default)]
    pub alert_rule_test: Vec<AlertTest>,
    /// Expression checks.
    #[serde(default)]
    pub promql_expr_test: Vec<ExprTest>,
    /// `$externalLabels` for templates.
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    /// `$externalURL` for templates.
    pub external_url: Option<String>,
    /// Time of the first sample and evaluation: Unix seconds or RFC 3339 (default 0).
    pub start_timestamp: Option<String>,
}

/// `{series, values}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct InputSeries {
    /// `name{label="value"}`.
    pub series: String,
    /// The expanding value sequence.
    #[serde(default)]
    pub values: String,
}

/// `{eval_time, alertname, exp_alerts}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct AlertTest {
    /// When to check, relative to the start.
    #[serde(default = "zero")]
    pub eval_time: String,
    /// Which alert.
    pub alertname: String,
    /// The alerts that must be firing (empty: none).
    #[serde(default)]
    pub exp_alerts: Vec<ExpectedAlert>,
}

/// One expected firing alert.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExpectedAlert {
    /// Its labels, without `alertname`.
    #[serde(default)]
    pub exp_labels: BTreeMap<String, String>,
    /// Its annotations.
    #[serde(default)]
    pub exp_annotations: BTreeMap<String, String>,
}

/// `{expr, eval_time, exp_samples}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExprTest {
    /// The PromQL expression.
    pub expr: String,
    /// When to evaluate it, relative to the start.
    #[serde(default = "zero")]
    pub eval_time: String,
    /// The expected result (empty: no series).
    #[serde(default)]
    pub exp_samples: Vec<ExpectedSample>,
}

/// One expected sample.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSample {
    /// Series description; empty for no labels.
    #[serde(default)]
    pub labels: String,
    /// Float value.
    #[serde(default)]
    pub value: f64,
    /// Native histogram in series notation.
    pub histogram: Option<String>,
}

fn zero() -> String {
    "0".into()
}
