//! Compensated summation, as Prometheus uses for sums and means.

/// Adds `inc` to `sum` with Neumaier's compensation `c`; returns the new sum and
/// compensation. The result is `sum + c`.
pub fn kahan_sum_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// The compensated sum of `values`.
pub fn kahan_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let (s, c) = values
        .into_iter()
        .fold((0.0, 0.0), |(s, c), v| kahan_sum_inc(v, s, c));
    s + c
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
}
