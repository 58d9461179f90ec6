//! Prometheus' extrapolation of a window's change towards the window's edges (`rate`,
//! `increase`, `delta`), and a memo of its divisions for counters scraped at a steady
//! interval, whose samples fall at the same places in window after window.

/// Prometheus' extrapolated rate/increase/delta over one window `start..=end` of length
/// `range` (ms) holding samples `ts`/`vs`: the change over the samples (counter resets
/// compensated when `counter`), extrapolated towards the window's edges when the samples
/// are close enough to them, per second of `range` when `rate`. `None` with fewer than
/// two samples.
pub(super) fn extrapolated_rate(
    ts: &[i64],
    vs: &[f64],
    (start, end, range): (i64, i64, i64),
    counter: bool,
    rate: bool,
) -> Option<f64> {
    if vs.len() < 2 {
        return None;
    }
    let mut change = vs[vs.len() - 1] - vs[0];
    if counter {
        let mut prev = vs[0];
        for &v in &vs[1..] {
            if v < prev {
                change += prev;
            }
            prev = v;
        }
    }
    let edges = Edges::of(ts[0], ts[ts.len() - 1], ts.len(), start, end);
    let to_start = match counter {
        true => edges.start_gap(vs[0], change),
        false => edges.to_start,
    };
    Some(change * edges.factor(to_start, rate, range))
}

/// Where a window's first and last samples fall in it, in the seconds Prometheus computes
/// with: the gaps to the window's start and end (each cut to half the average sample
/// interval when over 1.1 intervals) and the span from the first sample to the last.
#[derive(Clone, Copy, Debug)]
struct Edges {
    to_start: f64,
    to_end: f64,
    sampled: f64,
}

impl Edges {
    /// The edges of a window `start..=end` whose `count` (≥ 2) samples run from `first`
    /// to `last` (ms).
    fn of(first: i64, last: i64, count: usize, start: i64, end: i64) -> Edges {
        let mut to_start = (first - start) as f64 / 1000.0;
        let mut to_end = (end - last) as f64 / 1000.0;
        let sampled = (last - first) as f64 / 1000.0;
        let average = sampled / (count - 1) as f64;
        let threshold = average * 1.1;
        if to_start >= threshold {
            to_start = average / 2.0;
        }
        if to_end >= threshold {
            to_end = average / 2.0;
        }
        Edges {
            to_start,
            to_end,
            sampled,
        }
    }

    /// The gap to extrapolate a counter over towards the window's start: the counter's
    /// zero point when it rose (`change` > 0) from a `first` value that is not negative
    /// and the zero point is nearer than the start gap, else the start gap.
    fn start_gap(self, first: f64, change: f64) -> f64 {
        if change > 0.0 && first >= 0.0 {
            let to_zero = self.sampled * (first / change);
            if to_zero < self.to_start {
                return to_zero;
            }
        }
        self.to_start
    }

    /// True only when [`Edges::start_gap`] surely gives the start gap, found without a
    /// division: the zero point lies beyond the start gap by far more than rounding can
    /// move either (products of normal, finite numbers, each off by at most half an ulp,
    /// against a margin of 2^-20).
    fn zero_point_is_not_nearer(self, first: f64, change: f64) -> bool {
        if !(change > 0.0 && first >= 0.0) {
            return true;
        }
        let zero_side = first * self.sampled;
        let start_side = self.to_start * change * ZERO_POINT_MARGIN;
        zero_side.is_finite() && start_side >= f64::MIN_POSITIVE && zero_side > start_side
    }

    /// The factor that takes the change over the samples to the change over the window
    /// (per second of `range` ms when `rate`), extrapolating `to_start` towards the start.
    fn factor(self, to_start: f64, rate: bool, range: i64) -> f64 {
        let mut interval = self.sampled;
        interval += to_start;
        interval += self.to_end;
        let mut factor = interval / self.sampled;
        if rate {
            factor /= range as f64 / 1000.0;
        }
        factor
    }
}

/// How far beyond the start gap [`Edges::zero_point_is_not_nearer`] wants the zero point,
/// as a factor: 1 + 2^-20, some 2^33 times what rounding can move either side.
const ZERO_POINT_MARGIN: f64 = 1.0 + 1.0 / (1u64 << 20) as f64;

/// Where a window's samples fall, in whole milliseconds: all that [`Edges`] depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    to_start_ms: i64,
    to_end_ms: i64,
    sampled_ms: i64,
    count: usize,
}

/// `rate` or `increase` of a counter's windows along one series, window after window.
/// Scrapes at a steady interval put the samples at the same places in each window, so the
/// edges and the factor of the last window are kept and reused while the samples' places
/// repeat; the caller knows where the resets are, so a window is not scanned for them.
/// Values are [`extrapolated_rate`]'s bit for bit.
pub(super) struct CounterWindows {
    range: i64,
    rate: bool,
    last: Option<(Shape, Edges, f64)>,
}

impl CounterWindows {
    /// For windows of `range` ms; per second when `rate`.
    pub(super) fn new(range: i64, rate: bool) -> CounterWindows {
        CounterWindows {
            range,
            rate,
            last: None,
        }
    }

    /// The extrapolated change over window `start..=end` holding samples `ts`/`vs`.
    /// `before_resets` are, in order, the values just before each sample of the window
    /// that is below the one before it (none for a window without a reset). `None` with
    /// fewer than two samples.
    pub(super) fn value(
        &mut self,
        ts: &[i64],
        vs: &[f64],
        start: i64,
        end: i64,
        before_resets: impl IntoIterator<Item = f64>,
    ) -> Option<f64> {
        if vs.len() < 2 {
            return None;
        }
        let (first, last) = (ts[0], ts[ts.len() - 1]);
        let shape = Shape {
            to_start_ms: first - start,
            to_end_ms: end - last,
            sampled_ms: last - first,
            count: ts.len(),
        };
        let (edges, plain) = match self.last {
            Some((seen, edges, plain)) if seen == shape => (edges, plain),
            _ => {
                let edges = Edges::of(first, last, ts.len(), start, end);
                let plain = edges.factor(edges.to_start, self.rate, self.range);
                self.last = Some((shape, edges, plain));
                (edges, plain)
            }
        };
        // Added one by one, in the order Prometheus adds them.
        let mut change = vs[vs.len() - 1] - vs[0];
        for before in before_resets {
            change += before;
        }
        let factor = match edges.zero_point_is_not_nearer(vs[0], change) {
            true => plain,
            false => edges.factor(edges.start_gap(vs[0], change), self.rate, self.range),
        };
        Some(change * factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rate_extrapolates_like_prometheus() {
        // A counter rising by 1 every 15 s, window (0, 60s], samples at 15..60.
        let ts = [15_000, 30_000, 45_000, 60_000];
        let vs = [1.0, 2.0, 3.0, 4.0];
        let window = (0, 60_000, 60_000);
        let inc = extrapolated_rate(&ts, &vs, window, true, false).unwrap();
        // 3 over 45 s, extrapolated 15 s to the start but capped by the zero point (15 s).
        assert!((inc - 4.0).abs() < 1e-12, "{inc}");
        let r = extrapolated_rate(&ts, &vs, window, true, true).unwrap();
        assert!((r - 4.0 / 60.0).abs() < 1e-12);
        let reset = extrapolated_rate(
            &[10_000, 20_000, 30_000],
            &[5.0, 1.0, 2.0],
            (0, 30_000, 30_000),
            true,
            false,
        )
        .unwrap();
        // 2 - 5 + 5 (the value before the reset) = 2 over 20 s, extrapolated to 30 s.
        assert!((reset - 3.0).abs() < 1e-12, "{reset}");
    }

    /// Values the counters start from: ordinary ones, zero, and ones at the very edge of
    /// the zero-point test (the zero point falling exactly at the start gap, or within
    /// rounding of it), besides NaN, infinities and extremes.
    fn first_values() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => 0.0f64..1e6,
            1 => Just(0.0),
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::MAX),
            1 => Just(f64::MIN_POSITIVE),
            1 => Just(5e-324),
            1 => -10.0f64..0.0,
        ]
    }

    proptest! {
        #[test]
        fn windows_with_resets_give_the_same_bits_as_the_full_computation(
            vs in proptest::collection::vec(prop_oneof![4 => 0.0f64..1e3, 1 => Just(0.0), 1 => Just(f64::NAN), 1 => 1e-300f64..1e-299], 2..60),
            interval in 1_000i64..40_000,
            to_end in 0i64..60_000,
            rate in proptest::bool::ANY,
        ) {
            let ts: Vec<i64> = (0..vs.len() as i64).map(|i| 5_000 + i * interval).collect();
            let (start, end) = (0, ts[ts.len() - 1] + to_end);
            let before: Vec<f64> = vs.windows(2).filter(|w| w[1] < w[0]).map(|w| w[0]).collect();
            let want = extrapolated_rate(&ts, &vs, (start, end, end - start), true, rate);
            let got = CounterWindows::new(end - start, rate).value(&ts, &vs, start, end, before);
            prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{:?}", vs);
        }

        #[test]
        fn reused_edges_give_the_same_bits_as_the_full_computation(
            interval in prop_oneof![Just(15_000i64), Just(10_000), 3i64..40_000],
            offset in 0i64..40_000,
            jitter in prop_oneof![3 => Just(0i64), 1 => 1i64..3],
            range in prop_oneof![Just(300_000i64), Just(60_000), 1_000i64..900_000],
            firsts in proptest::collection::vec(first_values(), 1..40),
            rises in proptest::collection::vec(prop_oneof![0.0f64..100.0, Just(0.0), Just(1e-300), Just(f64::INFINITY)], 1..40),
            near_zero_point in proptest::bool::ANY,
            rate in proptest::bool::ANY,
        ) {
            let mut windows = CounterWindows::new(range, rate);
            for (k, (&first, &rise)) in firsts.iter().zip(rises.iter().cycle()).enumerate() {
                // Windows a minute apart over scrapes every `interval`, odd ones a little late.
                let end = 1_000_000 + k as i64 * 60_000;
                let start = end - range;
                let ts: Vec<i64> = (0..)
                    .map(|i: i64| offset + i * interval + (i % 2) * jitter)
                    .skip_while(|&t| t <= start)
                    .take_while(|&t| t <= end)
                    .take(50)
                    .collect();
                let n = ts.len();
                let mut first = first;
                if near_zero_point && n >= 2 {
                    // The first value that puts the counter's zero point right at the
                    // start gap, give or take rounding.
                    let edges = Edges::of(ts[0], ts[n - 1], n, start, end);
                    first = edges.to_start * (rise * (n - 1) as f64) / edges.sampled;
                }
                let vs: Vec<f64> = (0..n).map(|i| first + rise * i as f64).collect();
                let want = extrapolated_rate(&ts, &vs, (start, end, range), true, rate);
                let got = windows.value(&ts, &vs, start, end, []);
                prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{:?} {:?}", ts, vs);
            }
        }
    }
}
