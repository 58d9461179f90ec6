//! Compaction and retention of the metrics table: how it rewrites a day
//! ([`MetricsDays`]). The table core plans and commits (see
//! [`parquetry_table::maintenance`]); `parquetry::maintenance` runs it on every table.

use crate::batch::SeriesSamples;
use crate::error::Result;
use crate::segment::{PARTITION_MS, SamplesSegment};
use crate::store::Store;
use parquetry_table::maintenance::DayRewriter;
use parquetry_table::{LogState, Segment, Storage, TableKind};
use std::sync::Arc;

/// Rewrites days of the metrics table: every series' samples of the day, read in
/// batches of series, into one samples file.
#[derive(Clone, Copy, Debug, Default)]
pub struct MetricsDays;

impl DayRewriter for MetricsDays {
    fn table(&self) -> TableKind {
        TableKind::Metrics
    }

    fn rewrite_days(
        &self,
        storage: &Storage,
        state: &Arc<LogState>,
        days: &[i64],
        committed_at: i64,
    ) -> Result<(Vec<Segment>, u64)> {
        let store = Store::at(storage.clone(), (**state).clone())?;
        let (mut added, mut samples) = (Vec::new(), 0);
        for &day in days {
            let mut segment = SamplesSegment::new(storage);
            let selection = store.select_all(day, day + PARTITION_MS - 1)?;
            let n = selection.series().len();
            let step = crate::select::DEFAULT_BATCH_SERIES;
            let batches = (0..n).step_by(step).map(|s| {
                Ok(selection
                    .read_each(s..(s + step).min(n))?
                    .into_iter()
                    .map(SeriesSamples::from)
                    .collect())
            });
            segment.write_day(day, batches)?;
            samples += segment.samples();
            added.extend(segment.into_builder().finish(committed_at, &mut |_| Ok(()))?);
        }
        Ok((added, samples))
    }
}
