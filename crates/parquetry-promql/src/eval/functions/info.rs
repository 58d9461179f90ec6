//! The experimental `info()` function: enriching series with the data labels of info
//! metrics (`target_info` by default) that share their identifying labels.

use super::super::evaluator::Ctx;
use super::super::selectors::eval_vector_timestamps;
use super::super::value::{StepSeries, Value};
use super::super::{EvalError, StepGrid};
use crate::syntax::ast::{At, Call, DurationExpr, Expr, RangeMode, Span, TimeModifiers, VectorSelector};
use foldhash::{HashMap, HashMapExt};
use parquetry_model::{Labels, METRIC_NAME, MatchOp, Matcher};

/// Labels that tie a series to its info metrics.
const IDENTIFYING: [&str; 2] = ["instance", "job"];

/// Evaluates `info(v[, selector])`.
pub fn eval(ctx: &Ctx, c: &Call, grid: &StepGrid) -> Result<Value, EvalError> {
    let base = match ctx.eval(&c.args[0], grid)? {
        Value::Vector(v) => v,
        other => {
            return Err(EvalError::Execution(format!(
                "info: expected an instant vector, got {}",
                other.type_name()
            )));
        }
    };
    let matchers: Vec<Matcher> = match c.args.get(1) {
        Some(Expr::VectorSelector(vs)) => vs.matchers.clone(),
        Some(_) => {
            return Err(EvalError::Execution(
                "info: the second argument must be a selector".to_string(),
            ));
        }
        None => Vec::new(),
    };
    let (mut name_matchers, data_matchers): (Vec<Matcher>, Vec<Matcher>) =
        matchers.into_iter().partition(|m| m.name == METRIC_NAME);
    // Info metrics are `target_info` unless the selector names others. With only negative
    // name matchers, the candidates are the metrics whose name ends in `_info`.
    if name_matchers.is_empty() {
        name_matchers.push(Matcher::equal(METRIC_NAME, "target_info"));
    }
    let mut fetch = name_matchers.clone();
    if !name_matchers
        .iter()
        .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::RegexMatch))
    {
        fetch.push(Matcher::new(MatchOp::RegexMatch, METRIC_NAME, ".+_info").expect("a valid regex"));
    }
    // Info series are looked up as of the time the base samples are from.
    let selector = VectorSelector {
        name: None,
        matchers: fetch,
        modifiers: reference_time(&c.args[0], None, 0),
        mode: RangeMode::Default,
        span: Span::default(),
    };
    // The sample times of the info series tell which of several series of one info metric
    // is the newest at each step.
    let infos = match eval_vector_timestamps(ctx, &selector, grid)? {
        Value::Vector(v) => v,
        _ => Vec::new(),
    };
    let infos: Vec<&StepSeries> = infos
        .iter()
        .filter(|i| i.labels.matches_all(&data_matchers))
        .collect();
    let empty_ok = data_matchers.iter().all(Matcher::matches_empty);
    let wanted: Vec<&str> = data_matchers.iter().map(|m| m.name.as_str()).collect();
    let identity = |l: &Labels| -> Vec<String> {
        IDENTIFYING
            .iter()
            .map(|n| l.get(n).unwrap_or("").to_string())
            .collect()
    };
    let mut out: Vec<StepSeries> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for b in &base {
        let is_info = b.labels.matches_all(&selector.matchers);
        let id = identity(&b.labels);
        for (k, p) in b.points.iter().enumerate() {
            let Some(v) = p else { continue };
            let labels = if is_info {
                Some(b.labels.clone())
            } else {
                let found = newest_per_metric(&infos, k, &id, identity);
                if found.is_empty() {
                    empty_ok.then(|| b.labels.clone())
                } else {
                    let mut labels = b.labels.clone();
                    let mut added: HashMap<&str, &str> = HashMap::new();
                    for i in found {
                        for l in i.labels.iter() {
                            let skip = l.name == METRIC_NAME
                                || IDENTIFYING.contains(&l.name.as_str())
                                || b.labels.get(&l.name).is_some()
                                || (!wanted.is_empty() && !wanted.contains(&l.name.as_str()));
                            if skip {
                                continue;
                            }
                            if let Some(prev) = added.insert(&l.name, &l.value)
                                && prev != l.value
                            {
                                return Err(EvalError::Execution(format!(
                                    "conflicting label {:?}: info metrics give {prev:?} and {:?}",
                                    l.name, l.value
                                )));
                            }
                            labels = labels.with(&l.name, &l.value);
                        }
                    }
                    Some(labels)
                }
            };
            let Some(labels) = labels else { continue };
            let idx = *index.entry(labels.clone()).or_insert_with(|| {
                out.push(StepSeries {
                    labels,
                    drop_name: b.drop_name,
                    points: vec![None; grid.len()],
                });
                out.len() - 1
            });
            out[idx].points[k] = Some(*v);
        }
    }
    Ok(Value::Vector(out))
}

/// For each info metric name, the series with the identity `id` whose sample at step `k`
/// is the newest.
fn newest_per_metric<'a>(
    infos: &'a [&'a StepSeries],
    k: usize,
    id: &[String],
    identity: impl Fn(&Labels) -> Vec<String>,
) -> Vec<&'a StepSeries> {
    let mut best: HashMap<&str, &StepSeries> = HashMap::new();
    for i in infos {
        let Some(t) = i.points[k] else { continue };
        if identity(&i.labels) != id {
            continue;
        }
        let name = i.labels.metric_name().unwrap_or("");
        match best.get(name) {
            Some(b) if b.points[k].is_some_and(|bt| bt >= t) => {}
            _ => {
                best.insert(name, i);
            }
        }
    }
    let mut out: Vec<&StepSeries> = best.into_values().collect();
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    out
}

/// The `@` and total offset that the base expression's samples are read at: the nearest
/// selector or subquery down its first operand, with the offsets of every level added up
/// and the outermost `@` winning.
fn reference_time(e: &Expr, at: Option<At>, offset_ms: i64) -> TimeModifiers {
    let with = |m: &TimeModifiers, at: Option<At>, offset_ms: i64| {
        let own = m.offset.as_ref().and_then(DurationExpr::literal_ms).unwrap_or(0);
        (at.or_else(|| m.at.clone()), offset_ms + own)
    };
    let (at, offset_ms) = match e {
        Expr::VectorSelector(v) => with(&v.modifiers, at, offset_ms),
        Expr::MatrixSelector(m) => with(&m.selector.modifiers, at, offset_ms),
        Expr::Subquery(s) => {
            let (at, offset_ms) = with(&s.modifiers, at, offset_ms);
            return reference_time(&s.expr, at, offset_ms);
        }
        Expr::Paren { expr, .. } | Expr::Unary { expr, .. } => return reference_time(expr, at, offset_ms),
        Expr::Aggregate(a) => return reference_time(&a.expr, at, offset_ms),
        Expr::Binary(b) => return reference_time(&b.lhs, at, offset_ms),
        Expr::Call(c) => match c
            .args
            .iter()
            .find(|a| a.value_type() != crate::syntax::ast::ValueType::Scalar)
        {
            Some(a) => return reference_time(a, at, offset_ms),
            None => (at, offset_ms),
        },
        Expr::Number { .. } | Expr::String { .. } => (at, offset_ms),
    };
    TimeModifiers {
        at,
        offset: (offset_ms != 0).then_some(DurationExpr::Literal {
            ms: offset_ms,
            as_number: false,
            span: Span::default(),
        }),
    }
}
