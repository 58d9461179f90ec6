//! Least-squares regression over a window (`deriv`, `predict_linear`), with Prometheus'
//! compensated sums in its order. The four sums of a sample (x, y, xy, x²) are advanced
//! by portable code, or, picked at run time on a processor with AVX2, by the same
//! additions on one 256-bit register holding all four. Both give the same numbers, bit
//! for bit: the same additions in the same order, each addition's rounding error taken
//! exactly, and no fused multiply-add (a NaN may come out with another sign, as the
//! compiler may swap an addition's operands).
//!
//! The AVX2 version takes each rounding error with Knuth's branch-free 2Sum instead of
//! Neumaier's compare-and-swap. Both give the exact error of an addition whose operations
//! stay finite, so the compensations are the same; but 2Sum's intermediate differences
//! can overflow next to the largest doubles where Neumaier's cannot. A window whose sums
//! or compensations end anything but finite (that case, or an infinite or NaN value, or an
//! overflowing sum) is summed again by the portable code, whose answer stands.

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
        if let Some(sums) = unsafe { avx2::sums(ts, vs, intercept_time) } {
            return sums;
        }
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
    /// sample, and added in sample order. `None` when the portable code must answer: a
    /// sum or compensation ended infinite or NaN, or a time lies 2⁵¹ ms or more from the
    /// intercept (past what the integer-to-double conversion below converts exactly).
    #[target_feature(enable = "avx2")]
    pub(super) fn sums(ts: &[i64], vs: &[f64], intercept_time: i64) -> Option<[f64; 4]> {
        let (mut sum, mut c) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        let thousand = _mm256_set1_pd(1000.0);
        // d + 2⁵¹ is in [0, 2⁵²) exactly when -2⁵¹ ≤ d < 2⁵¹; those bits under the
        // exponent of 2⁵² make the double 2⁵² + d + 2⁵¹, from which d comes back exactly.
        let bias = _mm256_set1_epi64x(1 << 51);
        let exponent = _mm256_set1_epi64x(0x4330_0000_0000_0000);
        let offset = _mm256_set1_pd(6_755_399_441_055_744.0); // 2⁵² + 2⁵¹
        let intercept = _mm256_set1_epi64x(intercept_time);
        let mut out_of_range = _mm256_setzero_si256();
        let (ts_chunks, vs_chunks) = (ts.chunks_exact(4), vs.chunks_exact(4));
        let (ts_rest, vs_rest) = (ts_chunks.remainder(), vs_chunks.remainder());
        for (t4, v4) in ts_chunks.zip(vs_chunks) {
            // SAFETY: each chunk holds the four values an unaligned load reads.
            let (t, v) = unsafe {
                let t = _mm256_loadu_si256(t4.as_ptr().cast());
                (t, _mm256_loadu_pd(v4.as_ptr()))
            };
            let biased = _mm256_add_epi64(_mm256_sub_epi64(t, intercept), bias);
            out_of_range = _mm256_or_si256(out_of_range, biased);
            let d = _mm256_castsi256_pd(_mm256_or_si256(biased, exponent));
            let x = _mm256_div_pd(_mm256_sub_pd(d, offset), thousand);
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
        let (mut sums, mut cs, mut range) = ([0.0; 4], [0.0; 4], [0u64; 4]);
        // SAFETY: each array holds the four values an unaligned store writes.
        unsafe {
            _mm256_storeu_pd(sums.as_mut_ptr(), sum);
            _mm256_storeu_pd(cs.as_mut_ptr(), c);
            _mm256_storeu_si256(range.as_mut_ptr().cast(), out_of_range);
        }
        let finite = sums.iter().chain(&cs).all(|v| v.is_finite());
        let in_range = range.iter().all(|bits| bits >> 52 == 0);
        (finite && in_range).then(|| KahanLanes::from_parts(sums, cs).totals())
    }

    /// One step of a compensated sum in every lane: the new sum `sum + inc`, and the
    /// compensation plus what that addition dropped, found by 2Sum without comparing the
    /// operands. Exact, so equal to Neumaier's term, whenever the result is finite.
    #[target_feature(enable = "avx2")]
    fn add(sum: __m256d, c: __m256d, inc: __m256d) -> (__m256d, __m256d) {
        let t = _mm256_add_pd(sum, inc);
        let inc_part = _mm256_sub_pd(t, sum);
        let sum_part = _mm256_sub_pd(t, inc_part);
        let lost = _mm256_add_pd(_mm256_sub_pd(sum, sum_part), _mm256_sub_pd(inc, inc_part));
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

    /// The bits of each sum, every NaN alike.
    fn bits(sums: [f64; 4]) -> [u64; 4] {
        sums.map(|v| {
            if v.is_nan() {
                f64::NAN.to_bits()
            } else {
                v.to_bits()
            }
        })
    }

    #[test]
    fn an_overflow_only_2sum_meets_is_summed_again_by_the_portable_code() {
        // The y sum goes -3·2⁹⁷⁰, then MAX - 2⁹⁷¹: the difference 2Sum takes next is
        // MAX + 2⁹⁷⁰, which rounds to infinity, while Neumaier's term is -2⁹⁷⁰. (x is -1
        // then 0, so no other sum comes near an overflow.)
        let (ts, vs) = ([-1000, 0], [-3.0 * 2f64.powi(970), f64::MAX]);
        assert!(portable_sums(&ts, &vs, 0).iter().all(|s| s.is_finite()));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor running this has AVX2, as just checked.
            assert_eq!(unsafe { avx2::sums(&ts, &vs, 0) }, None);
        }
        let [_, y, _, _] = sums(&ts, &vs, 0);
        assert_eq!(y, f64::MAX - 2f64.powi(971) - 2f64.powi(970));
        assert_eq!(bits(sums(&ts, &vs, 0)), bits(portable_sums(&ts, &vs, 0)));
    }

    #[test]
    fn times_far_from_the_intercept_are_converted_exactly() {
        let far = 1i64 << 52;
        let ts: Vec<i64> = (0..9).map(|i| far + i * 15_000 + 1).collect();
        let vs: Vec<f64> = (0..9).map(|i| i as f64).collect();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor running this has AVX2, as just checked.
            assert_eq!(unsafe { avx2::sums(&ts, &vs, 0) }, None);
            assert!(unsafe { avx2::sums(&ts, &vs, far) }.is_some());
        }
        for intercept in [0, far, -far] {
            let (fast, plain) = (sums(&ts, &vs, intercept), portable_sums(&ts, &vs, intercept));
            assert_eq!(bits(fast), bits(plain));
        }
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
            prop_assert_eq!(bits(sums(&ts, &vs, intercept)), bits(portable_sums(&ts, &vs, intercept)));
        }
    }
}
