//! The store as a source of raw samples for the PromQL evaluator.

use parquetry_model::Matcher;
use parquetry_promql::eval::{EvalError, RawSeries, SeriesSource};
use parquetry_store::{Selection, Store};
use rayon::prelude::*;
use std::ops::Range;

/// Most series per batch read from the files.
const BATCH_SERIES: usize = 512;
/// Fewest series per batch when a selection is split to keep every thread busy.
const MIN_BATCH_SERIES: usize = 64;

/// The selection's series `0..n` cut into batches: at most [`BATCH_SERIES`] each, and
/// small enough that every thread gets several (so no thread idles while the last batch
/// is read), but no smaller than [`MIN_BATCH_SERIES`].
fn batch_ranges(n: usize) -> Vec<Range<usize>> {
    let threads = rayon::current_num_threads().max(1);
    let size = n.div_ceil(threads * 4).clamp(MIN_BATCH_SERIES, BATCH_SERIES);
    (0..n).step_by(size).map(|s| s..(s + size).min(n)).collect()
}

/// Reads a store snapshot's series for the evaluator: batches of series in parallel, with
/// at most one batch per thread in memory before the evaluator reduces them.
pub struct StoreSource<'a>(pub &'a Store);

/// Reads a batch of the selection as the evaluator's raw series, leaving out series
/// without samples in the time range.
fn read_raw(selection: &Selection, range: Range<usize>) -> Result<Vec<RawSeries>, EvalError> {
    Ok(selection
        .read_each(range)
        .map_err(storage)?
        .into_iter()
        .filter(|s| !s.timestamps.is_empty())
        .map(|s| RawSeries {
            labels: (*s.labels).clone(),
            drop_name: false,
            timestamps: s.timestamps,
            values: s.values,
        })
        .collect())
}

fn storage(e: parquetry_store::StoreError) -> EvalError {
    EvalError::Storage(e.to_string())
}

impl SeriesSource for StoreSource<'_> {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let selection = self.0.select(matchers, min_time, max_time).map_err(storage)?;
        let ranges = batch_ranges(selection.series().len());
        // Read as many batches at once as there are threads, then hand them over in order.
        for group in ranges.chunks(rayon::current_num_threads().max(1)) {
            let batches: Vec<Vec<RawSeries>> = group
                .par_iter()
                .map(|r| read_raw(&selection, r.clone()))
                .collect::<Result<_, _>>()?;
            for batch in batches {
                each(batch)?;
            }
        }
        Ok(())
    }

    /// Every batch is read and handed over on the thread that picked it up, so reading
    /// and reducing overlap across threads and no batch waits for a slower neighbour.
    fn for_each_batch(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &(dyn Fn(usize, Vec<RawSeries>) -> Result<(), EvalError> + Sync),
    ) -> Result<usize, EvalError> {
        let selection = self.0.select(matchers, min_time, max_time).map_err(storage)?;
        let ranges = batch_ranges(selection.series().len());
        let n = ranges.len();
        ranges
            .into_par_iter()
            .enumerate()
            .try_for_each(|(i, r)| each(i, read_raw(&selection, r)?))?;
        Ok(n)
    }
}
