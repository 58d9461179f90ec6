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

/// The selection's series `0..n` cut into batches for the pool's threads.
fn batch_ranges(n: usize) -> Vec<Range<usize>> {
    batches_for_threads(n, rayon::current_num_threads())
}

/// The series `0..n` cut into as few batches of about equal size as give each of
/// `threads` threads the same number, each at most [`BATCH_SERIES`] and no smaller than
/// [`MIN_BATCH_SERIES`] (the last one may be). Few batches matter because the rows of
/// two neighbouring batches usually meet inside a page, and both decompress and decode
/// that page: with a batch of 100 series of a day each, a boundary page is about a
/// quarter of a batch's reading.
fn batches_for_threads(n: usize, threads: usize) -> Vec<Range<usize>> {
    let threads = threads.max(1);
    let batches = threads * n.div_ceil(threads * BATCH_SERIES).max(1);
    let size = n.div_ceil(batches).max(MIN_BATCH_SERIES);
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
            labels: s.labels,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(n: usize, threads: usize) -> Vec<usize> {
        batches_for_threads(n, threads).iter().map(|r| r.len()).collect()
    }

    #[test]
    fn every_thread_gets_as_many_batches_of_about_equal_size() {
        assert_eq!(sizes(800, 2), [400, 400]);
        assert_eq!(sizes(2400, 2), [400; 6]);
        assert_eq!(sizes(1025, 1), [342, 342, 341]);
        assert_eq!(sizes(8, 4), [8]);
    }

    #[test]
    fn batches_cover_the_series_in_order_within_the_bounds() {
        for threads in [1, 2, 3, 8] {
            for n in [0, 1, 63, 64, 65, 100, 511, 512, 513, 1024, 5000, 30_001] {
                let ranges = batches_for_threads(n, threads);
                let mut next = 0;
                for (i, r) in ranges.iter().enumerate() {
                    assert_eq!(r.start, next, "{n} series, {threads} threads");
                    assert!(r.len() <= BATCH_SERIES.max(MIN_BATCH_SERIES));
                    assert!(r.len() >= MIN_BATCH_SERIES || i + 1 == ranges.len());
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }
}
