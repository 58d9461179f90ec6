//! The spansets a query finds in one trace: span selectors, the operators between
//! spansets (structural ones by the trace's tree), and the pipeline stages.
//!
//! Both sides of an operator between spansets are taken as the union of their spans:
//! `A && B` gives the spans of both when both found some, `A || B` when either did, and
//! a structural operator gives the right side's spans that stand in the relation to a
//! left side's span (`!` forms: that do not; `&` forms: the spans of both sides that
//! do).

use super::Regexes;
use super::field::field_value;
use super::trace_view::TraceView;
use super::value::{Value, arithmetic, compare};
use crate::syntax::ast::*;

/// Spans of one trace found together, with the values that grouped them.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanset {
    /// Indexes of the spans in the trace, ascending.
    pub spans: Vec<usize>,
    /// `by(…)` fields (as printed) and the values that made this group.
    pub group: Vec<(String, Value<'static>)>,
}

impl Spanset {
    fn of(spans: Vec<usize>) -> Spanset {
        Spanset {
            spans,
            group: Vec::new(),
        }
    }
}

/// The spansets `e` finds in `t`; none when it finds nothing.
pub fn spansets(e: &SpansetExpr, t: &TraceView, regexes: &Regexes) -> Vec<Spanset> {
    match e {
        SpansetExpr::Filter(condition) => {
            let spans = matching(condition, t, (0..t.spans.len()).collect(), regexes);
            if spans.is_empty() {
                Vec::new()
            } else {
                vec![Spanset::of(spans)]
            }
        }
        SpansetExpr::Binary(lhs, op, rhs) => {
            let l = union(&spansets(lhs, t, regexes));
            let r = union(&spansets(rhs, t, regexes));
            let found = match op {
                SpansetOp::And if l.is_empty() || r.is_empty() => Vec::new(),
                SpansetOp::And | SpansetOp::Or => merge(&l, &r),
                SpansetOp::Structural(relation, form) => structural(t, &l, &r, *relation, *form),
            };
            if found.is_empty() {
                Vec::new()
            } else {
                vec![Spanset::of(found)]
            }
        }
        SpansetExpr::Pipeline(first, stages) => {
            let mut sets = spansets(first, t, regexes);
            for stage in stages {
                if sets.is_empty() {
                    break;
                }
                sets = apply(stage, sets, t, regexes);
            }
            sets
        }
    }
}

/// The spans among `candidates` for which `condition` holds.
fn matching(condition: &FieldExpr, t: &TraceView, candidates: Vec<usize>, regexes: &Regexes) -> Vec<usize> {
    if let FieldExpr::Static(Static::Bool(true)) = condition {
        return candidates;
    }
    candidates
        .into_iter()
        .filter(|&i| field_value(condition, t, i, regexes).is_true())
        .collect()
}

/// Every span of `sets`, ascending, once.
pub fn union(sets: &[Spanset]) -> Vec<usize> {
    let mut all: Vec<usize> = sets.iter().flat_map(|s| s.spans.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn merge(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut all = [a, b].concat();
    all.sort_unstable();
    all.dedup();
    all
}

/// The spans the structural operator returns, for left spans `l` and right spans `r`.
/// Each relation is decided for every span at once in one pass over the tree.
fn structural(
    t: &TraceView,
    l: &[usize],
    r: &[usize],
    relation: Relation,
    form: StructuralForm,
) -> Vec<usize> {
    let n = t.spans.len();
    let marks = |side: &[usize]| {
        let mut m = vec![false; n];
        for &i in side {
            m[i] = true;
        }
        m
    };
    let (in_left, in_right) = (marks(l), marks(r));
    let relates = related(t, &in_left, relation);
    let kept: Vec<usize> = r
        .iter()
        .copied()
        .filter(|&b| relates[b] != (form == StructuralForm::Not))
        .collect();
    if form != StructuralForm::Union {
        return kept;
    }
    let converse = match relation {
        Relation::Child => Relation::Parent,
        Relation::Parent => Relation::Child,
        Relation::Descendant => Relation::Ancestor,
        Relation::Ancestor => Relation::Descendant,
        Relation::Sibling => Relation::Sibling,
    };
    let relates_back = related(t, &in_right, converse);
    let used: Vec<usize> = l.iter().copied().filter(|&a| relates_back[a]).collect();
    merge(&kept, &used)
}

/// For every span `b`, whether `b` stands in `relation` to a span marked in `marked`:
/// is its child (`Child`), its descendant, its parent, its ancestor, or its sibling.
fn related(t: &TraceView, marked: &[bool], relation: Relation) -> Vec<bool> {
    let n = t.spans.len();
    let mut out = vec![false; n];
    // Parents come before their children in nested-set order.
    let top_down = || t.by_left.iter().copied();
    match relation {
        Relation::Child => {
            for (b, o) in out.iter_mut().enumerate() {
                *o = t.parent(b).is_some_and(|p| marked[p]);
            }
        }
        Relation::Descendant => {
            for b in top_down() {
                if let Some(p) = t.parent(b).filter(|&p| t.tree.left[p] < t.tree.left[b]) {
                    out[b] = marked[p] || out[p];
                }
            }
        }
        Relation::Parent => {
            for (c, _) in marked.iter().enumerate().filter(|(_, m)| **m) {
                if let Some(p) = t.parent(c) {
                    out[p] = true;
                }
            }
        }
        Relation::Ancestor => {
            for d in top_down().rev() {
                if let Some(p) = t.parent(d).filter(|&p| t.tree.left[p] < t.tree.left[d])
                    && (marked[d] || out[d])
                {
                    out[p] = true;
                }
            }
        }
        Relation::Sibling => {
            let mut marked_children = vec![0u32; n];
            for (c, _) in marked.iter().enumerate().filter(|(_, m)| **m) {
                if let Some(p) = t.parent(c) {
                    marked_children[p] += 1;
                }
            }
            for (b, o) in out.iter_mut().enumerate() {
                *o = t
                    .parent(b)
                    .is_some_and(|p| marked_children[p] > u32::from(marked[b]));
            }
        }
    }
    out
}

/// Applies one pipeline stage to a trace's spansets.
fn apply(stage: &Stage, sets: Vec<Spanset>, t: &TraceView, regexes: &Regexes) -> Vec<Spanset> {
    match stage {
        Stage::Filter(condition) => sets
            .into_iter()
            .filter_map(|s| {
                let spans = matching(condition, t, s.spans, regexes);
                (!spans.is_empty()).then_some(Spanset {
                    spans,
                    group: s.group,
                })
            })
            .collect(),
        Stage::Scalar(filter) => sets
            .into_iter()
            .filter(|s| {
                let l = scalar(&filter.lhs, s, t, regexes);
                let r = scalar(&filter.rhs, s, t, regexes);
                compare(&l, filter.op, &r, (false, false), None)
            })
            .collect(),
        Stage::By(fields) => {
            let mut out: Vec<Spanset> = Vec::new();
            for set in sets {
                let start = out.len();
                for &i in &set.spans {
                    let values: Vec<Value<'static>> = fields
                        .iter()
                        .map(|f| field_value(f, t, i, regexes).into_owned())
                        .collect();
                    let found = out[start..].iter_mut().find(|o| {
                        o.group[set.group.len()..]
                            .iter()
                            .map(|(_, v)| v)
                            .eq(values.iter())
                    });
                    match found {
                        Some(o) => o.spans.push(i),
                        None => {
                            let mut group = set.group.clone();
                            for (f, v) in fields.iter().zip(values) {
                                group.push((format!("by({f})"), v));
                            }
                            out.push(Spanset {
                                spans: vec![i],
                                group,
                            });
                        }
                    }
                }
            }
            out
        }
        Stage::Select(_) => sets,
        Stage::Coalesce => {
            let spans = union(&sets);
            vec![Spanset::of(spans)]
        }
    }
}

/// The value of a scalar expression over spanset `s`.
fn scalar(e: &ScalarExpr, s: &Spanset, t: &TraceView, regexes: &Regexes) -> Value<'static> {
    match e {
        ScalarExpr::Static(v) => super::field::static_value(v).into_owned(),
        ScalarExpr::Binary(lhs, op, rhs) => {
            arithmetic(&scalar(lhs, s, t, regexes), *op, &scalar(rhs, s, t, regexes))
        }
        ScalarExpr::Aggregate(Aggregate::Count, _) => Value::Int(s.spans.len() as i64),
        ScalarExpr::Aggregate(aggregate, field) => {
            let Some(field) = field else {
                return Value::Nil;
            };
            let mut all_durations = true;
            let mut values = Vec::with_capacity(s.spans.len());
            for &i in &s.spans {
                let v = field_value(field, t, i, regexes);
                if let Some(x) = v.as_f64() {
                    all_durations &= matches!(v, Value::Duration(_));
                    values.push(x);
                }
            }
            if values.is_empty() {
                return Value::Nil;
            }
            let v = match aggregate {
                Aggregate::Sum => values.iter().sum(),
                Aggregate::Avg => values.iter().sum::<f64>() / values.len() as f64,
                Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Aggregate::Count => values.len() as f64,
            };
            if all_durations {
                Value::Duration(v.round() as i64)
            } else {
                Value::Float(v)
            }
        }
    }
}
