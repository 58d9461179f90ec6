//! One group's running `sum`, `avg`, `count`, `group`, `min` or `max`: a cell per step,
//! folded a member series at a time. Both the fused aggregation and the general one fold
//! through here, so the two give the same bits for the same members in the same order.

use super::kahan::kahan_sum_inc;
use crate::syntax::ast::AggOp;

/// The accumulators of one group at every step.
pub(super) struct StepCells {
    /// The running sum, minimum or maximum (empty for `count` and `group`).
    value: Vec<f64>,
    /// The sum's compensation (only for `sum` and `avg`).
    compensation: Vec<f64>,
    /// How many members had a value at the step.
    count: Vec<u32>,
}

impl StepCells {
    /// Empty cells for `steps` steps of `op`, which folds one value at a time.
    pub(super) fn new(op: AggOp, steps: usize) -> Self {
        let cells = |needed: bool| if needed { vec![0.0; steps] } else { Vec::new() };
        StepCells {
            value: cells(!matches!(op, AggOp::Count | AggOp::Group)),
            compensation: cells(matches!(op, AggOp::Sum | AggOp::Avg)),
            count: vec![0; steps],
        }
    }

    /// Folds a member's value at each step where it has one.
    pub(super) fn fold_series(&mut self, op: AggOp, points: &[Option<f64>]) {
        for (k, p) in points.iter().enumerate() {
            if let Some(v) = *p {
                self.fold(op, k, v);
            }
        }
    }

    /// Adds a member's value at step `k`, as Prometheus' fold over the members would.
    pub(super) fn fold(&mut self, op: AggOp, k: usize, v: f64) {
        match op {
            AggOp::Sum | AggOp::Avg => {
                (self.value[k], self.compensation[k]) = kahan_sum_inc(v, self.value[k], self.compensation[k]);
            }
            AggOp::Min => self.keep_if(k, v, |m, v| m > v),
            AggOp::Max => self.keep_if(k, v, |m, v| m < v),
            _ => {}
        }
        self.count[k] += 1;
    }

    /// Takes `v` at step `k` when the cell is empty or NaN, or when `better(cell, v)`.
    fn keep_if(&mut self, k: usize, v: f64, better: impl Fn(f64, f64) -> bool) {
        let m = self.value[k];
        if self.count[k] == 0 || better(m, v) || m.is_nan() {
            self.value[k] = v;
        }
    }

    /// Adds the cells of the same group over later members.
    pub(super) fn absorb(&mut self, op: AggOp, later: StepCells) {
        for k in 0..self.count.len() {
            if later.count[k] == 0 {
                continue;
            }
            match op {
                AggOp::Sum | AggOp::Avg => {
                    let (sum, c) = kahan_sum_inc(later.value[k], self.value[k], self.compensation[k]);
                    self.value[k] = sum;
                    self.compensation[k] = c + later.compensation[k];
                }
                AggOp::Min => self.keep_if(k, later.value[k], |m, v| m > v),
                AggOp::Max => self.keep_if(k, later.value[k], |m, v| m < v),
                _ => {}
            }
            self.count[k] += later.count[k];
        }
    }

    /// True when some member had a value at step `k`.
    pub(super) fn has_value_at(&self, k: usize) -> bool {
        self.count[k] > 0
    }

    /// The group's value at each step (`None` where no member had one); `None` when a
    /// mean's sum is not finite, where Prometheus switches to a running mean whose result
    /// depends on the order of the values.
    pub(super) fn points(&self, op: AggOp) -> Option<Vec<Option<f64>>> {
        let mut points = Vec::with_capacity(self.count.len());
        for (k, &n) in self.count.iter().enumerate() {
            if n == 0 {
                points.push(None);
                continue;
            }
            let n = f64::from(n);
            points.push(Some(match op {
                AggOp::Sum => self.value[k] + self.compensation[k],
                AggOp::Avg => {
                    if !(self.value[k] + self.compensation[k]).is_finite() {
                        return None;
                    }
                    self.value[k] / n + self.compensation[k] / n
                }
                AggOp::Count => n,
                AggOp::Group => 1.0,
                _ => self.value[k],
            }));
        }
        Some(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(op: AggOp, members: &[&[Option<f64>]]) -> Option<Vec<Option<f64>>> {
        let mut cells = StepCells::new(op, members[0].len());
        for m in members {
            cells.fold_series(op, m);
        }
        cells.points(op)
    }

    #[test]
    fn each_step_folds_the_members_with_a_value_there() {
        let members: [&[Option<f64>]; 3] = [
            &[Some(1.0), None, Some(f64::NAN)],
            &[Some(3.0), None, Some(2.0)],
            &[Some(-1.0), None, Some(5.0)],
        ];
        let sum = folded(AggOp::Sum, &members).unwrap();
        assert_eq!(sum[..2], [Some(3.0), None]);
        assert!(sum[2].unwrap().is_nan());
        assert_eq!(
            folded(AggOp::Count, &members).unwrap(),
            [Some(3.0), None, Some(3.0)]
        );
        assert_eq!(
            folded(AggOp::Group, &members).unwrap(),
            [Some(1.0), None, Some(1.0)]
        );
        // A NaN is replaced by any later value, as Prometheus' min and max do.
        assert_eq!(
            folded(AggOp::Min, &members).unwrap(),
            [Some(-1.0), None, Some(2.0)]
        );
        assert_eq!(
            folded(AggOp::Max, &members).unwrap(),
            [Some(3.0), None, Some(5.0)]
        );
        assert_eq!(
            folded(AggOp::Avg, &members[1..]).unwrap(),
            [Some(1.0), None, Some(3.5)]
        );
        // A NaN leaves the mean's sum not finite.
        assert_eq!(folded(AggOp::Avg, &members), None);
    }

    #[test]
    fn a_mean_whose_sum_overflows_is_left_to_the_running_mean() {
        let members: [&[Option<f64>]; 2] = [&[Some(f64::MAX)], &[Some(f64::MAX)]];
        assert_eq!(folded(AggOp::Avg, &members), None);
        assert_eq!(folded(AggOp::Sum, &members).unwrap(), [Some(f64::INFINITY)]);
    }

    #[test]
    fn absorbing_later_cells_equals_folding_their_members_here() {
        let [a, b, c]: [&[Option<f64>]; 3] = [
            &[Some(1e16), Some(2.0)],
            &[Some(1.0), None],
            &[Some(-1e16), Some(7.0)],
        ];
        for op in [AggOp::Sum, AggOp::Min, AggOp::Max, AggOp::Count] {
            let mut early = StepCells::new(op, 2);
            early.fold_series(op, a);
            let mut later = StepCells::new(op, 2);
            later.fold_series(op, b);
            later.fold_series(op, c);
            early.absorb(op, later);
            assert_eq!(early.points(op), folded(op, &[a, b, c]), "{op:?}");
        }
    }
}
