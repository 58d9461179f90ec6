//! Stateless pseudo-randomness: every draw is a pure function of its coordinates, so a
//! series generates the same values whatever order the output is written in.

/// The SplitMix64 finalizer: a bijective 64-bit mix with good avalanche.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A uniform draw in `[0, 1)` determined by `seed` and the coordinates.
pub fn unit(seed: u64, coords: &[u64]) -> f64 {
    let h = coords.iter().fold(mix(seed), |h, &c| mix(h ^ c));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// `x` rounded to an integer up or down with probability matching its fraction, so that
/// sums of rounded rates keep their expectation.
pub fn stochastic_round(x: f64, u: f64) -> f64 {
    let floor = x.floor();
    if u < x - floor { floor + 1.0 } else { floor }
}

/// The standard normal CDF, to about 1e-7 (Abramowitz and Stegun 7.1.26 for erf).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_spread() {
        assert_eq!(unit(1, &[2, 3]), unit(1, &[2, 3]));
        assert_ne!(unit(1, &[2, 3]), unit(1, &[3, 2]));
        let mean: f64 = (0..10_000).map(|i| unit(7, &[i])).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }

    #[test]
    fn normal_cdf_is_accurate() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }

    #[test]
    fn stochastic_rounding_keeps_the_mean() {
        let total: f64 = (0..10_000).map(|i| stochastic_round(2.3, unit(3, &[i]))).sum();
        assert!((total / 10_000.0 - 2.3).abs() < 0.02);
    }
}
