//! Least-squares regression over a window (`deriv`, `predict_linear`), with Prometheus'
//! compensated sums in its order, compiled twice: for the baseline processor and, picked
//! at run time, for one with AVX2, whose wider registers hold all four sums of a sample
//! at once. Both give the same bits: the same additions in the same order, and no fused
//! multiply-add.

use super::super::kahan::KahanLanes;

/// Least-squares slope and intercept (at `intercept_time`) of the samples `ts`/`vs`
/// (non-empty, as many values as times), with x in seconds from `intercept_time` and the
/// sums of x, y, xy and x² compensated as Prometheus compensates them. A window of one
/// value gives slope 0 (NaN for both when that value is infinite).
pub(super) fn linear_regression(ts: &[i64], vs: &[f64], intercept_time: i64) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor running this has AVX2, as just checked.
        return unsafe { regression_avx2(ts, vs, intercept_time) };
    }
    regression(ts, vs, intercept_time)
}

/// [`regression`] compiled for processors with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn regression_avx2(ts: &[i64], vs: &[f64], intercept_time: i64) -> (f64, f64) {
    regression(ts, vs, intercept_time)
}

/// The body of [`linear_regression`], inlined into each compiled version.
#[inline(always)]
fn regression(ts: &[i64], vs: &[f64], intercept_time: i64) -> (f64, f64) {
    let init = vs[0];
    if vs.iter().all(|&v| v == init) {
        if init.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init);
    }
    // The sums of x, y, xy and x², with x in seconds from the intercept.
    let mut sums = KahanLanes::<4>::new();
    let mut add = |x: f64, v: f64| sums.add([x, v, x * v, x * x]);
    let seconds = |t: i64| (t - intercept_time) as f64 / 1000.0;
    let (ts_chunks, vs_chunks) = (ts.chunks_exact(4), vs.chunks_exact(4));
    let (ts_rest, vs_rest) = (ts_chunks.remainder(), vs_chunks.remainder());
    for (t4, v4) in ts_chunks.zip(vs_chunks) {
        // Four conversions at once, which the processor divides side by side.
        let x4: [f64; 4] = std::array::from_fn(|k| seconds(t4[k]));
        for (x, v) in x4.into_iter().zip(v4) {
            add(x, *v);
        }
    }
    for (t, v) in ts_rest.iter().zip(vs_rest) {
        add(seconds(*t), *v);
    }
    let n = ts.len() as f64;
    let [sx, sy, sxy, sx2] = sums.totals();
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn regression_finds_a_line() {
        let ts: Vec<i64> = (0..10).map(|i| i * 1000).collect();
        let vs: Vec<f64> = (0..10).map(|i| 3.0 + 2.0 * i as f64).collect();
        let (slope, intercept) = linear_regression(&ts, &vs, 0);
        assert!((slope - 2.0).abs() < 1e-12 && (intercept - 3.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn every_compiled_version_gives_the_same_bits(
            samples in proptest::collection::vec((0i64..20_000, -1e12f64..1e12), 1..300),
            intercept in -1_000_000i64..1_000_000,
        ) {
            let mut t = 0;
            let (ts, vs): (Vec<i64>, Vec<f64>) = samples
                .iter()
                .map(|&(gap, v)| {
                    t += gap + 1;
                    (t, v)
                })
                .unzip();
            let portable = regression(&ts, &vs, intercept);
            let chosen = linear_regression(&ts, &vs, intercept);
            prop_assert_eq!(portable.0.to_bits(), chosen.0.to_bits());
            prop_assert_eq!(portable.1.to_bits(), chosen.1.to_bits());
        }
    }
}
