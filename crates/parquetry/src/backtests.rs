//! Rules over the store: backtests and writing their outputs back.

use crate::source::StoreSource;
use crate::span_metrics_source::WithSpanMetrics;
use crate::{Engine, Error};
use parquetry_rules::{Backtest, BacktestOptions, MemoryStore, RuleSet};
use parquetry_store::{SeriesSamples, Writer};

/// Series per write batch when writing rule outputs back.
const WRITE_BATCH: usize = 4096;

impl Engine {
    /// Evaluates `rules` over the store's history as [`parquetry_rules::backtest`]
    /// describes: recording-rule series, `ALERTS`, and every alert episode. PromQL rules
    /// read the metrics, LogQL rules (Loki's ruler files) the logs.
    pub fn backtest(&self, rules: &RuleSet, options: &BacktestOptions) -> Result<Backtest, Error> {
        let (logs, spans) = (self.logs()?, self.spans());
        let source = WithSpanMetrics {
            inner: StoreSource(self.store()),
            spans: &spans,
        };
        Ok(parquetry_rules::backtest_with_logs(
            rules,
            &source,
            logs.as_ref(),
            options,
        ))
    }

    /// Writes series (a backtest's outputs) into the store as one commit, then refreshes
    /// the engine to see them. Returns the number of samples written. Series already in
    /// the store keep their samples; at equal times the new commit wins.
    pub fn write_series(&mut self, series: &MemoryStore) -> Result<u64, Error> {
        let mut writer = Writer::begin(self.store().root())?;
        for chunk in series.series().chunks(WRITE_BATCH) {
            let batch = chunk
                .iter()
                .map(|s| {
                    let mut out = SeriesSamples::new(s.labels.clone());
                    out.timestamps = s.timestamps.clone();
                    out.values = s.values.clone();
                    out
                })
                .collect();
            writer.write(batch)?;
        }
        let written = writer.samples_written();
        writer.commit()?;
        self.refresh()?;
        Ok(written)
    }
}
