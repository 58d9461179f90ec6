//! The range functions' kernels: each function's value over one window of samples,
//! with the function resolved from its name once per query.

use super::super::kahan::{kahan_mean, kahan_sum, kahan_sum_inc};
use super::extrapolation::extrapolated_rate;
use super::quantile;
use super::regression::linear_regression;

/// A function of a range vector, resolved once per query from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeFn {
    /// `rate`.
    Rate,
    /// `increase`.
    Increase,
    /// `delta`.
    Delta,
    /// `irate`.
    Irate,
    /// `idelta`.
    Idelta,
    /// `deriv`.
    Deriv,
    /// `predict_linear`.
    PredictLinear,
    /// `changes`.
    Changes,
    /// `resets`.
    Resets,
    /// `avg_over_time`.
    AvgOverTime,
    /// `sum_over_time`.
    SumOverTime,
    /// `count_over_time`.
    CountOverTime,
    /// `min_over_time`.
    MinOverTime,
    /// `max_over_time`.
    MaxOverTime,
    /// `last_over_time`.
    LastOverTime,
    /// `first_over_time`.
    FirstOverTime,
    /// `present_over_time`.
    PresentOverTime,
    /// `stddev_over_time`.
    StddevOverTime,
    /// `stdvar_over_time`.
    StdvarOverTime,
    /// `mad_over_time`.
    MadOverTime,
    /// `quantile_over_time`.
    QuantileOverTime,
    /// `double_exponential_smoothing`.
    DoubleExponentialSmoothing,
    /// `ts_of_max_over_time`.
    TsOfMaxOverTime,
    /// `ts_of_min_over_time`.
    TsOfMinOverTime,
    /// `ts_of_last_over_time`.
    TsOfLastOverTime,
    /// `ts_of_first_over_time`.
    TsOfFirstOverTime,
}

/// Every range function with its name.
const NAMES: [(RangeFn, &str); 26] = [
    (RangeFn::Rate, "rate"),
    (RangeFn::Increase, "increase"),
    (RangeFn::Delta, "delta"),
    (RangeFn::Irate, "irate"),
    (RangeFn::Idelta, "idelta"),
    (RangeFn::Deriv, "deriv"),
    (RangeFn::PredictLinear, "predict_linear"),
    (RangeFn::Changes, "changes"),
    (RangeFn::Resets, "resets"),
    (RangeFn::AvgOverTime, "avg_over_time"),
    (RangeFn::SumOverTime, "sum_over_time"),
    (RangeFn::CountOverTime, "count_over_time"),
    (RangeFn::MinOverTime, "min_over_time"),
    (RangeFn::MaxOverTime, "max_over_time"),
    (RangeFn::LastOverTime, "last_over_time"),
    (RangeFn::FirstOverTime, "first_over_time"),
    (RangeFn::PresentOverTime, "present_over_time"),
    (RangeFn::StddevOverTime, "stddev_over_time"),
    (RangeFn::StdvarOverTime, "stdvar_over_time"),
    (RangeFn::MadOverTime, "mad_over_time"),
    (RangeFn::QuantileOverTime, "quantile_over_time"),
    (
        RangeFn::DoubleExponentialSmoothing,
        "double_exponential_smoothing",
    ),
    (RangeFn::TsOfMaxOverTime, "ts_of_max_over_time"),
    (RangeFn::TsOfMinOverTime, "ts_of_min_over_time"),
    (RangeFn::TsOfLastOverTime, "ts_of_last_over_time"),
    (RangeFn::TsOfFirstOverTime, "ts_of_first_over_time"),
];

impl RangeFn {
    /// The range function called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<RangeFn> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The function's name.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(f, _)| *f == self).map_or("", |(_, n)| n)
    }
}

impl RangeFn {
    /// The function's value over one window: samples `ts` (milliseconds) and `vs`, the
    /// window `start..=end` of length `range`, evaluated at `step_time`, with the scalar
    /// parameters `p0` and `p1` (`quantile_over_time`'s φ, …). `None` when the function
    /// gives no value for these samples (too few for a rate). `ts`/`vs` is non-empty.
    /// LogQL's range aggregations share these kernels.
    #[allow(clippy::too_many_arguments)]
    pub fn window_value(
        self,
        ts: &[i64],
        vs: &[f64],
        start: i64,
        end: i64,
        range: i64,
        step_time: i64,
        p0: f64,
        p1: f64,
    ) -> Option<f64> {
        let last = vs.len() - 1;
        Some(match self {
            RangeFn::Rate => extrapolated_rate(ts, vs, (start, end, range), true, true)?,
            RangeFn::Increase => extrapolated_rate(ts, vs, (start, end, range), true, false)?,
            RangeFn::Delta => extrapolated_rate(ts, vs, (start, end, range), false, false)?,
            RangeFn::Irate | RangeFn::Idelta => {
                if vs.len() < 2 {
                    return None;
                }
                let (prev, cur) = (vs[last - 1], vs[last]);
                let mut d = cur - prev;
                if self == RangeFn::Irate {
                    if cur < prev {
                        d = cur;
                    }
                    let dt = (ts[last] - ts[last - 1]) as f64 / 1000.0;
                    if dt == 0.0 {
                        return None;
                    }
                    d /= dt;
                }
                d
            }
            RangeFn::Deriv => {
                if vs.len() < 2 {
                    return None;
                }
                linear_regression(ts, vs, ts[0]).0
            }
            RangeFn::PredictLinear => {
                if vs.len() < 2 {
                    return None;
                }
                let (slope, intercept) = linear_regression(ts, vs, step_time);
                intercept + slope * p0
            }
            RangeFn::Changes => vs
                .windows(2)
                .filter(|w| !(w[0] == w[1] || (w[0].is_nan() && w[1].is_nan())))
                .count() as f64,
            RangeFn::Resets => vs.windows(2).filter(|w| w[1] < w[0]).count() as f64,
            RangeFn::AvgOverTime => kahan_mean(vs.iter().copied()),
            RangeFn::SumOverTime => kahan_sum(vs.iter().copied()),
            RangeFn::CountOverTime => vs.len() as f64,
            RangeFn::MinOverTime => vs[1..]
                .iter()
                .fold(vs[0], |m, &v| if v < m || m.is_nan() { v } else { m }),
            RangeFn::MaxOverTime => vs[1..]
                .iter()
                .fold(vs[0], |m, &v| if v > m || m.is_nan() { v } else { m }),
            RangeFn::LastOverTime => vs[last],
            RangeFn::FirstOverTime => vs[0],
            RangeFn::PresentOverTime => 1.0,
            RangeFn::StddevOverTime | RangeFn::StdvarOverTime => {
                let (mut n, mut mean, mut cm, mut aux, mut ca) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for &v in vs {
                    n += 1.0;
                    let delta = v - (mean + cm);
                    (mean, cm) = kahan_sum_inc(delta / n, mean, cm);
                    (aux, ca) = kahan_sum_inc(delta * (v - (mean + cm)), aux, ca);
                }
                let var = (aux + ca) / n;
                if self == RangeFn::StddevOverTime {
                    var.sqrt()
                } else {
                    var
                }
            }
            RangeFn::MadOverTime => {
                if vs.iter().any(|v| v.is_nan()) {
                    return Some(f64::NAN);
                }
                let median = quantile(0.5, vs.to_vec());
                quantile(0.5, vs.iter().map(|v| (v - median).abs()).collect())
            }
            RangeFn::QuantileOverTime => quantile(p0, vs.to_vec()),
            RangeFn::DoubleExponentialSmoothing => double_exponential_smoothing(vs, p0, p1)?,
            RangeFn::TsOfMaxOverTime | RangeFn::TsOfMinOverTime => {
                let max = self == RangeFn::TsOfMaxOverTime;
                let mut best = 0;
                for (i, &v) in vs.iter().enumerate().skip(1) {
                    let b = vs[best];
                    // Later samples win ties; NaN loses to any number.
                    let better = if max {
                        v >= b || b.is_nan()
                    } else {
                        v <= b || b.is_nan()
                    };
                    if better && !v.is_nan() {
                        best = i;
                    }
                }
                ts[best] as f64 / 1000.0
            }
            RangeFn::TsOfLastOverTime => ts[last] as f64 / 1000.0,
            RangeFn::TsOfFirstOverTime => ts[0] as f64 / 1000.0,
        })
    }
}

fn double_exponential_smoothing(vs: &[f64], sf: f64, tf: f64) -> Option<f64> {
    if vs.len() < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0, vs[0]);
    let mut b = vs[1] - vs[0];
    for (i, &v) in vs.iter().enumerate().skip(1) {
        let x = sf * v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    Some(s1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_resolve_both_ways() {
        for (f, n) in NAMES {
            assert_eq!((RangeFn::from_name(n), f.name()), (Some(f), n));
        }
        assert_eq!(RangeFn::from_name("rates"), None);
    }

    proptest! {
        #[test]
        fn over_time_kernels_equal_brute_force(vs in proptest::collection::vec(-1e6f64..1e6, 1..40)) {
            let ts: Vec<i64> = (0..vs.len() as i64).map(|i| i * 1000).collect();
            let run = |name: &str| {
                let f = RangeFn::from_name(name).unwrap();
                f.window_value(&ts, &vs, -1, ts[ts.len() - 1], 1, 0, 0.5, 0.5).unwrap()
            };
            let sum: f64 = vs.iter().sum();
            prop_assert!((run("sum_over_time") - sum).abs() <= 1e-6 * (1.0 + sum.abs()));
            prop_assert!((run("avg_over_time") - sum / vs.len() as f64).abs() <= 1e-6 * (1.0 + sum.abs()));
            prop_assert_eq!(run("count_over_time"), vs.len() as f64);
            prop_assert_eq!(run("max_over_time"), vs.iter().cloned().fold(f64::MIN, f64::max));
            prop_assert_eq!(run("min_over_time"), vs.iter().cloned().fold(f64::MAX, f64::min));
            let changes = vs.windows(2).filter(|w| w[0] != w[1]).count() as f64;
            prop_assert_eq!(run("changes"), changes);
            let resets = vs.windows(2).filter(|w| w[1] < w[0]).count() as f64;
            prop_assert_eq!(run("resets"), resets);
            let mean = sum / vs.len() as f64;
            let var = vs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vs.len() as f64;
            prop_assert!((run("stdvar_over_time") - var).abs() <= 1e-6 * (1.0 + var));
        }
    }
}
