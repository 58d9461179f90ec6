//! The evaluation times of a query.

/// Evaluation times `start, start + step, …` up to and including `end` (an instant query
/// is a grid with `start == end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepGrid {
    /// First evaluation time, milliseconds.
    pub start: i64,
    /// Last possible evaluation time, milliseconds.
    pub end: i64,
    /// Distance between evaluation times, milliseconds; positive.
    pub step: i64,
}

impl StepGrid {
    /// A single evaluation at `t`.
    pub fn instant(t: i64) -> StepGrid {
        StepGrid {
            start: t,
            end: t,
            step: 1,
        }
    }

    /// Number of evaluation times.
    pub fn len(&self) -> usize {
        if self.end < self.start {
            0
        } else {
            ((self.end - self.start) / self.step.max(1)) as usize + 1
        }
    }

    /// True when the grid has no evaluation time.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th evaluation time.
    pub fn time(&self, i: usize) -> i64 {
        self.start + i as i64 * self.step
    }

    /// Every evaluation time in order.
    pub fn times(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.time(i))
    }
}
