//! `topk`, `bottomk`, `limitk` and `limit_ratio`: the aggregations that keep some of
//! their members' points, each member with its own labels.

use super::EvalError;
use super::rank_heap::{Keep, keep_k};
use super::value::{StepSeries, Value};
use crate::syntax::ast::AggOp;
use parquetry_model::Labels;
use rayon::prelude::*;
use std::ops::Range;

/// Steps whose points are gathered from every member of a group before any step is
/// ranked, so that each series' points are read a cache line after another instead of
/// one point of every series per step; blocks are ranked in parallel.
const STEP_BLOCK: usize = 32;

/// Keeps, at each step and in each group of `members` (positions in `input`), the points
/// `op` selects with the parameter `k[step]`; series that never keep a point are left
/// out. The output lists series in the order they were first kept: by step, then group,
/// then rank (best first, NaN last, for `topk` and `bottomk`), which for an instant query
/// is the ranking. Fails on the first step, in time order, whose parameter is NaN, or is
/// a `limit_ratio` outside [-1, 1] where some series has a point.
pub(super) fn select_members(
    op: AggOp,
    input: Vec<StepSeries>,
    members: &[Vec<usize>],
    k: &[f64],
    steps: usize,
) -> Result<Value, EvalError> {
    check_parameters(op, &input, members, k, steps)?;
    // Where `limit_ratio` places each series, from its labels' hash: once per query.
    let places: Vec<f64> = match op {
        AggOp::LimitRatio => input.iter().map(|s| ratio_place(&s.labels)).collect(),
        _ => Vec::new(),
    };
    // Blocks of steps are ranked side by side; each gives the points it keeps.
    let blocks: Vec<Vec<Kept>> = (0..steps)
        .step_by(STEP_BLOCK)
        .collect::<Vec<usize>>()
        .into_par_iter()
        .map(|start| {
            select_in_block(
                op,
                &input,
                &places,
                members,
                k,
                start..(start + STEP_BLOCK).min(steps),
            )
        })
        .collect();
    // Which points each series keeps, a byte a point, step by step within a series, and
    // the first (step, group, rank) at which each series was kept.
    let mut kept_points = vec![false; input.len() * steps];
    let mut first_kept: Vec<Option<(usize, usize, usize)>> = vec![None; input.len()];
    for kept in blocks.iter().flatten() {
        kept_points[kept.series * steps + kept.order.0] = true;
        let first = &mut first_kept[kept.series];
        *first = Some(first.map_or(kept.order, |f| f.min(kept.order)));
    }
    let mut order: Vec<usize> = (0..input.len()).filter(|&i| first_kept[i].is_some()).collect();
    order.sort_unstable_by_key(|&i| first_kept[i]);
    let mut input: Vec<Option<StepSeries>> = input.into_iter().map(Some).collect();
    Ok(Value::Vector(
        order
            .into_iter()
            .filter_map(|i| {
                let mut s = input[i].take()?;
                let keeps = &kept_points[i * steps..(i + 1) * steps];
                for (point, &keep) in s.points.iter_mut().zip(keeps) {
                    if !keep {
                        *point = None;
                    }
                }
                Some(s)
            })
            .collect(),
    ))
}

/// A point a selection keeps: series `series` at the step, group and rank of `order`.
struct Kept {
    series: usize,
    order: (usize, usize, usize),
}

/// The points `op` keeps at the steps of `block`, group by group; `places` are the
/// series' `limit_ratio` places (see [`ratio_place`]).
fn select_in_block(
    op: AggOp,
    input: &[StepSeries],
    places: &[f64],
    members: &[Vec<usize>],
    k: &[f64],
    block: Range<usize>,
) -> Vec<Kept> {
    let mut out = Vec::new();
    // A group's points in the block, step after step; the present members of the group
    // at one step and their values. Reused from group to group.
    let mut block_points: Vec<Option<f64>> = Vec::new();
    let (mut present, mut values): (Vec<usize>, Vec<f64>) = (Vec::new(), Vec::new());
    for (g, group) in members.iter().enumerate() {
        let width = group.len();
        block_points.clear();
        block_points.resize(block.len() * width, None);
        for (j, &i) in group.iter().enumerate() {
            for (o, point) in input[i].points[block.clone()].iter().enumerate() {
                block_points[o * width + j] = *point;
            }
        }
        for (o, step) in block.clone().enumerate() {
            present.clear();
            values.clear();
            for (&i, point) in group.iter().zip(&block_points[o * width..(o + 1) * width]) {
                if let Some(v) = point {
                    present.push(i);
                    values.push(*v);
                }
            }
            if present.is_empty() {
                continue;
            }
            let chosen = choose(op, k[step], &present, &values, places);
            out.extend(chosen.into_iter().enumerate().map(|(rank, series)| Kept {
                series,
                order: (step, g, rank),
            }));
        }
    }
    out
}

/// The first error of the parameter, step by step: NaN at any step, or a ratio outside
/// [-1, 1] at a step where some member has a point.
fn check_parameters(
    op: AggOp,
    input: &[StepSeries],
    members: &[Vec<usize>],
    k: &[f64],
    steps: usize,
) -> Result<(), EvalError> {
    for (step, &param) in k.iter().enumerate().take(steps) {
        if param.is_nan() {
            let what = if op == AggOp::LimitRatio {
                "Ratio value is NaN"
            } else {
                "Parameter value is NaN"
            };
            return Err(EvalError::Execution(what.to_string()));
        }
        if op == AggOp::LimitRatio
            && !(-1.0..=1.0).contains(&param)
            && members.iter().flatten().any(|&i| input[i].points[step].is_some())
        {
            return Err(EvalError::Execution(format!(
                "Ratio value {param} is out of range [-1, 1]"
            )));
        }
    }
    Ok(())
}

/// The members `op` keeps at one step with parameter `param`, from the `present` ones
/// (in group order) whose values are `values`: for `topk` and `bottomk` best first, NaN
/// last. `places` are the series' `limit_ratio` places.
fn choose(op: AggOp, param: f64, present: &[usize], values: &[f64], places: &[f64]) -> Vec<usize> {
    match op {
        AggOp::Topk | AggOp::Bottomk => {
            let keep = if op == AggOp::Topk {
                Keep::Largest
            } else {
                Keep::Smallest
            };
            let mut kept = keep_k(values, clamp_count(param, present.len()), keep);
            kept.sort_by(|&x, &y| {
                let (a, b) = (values[x], values[y]);
                match (a.is_nan(), b.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ if op == AggOp::Topk => b.total_cmp(&a),
                    _ => a.total_cmp(&b),
                }
            });
            kept.into_iter().map(|p| present[p]).collect()
        }
        AggOp::Limitk => present
            .iter()
            .copied()
            .take(clamp_count(param, usize::MAX))
            .collect(),
        _ => present
            .iter()
            .copied()
            .filter(|&i| ratio_selects(places[i], param))
            .collect(),
    }
}

fn clamp_count(param: f64, len: usize) -> usize {
    if param < 1.0 {
        0
    } else if param >= len as f64 {
        len
    } else {
        param as usize
    }
}

/// Where a series with `labels` stands in [0, 1] for `limit_ratio`: its labels' hash over
/// the largest hash.
fn ratio_place(labels: &Labels) -> f64 {
    parquetry_model::SeriesId::of(labels).0 as f64 / u64::MAX as f64
}

/// `limit_ratio`'s deterministic sampling: a series at `place` is kept when that falls
/// under the ratio (or, for negative ratios, at or above `1 + ratio`).
fn ratio_selects(place: f64, ratio: f64) -> bool {
    if ratio >= 0.0 {
        place < ratio
    } else {
        place >= 1.0 + ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn series(i: usize, points: Vec<Option<f64>>) -> StepSeries {
        StepSeries {
            labels: Labels::from_pairs([("i", i.to_string())]),
            drop_name: false,
            points,
        }
    }

    /// The values `topk(k)` keeps in each group at each step, found by sorting each
    /// step's present values (which of two equal values is kept is the heap's choice, as
    /// in Prometheus, so values are compared rather than series).
    fn sorted_topk(
        input: &[StepSeries],
        members: &[Vec<usize>],
        k: usize,
        steps: usize,
    ) -> Vec<(usize, usize, Vec<u64>)> {
        let mut kept = Vec::new();
        for (g, group) in members.iter().enumerate() {
            for step in 0..steps {
                let mut present: Vec<f64> = group.iter().filter_map(|&i| input[i].points[step]).collect();
                present.sort_by(|a, b| b.total_cmp(a));
                present.truncate(k);
                kept.push((g, step, values_key(present)));
            }
        }
        kept
    }

    fn values_key(mut values: Vec<f64>) -> Vec<u64> {
        values.sort_by(f64::total_cmp);
        values.into_iter().map(f64::to_bits).collect()
    }

    proptest! {
        #[test]
        fn topk_keeps_each_steps_largest_across_step_blocks(
            grid in proptest::collection::vec(proptest::collection::vec(proptest::option::weighted(0.7, 0u8..6), 75), 1..12),
            groups in 1usize..4,
            k in 1usize..4,
        ) {
            let steps = 75;
            let input: Vec<StepSeries> = grid
                .iter()
                .enumerate()
                .map(|(i, p)| series(i, p.iter().map(|v| v.map(f64::from)).collect()))
                .collect();
            let mut members = vec![Vec::new(); groups];
            for i in 0..input.len() {
                members[i % groups].push(i);
            }
            let want = sorted_topk(&input, &members, k, steps);
            let Value::Vector(out) = select_members(AggOp::Topk, input, &members, &vec![k as f64; steps], steps).unwrap() else {
                panic!("topk gives a vector");
            };
            let group_of = |i: usize| i % groups;
            let got: Vec<(usize, usize, Vec<u64>)> = (0..groups)
                .flat_map(|g| (0..steps).map(move |step| (g, step)))
                .map(|(g, step)| {
                    let values = out
                        .iter()
                        .filter(|s| group_of(s.labels.get("i").unwrap().parse().unwrap()) == g)
                        .filter_map(|s| s.points[step])
                        .collect();
                    (g, step, values_key(values))
                })
                .collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn series_are_listed_as_first_kept_and_errors_come_in_step_order() {
        let input = vec![
            series(0, vec![Some(1.0), Some(9.0)]),
            series(1, vec![Some(5.0), None]),
            series(2, vec![Some(3.0), Some(1.0)]),
        ];
        let members = vec![vec![0, 1, 2]];
        let Value::Vector(out) =
            select_members(AggOp::Topk, input.clone(), &members, &[2.0, 1.0], 2).unwrap()
        else {
            panic!("topk gives a vector");
        };
        let order: Vec<&str> = out.iter().map(|s| s.labels.get("i").unwrap()).collect();
        assert_eq!(order, ["1", "2", "0"], "by step, then rank");
        let err =
            select_members(AggOp::LimitRatio, input.clone(), &members, &[2.0, f64::NAN], 2).unwrap_err();
        assert!(err.to_string().contains("Ratio value 2 is out of range"), "{err}");
        let err = select_members(AggOp::LimitRatio, input, &members, &[f64::NAN, 2.0], 2).unwrap_err();
        assert!(err.to_string().contains("Ratio value is NaN"), "{err}");
    }
}
