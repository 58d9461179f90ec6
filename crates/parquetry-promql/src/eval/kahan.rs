//! Compensated summation, as Prometheus uses for sums and means.

/// Adds `inc` to `sum` with Neumaier's compensation `c`; returns the new sum and
/// compensation. The result is `sum + c`.
pub fn kahan_sum_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else {
        c + lost_digits(sum, inc, t)
    };
    (t, c)
}

/// What rounding dropped from `t = sum + inc`: the smaller operand's digits that did not
/// fit (Neumaier's correction term).
fn lost_digits(sum: f64, inc: f64, t: f64) -> f64 {
    let (big, small) = if sum.abs() >= inc.abs() {
        (sum, inc)
    } else {
        (inc, sum)
    };
    (big - t) + small
}

/// `N` compensated sums advanced together, one increment each per call; [`KahanLanes::totals`]
/// gives each sum exactly as a chain of [`kahan_sum_inc`] calls would end. The lanes are
/// independent, so the processor adds them side by side; and the compensation is not reset
/// on each infinite partial sum but once at the end, which ends the same way because a sum
/// that became infinite stays infinite (or turns NaN) whatever is added after.
#[derive(Clone, Copy, Debug)]
pub struct KahanLanes<const N: usize> {
    sum: [f64; N],
    c: [f64; N],
}

impl<const N: usize> KahanLanes<N> {
    /// Every sum at zero.
    pub fn new() -> Self {
        KahanLanes {
            sum: [0.0; N],
            c: [0.0; N],
        }
    }

    /// Adds `inc[i]` to sum `i`.
    #[inline(always)]
    pub fn add(&mut self, inc: [f64; N]) {
        for ((s, c), x) in self.sum.iter_mut().zip(&mut self.c).zip(inc) {
            let t = *s + x;
            *c += lost_digits(*s, x, t);
            *s = t;
        }
    }

    /// The lanes whose running sums are `sum` and compensations `c`, as a version of
    /// [`KahanLanes::add`] that keeps them elsewhere (in a vector register) left them.
    pub fn from_parts(sum: [f64; N], c: [f64; N]) -> Self {
        KahanLanes { sum, c }
    }

    /// Each compensated sum.
    pub fn totals(&self) -> [f64; N] {
        std::array::from_fn(|i| match self.sum[i].is_infinite() {
            true => self.sum[i],
            false => self.sum[i] + self.c[i],
        })
    }
}

impl<const N: usize> Default for KahanLanes<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The compensated sum of `values`.
pub fn kahan_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut lanes = KahanLanes::<1>::new();
    for v in values {
        lanes.add([v]);
    }
    lanes.totals()[0]
}

/// The mean of `values` as Prometheus computes it: a compensated sum divided by the count,
/// switching to an incremental mean if the sum would overflow.
pub fn kahan_mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (mut sum, mut mean, mut count, mut c) = (0.0, 0.0, 0.0, 0.0);
    let mut incremental = false;
    for v in values {
        count += 1.0;
        if !incremental {
            let (ns, nc) = kahan_sum_inc(v, sum, c);
            if count == 1.0 || !(ns + nc).is_infinite() {
                sum = ns;
                c = nc;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        let (m, nc) = kahan_sum_inc(v / count, q * mean, q * c);
        mean = m;
        c = nc;
    }
    if incremental {
        mean + c
    } else {
        sum / count + c / count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensation_recovers_lost_digits() {
        let v = [1e16, 1.0, -1e16];
        assert_eq!(kahan_sum(v), 1.0);
        assert_eq!(kahan_mean([1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(kahan_mean([f64::MAX, f64::MAX]), f64::MAX);
    }

    /// The sums of a chain of `kahan_sum_inc` calls, the definition the lanes must meet.
    fn chained(rows: &[[f64; 2]]) -> [f64; 2] {
        let mut acc = [(0.0, 0.0); 2];
        for row in rows {
            for (a, &x) in acc.iter_mut().zip(row) {
                *a = kahan_sum_inc(x, a.0, a.1);
            }
        }
        acc.map(|(s, c)| s + c)
    }

    fn value() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            8 => -1e20f64..1e20,
            2 => prop::num::f64::ANY,
            1 => Just(f64::MAX),
            1 => Just(-f64::MAX),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => Just(f64::NAN),
        ]
    }

    proptest::proptest! {
        #[test]
        fn lanes_end_as_chained_sums_do(rows in proptest::collection::vec([value(), value()], 0..40)) {
            let mut lanes = KahanLanes::<2>::new();
            for row in &rows {
                lanes.add(*row);
            }
            let (got, want) = (lanes.totals(), chained(&rows));
            for (g, w) in got.iter().zip(want) {
                proptest::prop_assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()), "{g} != {w}");
            }
        }
    }
}
