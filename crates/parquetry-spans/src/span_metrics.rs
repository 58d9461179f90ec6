//! RED metrics from spans, under the names Tempo's metrics generator gives them, computed
//! from the spans table when a query asks for them.
//!
//! * `traces_spanmetrics_calls_total` — spans, a counter;
//! * `traces_spanmetrics_latency_bucket` (with `le`), `_sum` (seconds) and `_count` —
//!   the spans' durations as a classic histogram with Tempo's default buckets.
//!
//! Each series is one `service`, `span_name`, `span_kind` (`SPAN_KIND_SERVER`, …) and
//! `status_code` (`STATUS_CODE_ERROR`, …). **A span counts at its end time.** The
//! counters are sampled every 15 seconds, on multiples of 15 s since the epoch: the value
//! at a sample time `t` counts the spans that ended in the same UTC day, at or before
//! `t`. So a counter restarts at zero each UTC day, as a counter restarts with its
//! process, and `rate()` and `increase()` read across the restart as Prometheus does. A
//! series' samples of a day begin with a zero at the sample time before its first span
//! of the day, so the first span's increase is seen, and go on to the end of the day.

use crate::parts::SpanParts;
use crate::read::SpanStore;
use crate::span::Span;
use parquetry_model::{Labels, METRIC_NAME, Matcher};
use parquetry_table::error::Result;
use rustc_hash::FxHashMap;

/// The span counter's name.
pub const CALLS: &str = "traces_spanmetrics_calls_total";
/// The latency histogram's buckets.
pub const LATENCY_BUCKET: &str = "traces_spanmetrics_latency_bucket";
/// The latency histogram's sum, in seconds.
pub const LATENCY_SUM: &str = "traces_spanmetrics_latency_sum";
/// The latency histogram's count.
pub const LATENCY_COUNT: &str = "traces_spanmetrics_latency_count";
/// Every name the span metrics have.
pub const NAMES: [&str; 4] = [CALLS, LATENCY_BUCKET, LATENCY_SUM, LATENCY_COUNT];

/// Tempo's default latency buckets: upper bounds in seconds (`+Inf` comes after them).
pub const BUCKETS: [f64; 12] = [
    0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.02, 2.05, 4.10,
];

/// Time between two samples of a span-metric series, ms.
pub const SAMPLE_INTERVAL_MS: i64 = 15_000;

const DAY_MS: i64 = 86_400_000;
const NANOS_PER_MS: i64 = 1_000_000;

/// One span-metric series and its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanMetricSeries {
    /// Its labels, `__name__` included.
    pub labels: Labels,
    /// Sample times (ms), ascending.
    pub timestamps: Vec<i64>,
    /// Sample values.
    pub values: Vec<f64>,
}

/// The labels span-metric series have besides `__name__`.
const LABELS: [&str; 5] = ["service", "span_name", "span_kind", "status_code", "le"];

/// True when `matchers` may select a span-metric series: some span-metric name satisfies
/// every `__name__` matcher, and every matcher on a label the series do not have accepts
/// the empty value. (`{job="api"}` selects none, so the spans are not read for it.)
pub fn may_select(matchers: &[Matcher]) -> bool {
    let names = NAMES.iter().any(|name| {
        matchers
            .iter()
            .filter(|m| m.name == METRIC_NAME)
            .all(|m| m.matches(name))
    });
    names
        && matchers
            .iter()
            .filter(|m| m.name != METRIC_NAME && !LABELS.contains(&m.name.as_str()))
            .all(Matcher::matches_empty)
}

/// A bucket bound as Prometheus writes `le`.
fn le_text(bound: f64) -> String {
    if bound.is_infinite() {
        "+Inf".into()
    } else {
        format!("{bound}")
    }
}

/// The labels a span's series share, without `__name__` and `le`.
fn span_key(s: &Span) -> [String; 4] {
    [
        s.service_name(),
        s.name.clone(),
        s.kind.otlp_name().to_string(),
        s.status_code.otlp_name().to_string(),
    ]
}

fn labels_of(name: &str, key: &[String; 4], le: Option<&str>) -> Labels {
    let mut pairs = vec![
        (METRIC_NAME, name),
        ("service", key[0].as_str()),
        ("span_name", key[1].as_str()),
        ("span_kind", key[2].as_str()),
        ("status_code", key[3].as_str()),
    ];
    if let Some(le) = le {
        pairs.push(("le", le));
    }
    Labels::from_pairs(pairs)
}

/// The ends (ms) and durations (s) of one key's spans, ordered by end.
type Ends = Vec<(i64, f64)>;

/// What one span adds to a series, given its duration in seconds.
type Increment = Box<dyn Fn(f64) -> f64>;

/// The span-metric series that `matchers` select, with their samples in
/// `[min_time, max_time]` (ms).
pub fn select(
    store: &SpanStore,
    matchers: &[Matcher],
    min_time: i64,
    max_time: i64,
) -> Result<Vec<SpanMetricSeries>> {
    if !may_select(matchers) || max_time < min_time {
        return Ok(Vec::new());
    }
    let first_day = min_time.div_euclid(DAY_MS) * DAY_MS;
    let mut by_key: FxHashMap<[String; 4], Ends> = FxHashMap::default();
    // A span counts at its end; one that ends in the range may have started the day
    // before.
    let from_ns = (first_day - DAY_MS).saturating_mul(NANOS_PER_MS);
    let to_ns = max_time.saturating_add(1).saturating_mul(NANOS_PER_MS);
    // The series are keyed by the core's service, name, kind and status alone.
    store.for_each_group((from_ns, to_ns), &SpanParts::core(), &mut |spans| {
        for s in spans {
            let end_ms = s.end.div_euclid(NANOS_PER_MS);
            if (first_day..=max_time).contains(&end_ms) {
                by_key
                    .entry(span_key(&s))
                    .or_default()
                    .push((end_ms, s.duration() as f64 / 1e9));
            }
        }
        Ok(())
    })?;
    let mut out = Vec::new();
    let mut keys: Vec<_> = by_key.into_iter().collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, mut ends) in keys {
        ends.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let wanted = |name: &str, le: Option<&str>| {
            let labels = labels_of(name, &key, le);
            matchers
                .iter()
                .all(|m| m.matches(labels.get(&m.name).unwrap_or("")))
                .then_some(labels)
        };
        // Each series with what one span adds to it, given the span's duration.
        let mut series: Vec<(Labels, Increment)> = Vec::new();
        for name in [CALLS, LATENCY_COUNT] {
            if let Some(l) = wanted(name, None) {
                series.push((l, Box::new(|_| 1.0)));
            }
        }
        if let Some(l) = wanted(LATENCY_SUM, None) {
            series.push((l, Box::new(|d| d)));
        }
        for bound in BUCKETS.into_iter().chain([f64::INFINITY]) {
            if let Some(l) = wanted(LATENCY_BUCKET, Some(&le_text(bound))) {
                series.push((l, Box::new(move |d| f64::from(u8::from(d <= bound)))));
            }
        }
        for (labels, value) in series {
            let (timestamps, values) = samples(&ends, min_time, max_time, &*value);
            if !timestamps.is_empty() {
                out.push(SpanMetricSeries {
                    labels,
                    timestamps,
                    values,
                });
            }
        }
    }
    Ok(out)
}

/// The samples in `[min_time, max_time]` of a counter over `ends` (sorted by end), its
/// value at a sample time being the sum of `increment(duration)` over the spans that
/// ended that day up to then.
fn samples(
    ends: &[(i64, f64)],
    min_time: i64,
    max_time: i64,
    increment: &dyn Fn(f64) -> f64,
) -> (Vec<i64>, Vec<f64>) {
    let (mut timestamps, mut values) = (Vec::new(), Vec::new());
    let mut day_start_index = 0;
    while day_start_index < ends.len() {
        let day = ends[day_start_index].0.div_euclid(DAY_MS) * DAY_MS;
        let day_end_index =
            day_start_index + ends[day_start_index..].partition_point(|(t, _)| *t < day + DAY_MS);
        let day_ends = &ends[day_start_index..day_end_index];
        // The sample time before the first span's end (a zero; none when the span ends
        // at midnight), then every one to the day's end, within the range.
        let zero = (day_ends[0].0 - 1).div_euclid(SAMPLE_INTERVAL_MS) * SAMPLE_INTERVAL_MS;
        let first_in_range =
            (min_time + SAMPLE_INTERVAL_MS - 1).div_euclid(SAMPLE_INTERVAL_MS) * SAMPLE_INTERVAL_MS;
        let mut t = zero.max(day).max(first_in_range);
        let last = (day + DAY_MS - 1).min(max_time);
        let (mut counted, mut total) = (0, 0.0);
        while t <= last {
            while counted < day_ends.len() && day_ends[counted].0 <= t {
                total += increment(day_ends[counted].1);
                counted += 1;
            }
            timestamps.push(t);
            values.push(total);
            t += SAMPLE_INTERVAL_MS;
        }
        day_start_index = day_end_index;
    }
    (timestamps, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::span;
    use crate::writer::SpansWriter;
    use parquetry_model::MatchOp;
    use parquetry_table::Storage;
    use proptest::prelude::*;

    const T0_MS: i64 = 20_000 * DAY_MS;

    fn store(spans: Vec<Span>) -> (tempfile::TempDir, SpanStore) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let mut w = SpansWriter::begin(&storage).unwrap();
        w.write(spans).unwrap();
        w.commit().unwrap();
        let store = SpanStore::open(&storage).unwrap();
        (dir, store)
    }

    fn name_is(name: &str) -> Matcher {
        Matcher::equal(METRIC_NAME, name)
    }

    #[test]
    fn calls_count_spans_at_their_end_from_a_zero() {
        // Ends at +1 ms, +20 s and +20 s (1 µs spans starting then).
        let spans = vec![
            span(1, 1, None, (T0_MS + 1) * NANOS_PER_MS - 1_000, "cart"),
            span(2, 2, None, (T0_MS + 20_000) * NANOS_PER_MS - 1_000, "cart"),
            span(3, 3, None, (T0_MS + 20_000) * NANOS_PER_MS - 1_000, "cart"),
        ];
        let (_dir, store) = store(spans);
        let got = select(&store, &[name_is(CALLS)], T0_MS - 60_000, T0_MS + 45_000).unwrap();
        assert_eq!(got.len(), 3, "one series per span name");
        let first = &got[0];
        assert_eq!(first.labels.get("service"), Some("cart"));
        assert_eq!(first.labels.get("span_kind"), Some("SPAN_KIND_SERVER"));
        assert_eq!(first.labels.get("status_code"), Some("STATUS_CODE_UNSET"));
        assert_eq!(
            first.timestamps,
            vec![T0_MS, T0_MS + 15_000, T0_MS + 30_000, T0_MS + 45_000]
        );
        assert_eq!(first.values, vec![0.0, 1.0, 1.0, 1.0]);
        assert_eq!(got[1].timestamps[0], T0_MS + 15_000);
        assert_eq!(got[1].values, vec![0.0, 1.0, 1.0]);
    }

    #[test]
    fn latency_buckets_are_cumulative() {
        let mut slow = span(1, 1, None, T0_MS * NANOS_PER_MS, "db");
        slow.end = slow.start + 300_000_000; // 0.3 s
        let mut fast = span(2, 1, None, T0_MS * NANOS_PER_MS, "db");
        fast.end = fast.start + 3_000_000; // 3 ms
        let (_dir, store) = store(vec![slow, fast]);
        let m = [Matcher::new(MatchOp::RegexMatch, METRIC_NAME, "traces_spanmetrics_latency_.*").unwrap()];
        let got = select(&store, &m, T0_MS, T0_MS + 15_000).unwrap();
        let at_15s = |name: &str, le: Option<&str>| {
            got.iter()
                .find(|s| s.labels.get(METRIC_NAME) == Some(name) && s.labels.get("le") == le)
                .map(|s| *s.values.last().unwrap())
        };
        assert_eq!(at_15s(LATENCY_BUCKET, Some("0.002")), Some(0.0));
        assert_eq!(at_15s(LATENCY_BUCKET, Some("0.004")), Some(1.0));
        assert_eq!(at_15s(LATENCY_BUCKET, Some("0.256")), Some(1.0));
        assert_eq!(at_15s(LATENCY_BUCKET, Some("0.512")), Some(2.0));
        assert_eq!(at_15s(LATENCY_BUCKET, Some("+Inf")), Some(2.0));
        assert_eq!(at_15s(LATENCY_COUNT, None), Some(2.0));
        assert!((at_15s(LATENCY_SUM, None).unwrap() - 0.303).abs() < 1e-9);
        assert!(
            select(&store, &[name_is("up")], T0_MS, T0_MS + 15_000)
                .unwrap()
                .is_empty()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// At every sample time, the counter equals a brute-force count of the raw spans
        /// of its series that ended that UTC day at or before then.
        #[test]
        fn counters_agree_with_a_brute_force_count(
            raw in prop::collection::vec((0i64..3 * DAY_MS / 1000, 0i64..5_000, 0u8..3, any::<bool>()), 1..60),
            window in (0i64..3 * DAY_MS, 1i64..4 * 3_600_000),
        ) {
            let spans: Vec<Span> = raw
                .iter()
                .enumerate()
                .map(|(i, &(start_s, dur_ms, service, error))| {
                    let mut s = span(i as u8 + 1, 1, None, (T0_MS + start_s * 1000) * NANOS_PER_MS, ["a", "b", "c"][service as usize]);
                    s.end = s.start + dur_ms * NANOS_PER_MS;
                    s.name = "op".into();
                    if error {
                        s.status_code = crate::StatusCode::Error;
                    }
                    s
                })
                .collect();
            let (_dir, store) = store(spans.clone());
            let (min_time, max_time) = (T0_MS + window.0, T0_MS + window.0 + window.1);
            for series in select(&store, &[name_is(CALLS)], min_time, max_time).unwrap() {
                for (&t, &v) in series.timestamps.iter().zip(&series.values) {
                    prop_assert!((min_time..=max_time).contains(&t));
                    let day = t.div_euclid(DAY_MS) * DAY_MS;
                    let brute = spans
                        .iter()
                        .filter(|s| {
                            let end = s.end.div_euclid(NANOS_PER_MS);
                            span_key(s)[0] == series.labels.get("service").unwrap_or("")
                                && span_key(s)[3] == series.labels.get("status_code").unwrap_or("")
                                && end >= day
                                && end <= t
                        })
                        .count();
                    prop_assert_eq!(v, brute as f64, "at {}", t);
                }
            }
        }
    }
}
