//! Comparing what the rules produced with what a test expects, as promtool does.

use super::file::{AlertTest, ExprTest};
use super::{Outcome, TestOptions, describe, disabled_features};
use crate::alerting::FiringAlert;
use crate::backtest::{BacktestOptions, instant_query};
use crate::source::Layered;
use parquetry_model::Labels;
use parquetry_promql::series_notation::series_labels;
use parquetry_promql::{ParseOptions, parse_with};

/// Checks the firing alerts named in `test` against its expectation.
pub fn alerts(test: &AlertTest, firing: &[(String, FiringAlert)]) -> Outcome {
    let mut got: Vec<&FiringAlert> = firing
        .iter()
        .filter(|(name, _)| *name == test.alertname)
        .map(|(_, f)| f)
        .collect();
    got.sort();
    let mut expected: Vec<FiringAlert> = test
        .exp_alerts
        .iter()
        .map(|e| FiringAlert {
            labels: Labels::from_pairs(e.exp_labels.clone()).with("alertname", &test.alertname),
            annotations: e.exp_annotations.clone().into_iter().collect(),
        })
        .collect();
    expected.sort();
    if got.iter().copied().eq(expected.iter()) {
        return Outcome::Passed;
    }
    let list = |v: &mut dyn Iterator<Item = &FiringAlert>| -> String {
        let items: Vec<String> = v
            .map(|f| format!("    {}", describe(&f.labels, &f.annotations)))
            .collect();
        if items.is_empty() {
            "    (none)".into()
        } else {
            items.join("\n")
        }
    };
    Outcome::Failed(format!(
        "alertname: {}, time: {},\nexp:\n{}\ngot:\n{}",
        test.alertname,
        test.eval_time,
        list(&mut expected.iter()),
        list(&mut got.into_iter())
    ))
}

fn float_equal(a: f64, b: f64, fuzzy: bool) -> bool {
    a == b || (fuzzy && (a.next_up() == b || a.next_down() == b))
}

fn format_samples(samples: &[(Labels, f64)]) -> String {
    if samples.is_empty() {
        return "    (none)".into();
    }
    let items: Vec<String> = samples.iter().map(|(l, v)| format!("    {l} {v}")).collect();
    items.join("\n")
}

/// Runs an expression test as an instant query at `t` and compares the result.
pub fn expression(
    test: &ExprTest,
    t: i64,
    source: &Layered<'_>,
    opts: &BacktestOptions,
    options: &TestOptions,
    fuzzy: bool,
) -> Outcome {
    let expr = match parse_with(&test.expr, ParseOptions::default()) {
        Ok(e) => e,
        Err(e) => return Outcome::Failed(format!("expr: {:?}, err: {e}", test.expr)),
    };
    if let Err(e) = disabled_features(&expr, options) {
        return Outcome::Failed(format!("expr: {:?}, err: {e}", test.expr));
    }
    let mut got = match instant_query(&expr, source, t, &opts.eval) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::Failed(format!(
                "expr: {:?}, time: {}, err: {e}",
                test.expr, test.eval_time
            ));
        }
    };
    let mut expected = Vec::new();
    for s in &test.exp_samples {
        let labels = if s.labels.trim().is_empty() {
            Ok(Labels::empty())
        } else {
            series_labels(&s.labels)
        };
        match labels {
            Ok(l) => expected.push((l, s.value)),
            Err(e) => {
                return Outcome::Failed(format!("expr: {:?}, err: expected labels: {}", test.expr, e.0));
            }
        }
    }
    got.sort_by(|a, b| a.0.cmp(&b.0));
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let same = got.len() == expected.len()
        && got
            .iter()
            .zip(&expected)
            .all(|(g, e)| g.0 == e.0 && float_equal(g.1, e.1, fuzzy));
    if same {
        Outcome::Passed
    } else {
        Outcome::Failed(format!(
            "expr: {:?}, time: {},\nexp:\n{}\ngot:\n{}",
            test.expr,
            test.eval_time,
            format_samples(&expected),
            format_samples(&got)
        ))
    }
}
