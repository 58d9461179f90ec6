//! PromQL's view of the store with the span metrics added: a selector that names
//! `traces_spanmetrics_*` reads series computed from the spans table (see
//! [`parquetry_spans::span_metrics`]) beside whatever the metrics table holds.

use parquetry_model::Matcher;
use parquetry_promql::eval::{EvalError, RawSeries, SeriesSource};
use parquetry_spans::SpanStore;
use parquetry_spans::span_metrics::{self, SpanMetricSeries};

/// A source of raw samples (`inner`) with the span metrics of `spans` added.
pub struct WithSpanMetrics<'a, S> {
    /// The metrics the store holds.
    pub inner: S,
    /// The spans the span metrics count.
    pub spans: &'a SpanStore,
}

impl<S> WithSpanMetrics<'_, S> {
    /// The span-metric series the matchers select, with samples in the range.
    fn span_series(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
    ) -> Result<Vec<RawSeries>, EvalError> {
        let series = span_metrics::select(self.spans, matchers, min_time, max_time)
            .map_err(|e| EvalError::Storage(e.to_string()))?;
        Ok(series
            .into_iter()
            .map(
                |SpanMetricSeries {
                     labels,
                     timestamps,
                     values,
                 }| RawSeries {
                    labels: std::sync::Arc::new(labels),
                    drop_name: false,
                    timestamps: timestamps.into(),
                    values: values.into(),
                },
            )
            .collect())
    }
}

impl<S: SeriesSource> SeriesSource for WithSpanMetrics<'_, S> {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        self.inner.select_batches(matchers, min_time, max_time, each)?;
        let spans = self.span_series(matchers, min_time, max_time)?;
        if spans.is_empty() { Ok(()) } else { each(spans) }
    }

    fn for_each_batch(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &(dyn Fn(usize, Vec<RawSeries>) -> Result<(), EvalError> + Sync),
    ) -> Result<usize, EvalError> {
        let n = self.inner.for_each_batch(matchers, min_time, max_time, each)?;
        let spans = self.span_series(matchers, min_time, max_time)?;
        if spans.is_empty() {
            return Ok(n);
        }
        each(n, spans)?;
        Ok(n + 1)
    }
}
