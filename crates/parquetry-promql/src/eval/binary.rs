//! Binary operators: scalar/scalar, vector/scalar, and vector/vector with label matching.

use super::evaluator::Ctx;
use super::value::{StepSeries, Value};
use super::{EvalError, StepGrid};
use crate::syntax::ast::{BinOp, BinaryExpr, Cardinality, VectorMatching};
use foldhash::{HashMap, HashMapExt};
use parquetry_model::{Labels, METRIC_NAME};

/// Evaluates a binary expression.
pub fn eval(ctx: &Ctx, b: &BinaryExpr, grid: &StepGrid) -> Result<Value, EvalError> {
    let lhs = ctx.eval(&b.lhs, grid)?;
    let rhs = ctx.eval(&b.rhs, grid)?;
    let nan_div = ctx.options.division_by_zero_is_nan;
    match (lhs, rhs) {
        (Value::Scalar(l), Value::Scalar(r)) => Ok(Value::Scalar(
            l.iter()
                .zip(&r)
                .map(|(&a, &c)| {
                    let (v, keep) = arith(b.op, a, c, nan_div)?;
                    Ok(if b.op.is_comparison() {
                        if keep { 1.0 } else { 0.0 }
                    } else {
                        v
                    })
                })
                .collect::<Result<_, EvalError>>()?,
        )),
        (Value::Vector(v), Value::Scalar(s)) => vector_scalar(b, v, &s, false, nan_div),
        (Value::Scalar(s), Value::Vector(v)) => vector_scalar(b, v, &s, true, nan_div),
        (Value::Vector(l), Value::Vector(r)) => {
            if b.op.is_set_operator() {
                Ok(Value::Vector(set_operation(b.op, &b.matching, l, r, grid.len())))
            } else {
                vector_vector(b, l, r, grid.len(), nan_div).map(Value::Vector)
            }
        }
        (l, r) => Err(EvalError::Execution(format!(
            "binary expression must contain only scalar and instant vector types, got {} and {}",
            l.type_name(),
            r.type_name()
        ))),
    }
}

/// Applies an arithmetic or comparison operator: `(value, keep)`. Comparisons keep the
/// left value when true.
pub fn apply(op: BinOp, l: f64, r: f64) -> Result<(f64, bool), EvalError> {
    Ok(match op {
        BinOp::Add => (l + r, true),
        BinOp::Sub => (l - r, true),
        BinOp::Mul => (l * r, true),
        BinOp::Div => (l / r, true),
        BinOp::Mod => (l % r, true),
        BinOp::Pow => (l.powf(r), true),
        BinOp::Atan2 => (l.atan2(r), true),
        BinOp::Eql => (l, l == r),
        BinOp::Neq => (l, l != r),
        BinOp::Lss => (l, l < r),
        BinOp::Lte => (l, l <= r),
        BinOp::Gtr => (l, l > r),
        BinOp::Gte => (l, l >= r),
        BinOp::TrimUpper | BinOp::TrimLower => {
            return Err(EvalError::Execution(format!(
                "operator {:?} applies to native histograms only",
                op.as_str()
            )));
        }
        BinOp::And | BinOp::Or | BinOp::Unless => {
            return Err(EvalError::Execution(format!(
                "set operator {:?} not allowed in binary scalar expression",
                op.as_str()
            )));
        }
    })
}

/// [`apply`], with division by zero giving NaN when `nan_div` is set (LogQL's rule).
fn arith(op: BinOp, l: f64, r: f64, nan_div: bool) -> Result<(f64, bool), EvalError> {
    if nan_div && op == BinOp::Div && r == 0.0 {
        return Ok((f64::NAN, true));
    }
    apply(op, l, r)
}

/// True when the operator's result no longer means what the metric name says.
fn drops_name(b: &BinaryExpr) -> bool {
    !b.op.is_comparison() || b.return_bool
}

fn vector_scalar(
    b: &BinaryExpr,
    series: Vec<StepSeries>,
    scalar: &[f64],
    scalar_left: bool,
    nan_div: bool,
) -> Result<Value, EvalError> {
    let mut out = Vec::with_capacity(series.len());
    for mut s in series {
        for (k, p) in s.points.iter_mut().enumerate() {
            let Some(v) = *p else { continue };
            let (l, r) = if scalar_left {
                (scalar[k], v)
            } else {
                (v, scalar[k])
            };
            let (mut value, keep) = arith(b.op, l, r, nan_div)?;
            if b.op.is_comparison() {
                // The vector's value is the output, whichever side it is on.
                value = v;
            }
            *p = match (b.return_bool, keep) {
                (true, k) => Some(if k { 1.0 } else { 0.0 }),
                (false, true) => Some(value),
                (false, false) => None,
            };
        }
        s.drop_name |= drops_name(b);
        out.push(s);
    }
    Ok(Value::Vector(out))
}

/// The labels of `labels` whose names `keep` accepts.
fn pick(labels: &Labels, keep: impl Fn(&str) -> bool) -> Labels {
    Labels::from_pairs(
        labels
            .iter()
            .filter(|l| keep(&l.name))
            .map(|l| (l.name.clone(), l.value.clone())),
    )
}

/// The matching signature of a series: the `on` labels, or all labels but the
/// `ignoring` ones and the metric name.
fn signature(labels: &Labels, m: &VectorMatching) -> Labels {
    if m.on {
        pick(labels, |n| m.labels.iter().any(|l| l == n))
    } else {
        pick(labels, |n| n != METRIC_NAME && !m.labels.iter().any(|l| l == n))
    }
}

fn set_operation(
    op: BinOp,
    m: &VectorMatching,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    steps: usize,
) -> Vec<StepSeries> {
    let lsig: Vec<Labels> = lhs.iter().map(|s| signature(&s.labels, m)).collect();
    let rsig: Vec<Labels> = rhs.iter().map(|s| signature(&s.labels, m)).collect();
    // Per signature, the steps at which the other side has a sample.
    let presence = |series: &[StepSeries], sigs: &[Labels]| {
        let mut map: HashMap<Labels, Vec<bool>> = HashMap::new();
        for (s, sig) in series.iter().zip(sigs) {
            let e = map.entry(sig.clone()).or_insert_with(|| vec![false; steps]);
            for (k, p) in s.points.iter().enumerate() {
                e[k] |= p.is_some();
            }
        }
        map
    };
    match op {
        BinOp::And | BinOp::Unless => {
            let right = presence(&rhs, &rsig);
            let want = op == BinOp::And;
            lhs.into_iter()
                .zip(lsig)
                .map(|(mut s, sig)| {
                    let r = right.get(&sig);
                    for (k, p) in s.points.iter_mut().enumerate() {
                        let matched = r.is_some_and(|r| r[k]);
                        if matched != want {
                            *p = None;
                        }
                    }
                    s
                })
                .collect()
        }
        _ => {
            let left = presence(&lhs, &lsig);
            let mut out = lhs;
            for (mut s, sig) in rhs.into_iter().zip(rsig) {
                if let Some(l) = left.get(&sig) {
                    for (k, p) in s.points.iter_mut().enumerate() {
                        if l[k] {
                            *p = None;
                        }
                    }
                }
                out.push(s);
            }
            out
        }
    }
}

/// The labels of a matched pair's result, as Prometheus' `resultMetric` builds them.
fn result_labels(many: &Labels, one: &Labels, b: &BinaryExpr) -> Labels {
    let m = &b.matching;
    let mut labels = many.clone();
    if m.card == Cardinality::OneToOne {
        labels = pick(&labels, |n| m.labels.iter().any(|l| l == n) == m.on);
    }
    for name in &m.include {
        labels = labels.with(name, one.get(name).unwrap_or(""));
    }
    labels
}

fn vector_vector(
    b: &BinaryExpr,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    steps: usize,
    nan_div: bool,
) -> Result<Vec<StepSeries>, EvalError> {
    let m = &b.matching;
    // The "one" side is the right unless group_right swaps the roles.
    let swapped = m.card == Cardinality::OneToMany;
    let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    let many_sig: Vec<Labels> = many.iter().map(|s| signature(&s.labels, m)).collect();
    let one_sig: Vec<Labels> = one.iter().map(|s| signature(&s.labels, m)).collect();
    let mut by_sig: HashMap<&Labels, Vec<usize>> = HashMap::new();
    for (i, sig) in one_sig.iter().enumerate() {
        by_sig.entry(sig).or_default().push(i);
    }
    let mut out: Vec<StepSeries> = Vec::new();
    // Output series per (many index, one index); `usize::MAX` marks a filled side.
    let mut pair_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut emit = |key: (usize, usize), labels: Labels, k: usize, point: f64| {
        let idx = *pair_index.entry(key).or_insert_with(|| {
            out.push(StepSeries {
                labels,
                drop_name: drops_name(b),
                points: vec![None; steps],
            });
            out.len() - 1
        });
        out[idx].points[k] = Some(point);
    };
    // The operator in the written order of the operands.
    let combine = |many_value: f64, one_value: f64| -> Result<Option<f64>, EvalError> {
        let (l, r) = if swapped {
            (one_value, many_value)
        } else {
            (many_value, one_value)
        };
        let (value, keep) = arith(b.op, l, r, nan_div)?;
        Ok(match (b.return_bool, keep) {
            (true, kept) => Some(if kept { 1.0 } else { 0.0 }),
            (false, true) => Some(value),
            (false, false) => None,
        })
    };
    // fill_left stands in for a missing "many" side, fill_right for a missing "one" side.
    let (fill_many, fill_one) = (b.fill.left.map(|n| n.0), b.fill.right.map(|n| n.0));
    for k in 0..steps {
        let mut matched_one: HashMap<&Labels, Vec<Labels>> = HashMap::new();
        let mut one_used = vec![false; one.len()];
        for (i, ms) in many.iter().enumerate() {
            let Some(mv) = ms.points[k] else { continue };
            let present: Vec<usize> = by_sig
                .get(&many_sig[i])
                .map(|c| {
                    c.iter()
                        .copied()
                        .filter(|&j| one[j].points[k].is_some())
                        .collect()
                })
                .unwrap_or_default();
            let j = match present.as_slice() {
                [] => {
                    if let Some(f) = fill_one
                        && let Some(point) = combine(mv, f)?
                    {
                        emit(
                            (i, usize::MAX),
                            result_labels(&ms.labels, &Labels::empty(), b),
                            k,
                            point,
                        );
                    }
                    continue;
                }
                [j] => *j,
                [a, c, ..] => {
                    let side = if swapped { "left" } else { "right" };
                    let mut pair = [braced(&one[*a].labels), braced(&one[*c].labels)];
                    pair.sort();
                    return Err(EvalError::DuplicateSeries {
                        group: braced(&one_sig[*a]),
                        side,
                        series: pair,
                    });
                }
            };
            one_used[j] = true;
            let ov = one[j].points[k].expect("present");
            let labels = result_labels(&ms.labels, &one[j].labels, b);
            let seen = matched_one.entry(&many_sig[i]).or_default();
            if m.card == Cardinality::OneToOne && !seen.is_empty() {
                return Err(EvalError::Execution(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
                        .to_string(),
                ));
            }
            if m.card != Cardinality::OneToOne && seen.contains(&labels) {
                return Err(EvalError::Execution(
                    "multiple matches for labels: grouping labels must ensure unique matches".to_string(),
                ));
            }
            seen.push(labels.clone());
            if let Some(point) = combine(mv, ov)? {
                emit((i, j), labels, k, point);
            }
        }
        if let Some(f) = fill_many {
            for (j, os) in one.iter().enumerate() {
                let Some(ov) = os.points[k] else { continue };
                if one_used[j] {
                    continue;
                }
                if let Some(point) = combine(f, ov)? {
                    emit((usize::MAX, j), one_sig[j].clone(), k, point);
                }
            }
        }
    }
    Ok(out)
}

/// Labels in Prometheus' `{name="value", …}` form, `__name__` included as a label.
fn braced(labels: &Labels) -> String {
    let mut s = String::new();
    let _ = parquetry_model::labels::write_label_braces(&mut s, labels, false);
    s
}
