//! Least-squares regression over a window (`deriv`, `predict_linear`), with Prometheus'
//! compensated sums in its order. The four sums of a sample (x, y, xy, x²) are advanced
//! by portable code, or, picked at run time on a processor with AVX2, by the same
//! operations on one 256-bit register holding all four. Both give the same numbers, bit
//! for bit: the same additions in the same order, and no fused multiply-add (a NaN may
//! come out with another sign, as the compiler may swap an addition's operands).

use super::super::kahan::KahanLanes;

/// Least-squares slope and intercept (at `intercept_time`) of the samples `ts`/`vs`
/// (non-empty, as many values as times), with x in seconds from `intercept_time` and the
/// sums of x, y, xy and x² compensated as Prometheus compensates them. A window of one
/// value gives slope 0 (NaN for both when that value is infinite).
pub(super) fn linear_regression(ts: &[i64], vs: &[f64], intercept_time: i64) -> (f64, f64) {
    let init = vs[0];
    if vs.iter().all(|&v| v == init) {
        if init.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init);
    }
    let [sx, sy, sxy, sx2] = sums(ts, vs, intercept_time);
    let n = ts.len() as f64;
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

/// The compensated sums of x, y, xy and x², with the fastest version this processor runs.
fn sums(ts: &[i64], vs: &[f64], intercept_time: i64) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor running this has AVX2, as just checked.
        return unsafe { avx2::sums(ts, vs, intercept_time) };
    }
    portable_sums(ts, vs, intercept_time)
}

/// x of a sample: seconds from the intercept, as Prometheus computes it.
#[inline(always)]
fn seconds(t: i64, intercept_time: i64) -> f64 {
    (t - intercept_time) as f64 / 1000.0
}

/// The sums, four lanes of plain code.
fn portable_sums(ts: &[i64], vs: &[f64], intercept_time: i64) -> [f64; 4] {
    let mut sums = KahanLanes::<4>::new();
    for (t, v) in ts.iter().zip(vs) {
        let x = seconds(*t, intercept_time);
        sums.add([x, *v, x * v, x * x]);
    }
    sums.totals()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{KahanLanes, seconds};
    use std::arch::x86_64::*;

    /// The sums with lanes [x, y, xy, x²] of one register, four samples at a time: their
    /// x, y, xy and x² are computed side by side, transposed into one register per
    /// sample, and added in sample order.
    #[target_feature(enable = "avx2")]
    pub(super) fn sums(ts: &[i64], vs: &[f64], intercept_time: i64) -> [f64; 4] {
        let (mut sum, mut c) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        let thousand = _mm256_set1_pd(1000.0);
        let (ts_chunks, vs_chunks) = (ts.chunks_exact(4), vs.chunks_exact(4));
        let (ts_rest, vs_rest) = (ts_chunks.remainder(), vs_chunks.remainder());
        for (t4, v4) in ts_chunks.zip(vs_chunks) {
            let diff = |k: usize| (t4[k] - intercept_time) as f64;
            let x = _mm256_div_pd(_mm256_set_pd(diff(3), diff(2), diff(1), diff(0)), thousand);
            let v = _mm256_set_pd(v4[3], v4[2], v4[1], v4[0]);
            let (xv, xx) = (_mm256_mul_pd(x, v), _mm256_mul_pd(x, x));
            let (a, b) = (_mm256_unpacklo_pd(x, v), _mm256_unpackhi_pd(x, v));
            let (p, q) = (_mm256_unpacklo_pd(xv, xx), _mm256_unpackhi_pd(xv, xx));
            for inc in [
                _mm256_permute2f128_pd::<0x20>(a, p),
                _mm256_permute2f128_pd::<0x20>(b, q),
                _mm256_permute2f128_pd::<0x31>(a, p),
                _mm256_permute2f128_pd::<0x31>(b, q),
            ] {
                (sum, c) = add(sum, c, inc);
            }
        }
        for (t, v) in ts_rest.iter().zip(vs_rest) {
            let x = seconds(*t, intercept_time);
            (sum, c) = add(sum, c, _mm256_set_pd(x * x, x * v, *v, x));
        }
        let (mut sums, mut cs) = ([0.0; 4], [0.0; 4]);
        // SAFETY: each array holds the four doubles an unaligned store writes.
        unsafe {
            _mm256_storeu_pd(sums.as_mut_ptr(), sum);
            _mm256_storeu_pd(cs.as_mut_ptr(), c);
        }
        KahanLanes::from_parts(sums, cs).totals()
    }

    /// One step of Neumaier's sum in every lane, as `KahanLanes::add` takes it: the new
    /// sum `sum + inc`, and the compensation plus what that addition dropped.
    #[target_feature(enable = "avx2")]
    fn add(sum: __m256d, c: __m256d, inc: __m256d) -> (__m256d, __m256d) {
        let t = _mm256_add_pd(sum, inc);
        let sign = _mm256_set1_pd(-0.0);
        let sum_is_big =
            _mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_andnot_pd(sign, sum), _mm256_andnot_pd(sign, inc));
        let big = _mm256_blendv_pd(inc, sum, sum_is_big);
        let small = _mm256_blendv_pd(sum, inc, sum_is_big);
        let lost = _mm256_add_pd(_mm256_sub_pd(big, t), small);
        (t, _mm256_add_pd(c, lost))
    }
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

    /// Values of every kind the sums meet: ordinary, huge, tiny, signed zeros, infinities
    /// and NaN (whose payload must come through too).
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => -1e12f64..1e12,
            1 => any::<f64>(),
            1 => prop_oneof![Just(0.0), Just(-0.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN), Just(1e300), Just(-1e-300)],
        ]
    }

    proptest! {
        #[test]
        fn every_version_of_the_sums_gives_the_same_bits(
            samples in proptest::collection::vec((0i64..20_000, value()), 1..300),
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
            // Every bit, except which NaN a NaN is: the sign and payload of a NaN made from
            // two NaNs depend on operand order, which the compiler may swap in an addition.
            let bits = |s: [f64; 4]| s.map(|v| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() });
            prop_assert_eq!(bits(sums(&ts, &vs, intercept)), bits(portable_sums(&ts, &vs, intercept)));
        }
    }
}
