//! Aggregation operators: series folded into groups, step by step.

use super::annotations::{Level, invalid_quantile};
use super::evaluator::Ctx;
use super::functions::quantile;
use super::kahan::{kahan_mean, kahan_sum};
use super::member_select::select_members;
use super::step_cells::StepCells;
use super::value::{StepSeries, Value};
use super::{EvalError, StepGrid};
use crate::syntax::ast::{AggOp, AggregateExpr, Grouping};
use foldhash::{HashMap, HashMapExt};
use parquetry_model::labels::is_legacy_label_name;
use parquetry_model::value::format_api_value;
use parquetry_model::{Label, Labels, METRIC_NAME};

/// Evaluates an aggregation.
pub fn eval(ctx: &Ctx, a: &AggregateExpr, grid: &StepGrid) -> Result<Value, EvalError> {
    if let Some(fused) = super::fused::eval(ctx, a, grid) {
        return fused;
    }
    let input = match ctx.eval(&a.expr, grid)? {
        Value::Vector(v) => v,
        other => {
            return Err(EvalError::Execution(format!(
                "expected instant vector in aggregation, got {}",
                other.type_name()
            )));
        }
    };
    let param = match &a.param {
        Some(p) => Some(ctx.eval(p, grid)?),
        None => None,
    };
    let steps = grid.len();
    // Groups in first-seen order.
    let mut group_of = Vec::with_capacity(input.len());
    let mut keys: Vec<Labels> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for s in &input {
        let key = group_key(&s.labels, &a.grouping);
        let g = *index.entry(key.clone()).or_insert_with(|| {
            keys.push(key);
            keys.len() - 1
        });
        group_of.push(g);
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (i, g) in group_of.iter().enumerate() {
        members[*g].push(i);
    }
    match a.op {
        AggOp::Topk | AggOp::Bottomk | AggOp::Limitk | AggOp::LimitRatio => {
            let Some(Value::Scalar(k)) = param else {
                return Err(EvalError::Execution(format!(
                    "{} needs a scalar parameter",
                    a.op.as_str()
                )));
            };
            select_members(a.op, input, &members, &k, steps)
        }
        AggOp::CountValues => {
            let Some(Value::String(label)) = param else {
                return Err(EvalError::Execution(
                    "count_values needs a string parameter".to_string(),
                ));
            };
            count_values(&label, &input, &members, &keys, steps)
        }
        op => {
            let q = match (op, param) {
                (AggOp::Quantile, Some(Value::Scalar(q))) => q,
                _ => Vec::new(),
            };
            if let Some(p) = &a.param {
                for bad in q.iter().filter(|q| !(0.0..=1.0).contains(*q)) {
                    ctx.options
                        .annotations
                        .add(Level::Warning, invalid_quantile(*bad), p.span().start);
                }
            }
            let mut out = Vec::with_capacity(keys.len());
            // One buffer for every group's values at every step.
            let mut values: Vec<f64> = Vec::new();
            for (g, key) in keys.into_iter().enumerate() {
                let points = match fold_members(op, &input, &members[g], steps) {
                    Some(points) => points,
                    None => {
                        let mut points = vec![None; steps];
                        for (k, point) in points.iter_mut().enumerate() {
                            values.clear();
                            values.extend(members[g].iter().filter_map(|&i| input[i].points[k]));
                            if values.is_empty() {
                                continue;
                            }
                            *point = Some(fold(op, &values, q.get(k).copied()));
                        }
                        points
                    }
                };
                // With delayed name removal a group kept by `__name__` drops the name
                // when any of its members would have.
                let drop_name = key.metric_name().is_some() && members[g].iter().any(|&i| input[i].drop_name);
                out.push(StepSeries {
                    labels: key,
                    drop_name,
                    points,
                });
            }
            Ok(Value::Vector(out))
        }
    }
}

/// The labels that identify a series' group.
pub(super) fn group_key(labels: &Labels, grouping: &Grouping) -> Labels {
    let mut key = Labels::empty();
    key.set_to_kept(labels, |l| in_group_key(l, grouping));
    key
}

/// True when `label` is one of the labels that identify a series' group.
pub(super) fn in_group_key(label: &Label, grouping: &Grouping) -> bool {
    match grouping {
        Grouping::By(names) => names.contains(&label.name),
        Grouping::Without(names) => label.name != METRIC_NAME && !names.contains(&label.name),
    }
}

/// True for the operators whose value at a step folds the members one at a time in
/// their order and ends the same whichever step is folded first, so that a group is
/// computed member by member (each member's points read in one pass) rather than step by
/// step. `avg` is not among them: where its sum overflows, Prometheus' running mean
/// takes over at the member where it did.
fn folds_series_by_series(op: AggOp) -> bool {
    matches!(
        op,
        AggOp::Sum | AggOp::Count | AggOp::Group | AggOp::Min | AggOp::Max
    )
}

/// The group of `members` (indexes into `input`) folded member by member; `None` for an
/// operator that [`folds_series_by_series`] leaves to the step-by-step fold.
fn fold_members(
    op: AggOp,
    input: &[StepSeries],
    members: &[usize],
    steps: usize,
) -> Option<Vec<Option<f64>>> {
    if !folds_series_by_series(op) {
        return None;
    }
    let mut cells = StepCells::new(op, steps);
    for &i in members {
        cells.fold_series(op, &input[i].points);
    }
    cells.points(op)
}

/// One group's value at one step.
fn fold(op: AggOp, values: &[f64], q: Option<f64>) -> f64 {
    match op {
        AggOp::Sum => kahan_sum(values.iter().copied()),
        AggOp::Avg => kahan_mean(values.iter().copied()),
        AggOp::Count => values.len() as f64,
        AggOp::Group => 1.0,
        AggOp::Min => values[1..]
            .iter()
            .fold(values[0], |m, &v| if m > v || m.is_nan() { v } else { m }),
        AggOp::Max => values[1..]
            .iter()
            .fold(values[0], |m, &v| if m < v || m.is_nan() { v } else { m }),
        AggOp::Stddev | AggOp::Stdvar => {
            let (mut n, mut mean, mut m2) = (0.0, 0.0, 0.0);
            for &v in values {
                n += 1.0;
                let delta = v - mean;
                mean += delta / n;
                m2 += delta * (v - mean);
            }
            let var = m2 / n;
            if op == AggOp::Stddev { var.sqrt() } else { var }
        }
        AggOp::Quantile => quantile(q.unwrap_or(f64::NAN), values.to_vec()),
        _ => f64::NAN,
    }
}

fn count_values(
    label: &str,
    input: &[StepSeries],
    members: &[Vec<usize>],
    keys: &[Labels],
    steps: usize,
) -> Result<Value, EvalError> {
    if label.is_empty()
        || label.contains('\u{fffd}')
        || (!is_legacy_label_name(label) && label.chars().any(char::is_control))
    {
        return Err(EvalError::Execution(format!("invalid label name {label:?}")));
    }
    let mut out: Vec<StepSeries> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for (g, group) in members.iter().enumerate() {
        for step in 0..steps {
            for &i in group {
                let Some(v) = input[i].points[step] else { continue };
                let labels = keys[g].with(label, &format_api_value(v));
                let idx = *index.entry(labels.clone()).or_insert_with(|| {
                    out.push(StepSeries {
                        labels,
                        drop_name: false,
                        points: vec![None; steps],
                    });
                    out.len() - 1
                });
                let p = &mut out[idx].points[step];
                *p = Some(p.unwrap_or(0.0) + 1.0);
            }
        }
    }
    Ok(Value::Vector(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(op: AggOp, values: &[f64]) -> f64 {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        match op {
            AggOp::Sum => values.iter().sum(),
            AggOp::Avg => mean,
            AggOp::Count => n,
            AggOp::Group => 1.0,
            AggOp::Min => values.iter().cloned().fold(f64::INFINITY, f64::min),
            AggOp::Max => values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            AggOp::Stdvar => values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n,
            AggOp::Stddev => (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt(),
            _ => f64::NAN,
        }
    }

    proptest! {
        #[test]
        fn folds_equal_brute_force(values in proptest::collection::vec(-1e6f64..1e6, 1..50)) {
            for op in [AggOp::Sum, AggOp::Avg, AggOp::Count, AggOp::Group, AggOp::Min, AggOp::Max, AggOp::Stdvar, AggOp::Stddev] {
                let (got, want) = (fold(op, &values, None), brute(op, &values));
                prop_assert!((got - want).abs() <= 1e-6 * (1.0 + want.abs()), "{:?}: {} vs {}", op, got, want);
            }
        }

        #[test]
        fn member_by_member_folds_give_the_step_by_step_bits(
            members in proptest::collection::vec(
                proptest::collection::vec(proptest::option::of(prop_oneof![
                    -1e6f64..1e6,
                    Just(f64::NAN),
                    Just(f64::INFINITY),
                    Just(f64::MAX),
                    Just(-1e300),
                ]), 4),
                1..12,
            ),
        ) {
            let input: Vec<StepSeries> = members
                .into_iter()
                .map(|points| StepSeries { labels: Labels::empty(), drop_name: false, points })
                .collect();
            let all: Vec<usize> = (0..input.len()).collect();
            for op in [AggOp::Sum, AggOp::Count, AggOp::Group, AggOp::Min, AggOp::Max] {
                let by_member = fold_members(op, &input, &all, 4).unwrap();
                for (k, got) in by_member.into_iter().enumerate() {
                    let values: Vec<f64> = input.iter().filter_map(|s| s.points[k]).collect();
                    let want = (!values.is_empty()).then(|| fold(op, &values, None));
                    prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{:?} at step {}", op, k);
                }
            }
        }

        #[test]
        fn grouping_partitions_the_series(
            series in proptest::collection::vec((0u8..3, 0u8..3), 1..20),
            by in proptest::bool::ANY,
        ) {
            let labels: Vec<Labels> = series.iter().map(|(a, b)| Labels::from_pairs([
                ("__name__", "m".to_string()), ("a", a.to_string()), ("b", b.to_string())])).collect();
            let grouping = if by { Grouping::By(vec!["a".into()]) } else { Grouping::Without(vec!["a".into()]) };
            for l in &labels {
                let key = group_key(l, &grouping);
                prop_assert!(key.get("__name__").is_none());
                prop_assert_eq!(key.get("a").is_some(), by);
                prop_assert_eq!(key.get("b").is_some(), !by);
            }
        }
    }
}
