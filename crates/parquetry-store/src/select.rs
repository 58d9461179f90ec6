//! Reading the samples of selected series, batch by batch, touching only their rows.

use crate::batch::{SelectedSeries, SeriesBatch, SeriesColumns};
use crate::error::Result;
use crate::schema::samples;
use crate::store::Store;
use arrow::array::{AsArray, Float64Array, Int64Array};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::{ArrowPrimitiveType, Float64Type, Int64Type};
use arrow::record_batch::RecordBatch;
use parquetry_table::Storage;
use parquetry_table::catalog::{FileEntry, IndexedFile};
use parquetry_table::scan::read_row_ranges_whole;
use std::borrow::Cow;
use std::ops::{Range, RangeInclusive};
use std::sync::OnceLock;

/// Series per batch when the caller does not choose.
pub const DEFAULT_BATCH_SERIES: usize = 1024;

/// The series a selector chose, known before any sample is read, and the means to read
/// their samples in `[min_time, max_time]` in batches.
///
/// `read` takes `&self` and may be called from several threads at once, so batches can be
/// read in parallel.
#[derive(Debug)]
pub struct Selection<'a> {
    store: &'a Store,
    series: Vec<SelectedSeries>,
    min_time: i64,
    max_time: i64,
    /// Whether to read the directory of these series only (when they are few and the
    /// store's whole directory is not read yet) rather than the whole directory.
    own_directory: bool,
    /// The data files with where the series' rows are, once read.
    files: OnceLock<Cow<'a, [IndexedFile]>>,
}

/// The rows of a batch of series as read from the files, before merging.
struct RowsRead<'s> {
    /// The series, in the order of the selection.
    chosen: &'s [SelectedSeries],
    /// Where each series' rows are, a part per file holding some.
    parts: Vec<Vec<Part>>,
    /// Timestamps and values read from each file.
    buffers: Vec<(ScalarBuffer<i64>, ScalarBuffer<f64>)>,
}

/// One series' rows from one file.
struct Part {
    /// Index of the file buffer the rows are in.
    buffer: usize,
    /// The rows within that buffer.
    rows: Range<usize>,
    /// Whether every one of the rows is within the selection's time range (known from the
    /// directory entry), so that they need no search for the range's edges.
    inside: bool,
}

impl<'a> Selection<'a> {
    /// The series `series` of `store` in `[min_time, max_time]`; with `own_directory`,
    /// where their rows are is read for them alone when they are few (see
    /// [`parquetry_table::Catalog::files_of`]), otherwise from the store's whole directory,
    /// which later selections share.
    pub(crate) fn new(
        store: &'a Store,
        series: Vec<SelectedSeries>,
        min_time: i64,
        max_time: i64,
        own_directory: bool,
    ) -> Self {
        Selection {
            store,
            series,
            min_time,
            max_time,
            own_directory,
            files: OnceLock::new(),
        }
    }

    /// The data files with where the selected series' rows are, read on the first call.
    ///
    /// Nothing is locked while reading: the read runs on the thread pool, whose threads
    /// may meanwhile take up another batch of this selection, which must not wait on its
    /// own thread. Batches that start together may each read; the first read is kept.
    fn files(&self) -> Result<&[IndexedFile]> {
        if let Some(files) = self.files.get() {
            return Ok(files);
        }
        let read = if self.own_directory {
            let ordinals: Vec<u32> = self.series.iter().map(|s| s.ordinal).collect();
            self.store.files_of(&ordinals)?
        } else {
            Cow::Borrowed(self.store.files()?)
        };
        Ok(self.files.get_or_init(|| read))
    }

    /// The selected series, in catalog order unless re-sorted.
    pub fn series(&self) -> &[SelectedSeries] {
        &self.series
    }

    /// Puts the series in label order (compared label by label, names then values), the
    /// order Prometheus' storage returns series in, and the one people read.
    pub fn sort_by_labels(&mut self) {
        self.series.sort_by(|a, b| a.labels.cmp(&b.labels));
    }

    /// Reads the samples of `series()[range]`, merged across files (a later commit wins
    /// when two hold the same timestamp) and cut to the selection's time range. The batch
    /// lists the series in the order of `series()`.
    pub fn read(&self, range: Range<usize>) -> Result<SeriesBatch> {
        let rows = self.read_rows_of(range)?;
        let mut offsets = Vec::with_capacity(rows.parts.len() + 1);
        offsets.push(0);
        let total: usize = rows.buffers.iter().map(|b| b.0.len()).sum();
        let mut all_ts = Vec::with_capacity(total);
        let mut all_vs = Vec::with_capacity(total);
        for series_parts in &rows.parts {
            self.append_merged(&rows.buffers, series_parts, &mut all_ts, &mut all_vs);
            offsets.push(all_ts.len());
        }
        Ok(SeriesBatch {
            series: rows.chosen.to_vec(),
            offsets,
            timestamps: Int64Array::from(all_ts),
            values: Float64Array::from(all_vs),
        })
    }

    /// The same samples as [`Selection::read`], per series (in the order of `series()`,
    /// series without samples included) instead of one pair of arrays for the batch, for
    /// callers that keep each series' samples apart. A series read from one file shares
    /// the buffers its rows were decoded into when the batch's series use most of them
    /// (at least three quarters of their rows fall in the time range), so that a short
    /// query over long files does not keep whole files' rows alive; otherwise, and for a
    /// series read from several files, its samples are copied into buffers of its own.
    pub fn read_each(&self, range: Range<usize>) -> Result<Vec<SeriesColumns>> {
        let rows = self.read_rows_of(range)?;
        // The buffer and rows in range of each series read from one file.
        let windows: Vec<Option<(usize, Range<usize>)>> = rows
            .parts
            .iter()
            .map(|series_parts| match series_parts.as_slice() {
                [p] => Some((p.buffer, self.rows_in_range(&rows.buffers, p))),
                _ => None,
            })
            .collect();
        let mut used = vec![0usize; rows.buffers.len()];
        for (buffer, window) in windows.iter().flatten() {
            used[*buffer] += window.len();
        }
        let shared: Vec<bool> = rows
            .buffers
            .iter()
            .zip(&used)
            .map(|((ts, _), &used)| used * 4 >= ts.len() * 3)
            .collect();
        Ok(rows
            .chosen
            .iter()
            .zip(&rows.parts)
            .zip(windows)
            .map(|((series, series_parts), window)| {
                let (timestamps, values) = match window {
                    Some((b, w)) => {
                        let (ts, vs) = &rows.buffers[b];
                        match shared[b] {
                            true => (ts.slice(w.start, w.len()), vs.slice(w.start, w.len())),
                            false => (ts[w.clone()].to_vec().into(), vs[w].to_vec().into()),
                        }
                    }
                    None => {
                        let n: usize = series_parts.iter().map(|p| p.rows.len()).sum();
                        let (mut ts, mut vs) = (Vec::with_capacity(n), Vec::with_capacity(n));
                        self.append_merged(&rows.buffers, series_parts, &mut ts, &mut vs);
                        (ts.into(), vs.into())
                    }
                };
                SeriesColumns {
                    id: series.id,
                    labels: series.labels.clone(),
                    timestamps,
                    values,
                }
            })
            .collect())
    }

    /// The rows of `part` (in its buffer) within the selection's time range: all of them
    /// when its directory entry says so, otherwise found by searching its timestamps.
    fn rows_in_range(&self, buffers: &[(ScalarBuffer<i64>, ScalarBuffer<f64>)], part: &Part) -> Range<usize> {
        if part.inside {
            return part.rows.clone();
        }
        let timestamps = &buffers[part.buffer].0[part.rows.clone()];
        let start = timestamps.partition_point(|&t| t < self.min_time);
        let end = timestamps.partition_point(|&t| t <= self.max_time);
        part.rows.start + start..part.rows.start + end
    }

    /// Reads, from every file that overlaps the time range, the rows of the series
    /// `series()[range]`.
    fn read_rows_of(&self, range: Range<usize>) -> Result<RowsRead<'_>> {
        let chosen = &self.series[range];
        let mut parts: Vec<Vec<Part>> = (0..chosen.len()).map(|_| Vec::new()).collect();
        // The rows read from each file; parts point into them rather than copying.
        let mut buffers: Vec<(ScalarBuffer<i64>, ScalarBuffer<f64>)> = Vec::new();
        let mut by_ordinal: Vec<usize> = (0..chosen.len()).collect();
        by_ordinal.sort_by_key(|&p| chosen[p].ordinal);
        let files = self.files()?;
        for file in files.iter() {
            if file.max_time < self.min_time || file.min_time > self.max_time {
                continue;
            }
            let wanted = self.entries_in(file, chosen, &by_ordinal);
            if wanted.is_empty() {
                continue;
            }
            let read = read_rows(self.store.storage(), file, &wanted, self.min_time..=self.max_time)?;
            self.store.stats.record(read.timestamps.len() as u64);
            buffers.push((read.timestamps, read.values));
            for ((pos, entry), rows) in wanted.into_iter().zip(read.places) {
                parts[pos].push(Part {
                    buffer: buffers.len() - 1,
                    rows,
                    inside: read.within_time
                        || (entry.min_time >= self.min_time && entry.max_time <= self.max_time),
                });
            }
        }
        Ok(RowsRead {
            chosen,
            parts,
            buffers,
        })
    }

    /// Iterates over the selection in batches of `batch_series` series.
    pub fn batches(&self, batch_series: usize) -> impl Iterator<Item = Result<SeriesBatch>> + '_ {
        let step = batch_series.max(1);
        (0..self.series.len())
            .step_by(step)
            .map(move |start| self.read(start..(start + step).min(self.series.len())))
    }

    /// Reads the whole selection in batches of [`DEFAULT_BATCH_SERIES`].
    pub fn read_all(&self) -> Result<Vec<SeriesBatch>> {
        self.batches(DEFAULT_BATCH_SERIES).collect()
    }

    /// The file's directory entries for the chosen series that overlap the time range,
    /// in row order, with each one's position in `chosen`. `by_ordinal` lists the
    /// positions of `chosen` sorted by ordinal; file entries are sorted by ordinal too.
    fn entries_in(
        &self,
        file: &IndexedFile,
        chosen: &[SelectedSeries],
        by_ordinal: &[usize],
    ) -> Vec<(usize, FileEntry)> {
        let mut out = Vec::new();
        let entries = &file.entries;
        let mut i = 0;
        // Skip ahead to the first entry that can match.
        let mut j = by_ordinal
            .first()
            .map_or(0, |&p| entries.partition_point(|e| e.ordinal < chosen[p].ordinal));
        while i < by_ordinal.len() && j < entries.len() {
            let (pos, e) = (by_ordinal[i], entries[j]);
            match chosen[pos].ordinal.cmp(&e.ordinal) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    if e.max_time >= self.min_time && e.min_time <= self.max_time {
                        out.push((pos, e));
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        out
    }

    /// Cuts the series' parts to the time range and appends them, merged, to the output.
    fn append_merged(
        &self,
        buffers: &[(ScalarBuffer<i64>, ScalarBuffer<f64>)],
        parts: &[Part],
        ts_out: &mut Vec<i64>,
        vs_out: &mut Vec<f64>,
    ) {
        let slices = |p: &Part| {
            let (ts, vs) = &buffers[p.buffer];
            let r = self.rows_in_range(buffers, p);
            (&ts[r.clone()], &vs[r])
        };
        if let [p] = parts {
            let (ts, vs) = slices(p);
            ts_out.extend_from_slice(ts);
            vs_out.extend_from_slice(vs);
            return;
        }
        // Several files hold this series. Files written one after another (an ingest cut
        // into batches, commits over time) usually hold disjoint stretches of it: then the
        // stretches are appended in time order.
        let mut pieces: Vec<(&[i64], &[f64])> = parts
            .iter()
            .map(slices)
            .filter(|(ts, _)| !ts.is_empty())
            .collect();
        pieces.sort_by_key(|(ts, _)| ts[0]);
        if pieces.windows(2).all(|w| w[0].0[w[0].0.len() - 1] < w[1].0[0]) {
            for (ts, vs) in pieces {
                ts_out.extend_from_slice(ts);
                vs_out.extend_from_slice(vs);
            }
            return;
        }
        // Otherwise order by time, newer files first on equal times, then keep the first
        // sample of each timestamp.
        let mut merged: Vec<(i64, usize, f64)> = Vec::new();
        for (age, p) in parts.iter().enumerate() {
            let (ts, vs) = slices(p);
            merged.extend(ts.iter().zip(vs).map(|(&t, &v)| (t, usize::MAX - age, v)));
        }
        merged.sort_unstable_by_key(|&(t, newer, _)| (t, newer));
        let mut last = None;
        for (t, _, v) in merged {
            if last != Some(t) {
                ts_out.push(t);
                vs_out.push(v);
                last = Some(t);
            }
        }
    }
}

/// What [`read_rows`] read from one file.
struct FileRows {
    timestamps: ScalarBuffer<i64>,
    values: ScalarBuffer<f64>,
    /// Where each wanted entry's rows are in the two buffers, in the entries' order.
    places: Vec<Range<usize>>,
    /// Whether only the rows within the time range were kept.
    within_time: bool,
}

/// Reads the rows of `wanted` (sorted by row) from `file`: timestamps and values only,
/// skipping every page that holds none of them. When the time range `time` leaves out
/// rows of an entry, its timestamps are read first, and only around where its times put
/// the range ([`guessed_rows`]; every row of the entry where that guess proves short).
/// When the rows within `time` are at most half of those read, or the read was narrowed
/// by a guess, the values of those rows alone are read: the value pages that hold none of
/// them are skipped and the others give only those rows. An instant query over a day's
/// file reads a few rows per series this way.
fn read_rows(
    storage: &Storage,
    file: &IndexedFile,
    wanted: &[(usize, FileEntry)],
    time: RangeInclusive<i64>,
) -> Result<FileRows> {
    let cut = wanted
        .iter()
        .any(|(_, e)| e.min_time < *time.start() || e.max_time > *time.end());
    if !cut {
        let ranges: Vec<Range<u64>> = wanted.iter().map(|(_, e)| e.rows()).collect();
        let (timestamps, values) = read_columns(storage, file, &ranges)?;
        return Ok(FileRows {
            timestamps,
            values,
            places: places_of(&ranges),
            within_time: false,
        });
    }
    let mut read: Vec<Range<u64>> = wanted.iter().map(|(_, e)| guessed_rows(e, &time)).collect();
    let mut all_timestamps = read_timestamps(storage, file, &read)?;
    let mut places = places_of(&read);
    let short: Vec<usize> = (0..wanted.len())
        .filter(|&i| !guess_holds(&wanted[i].1, &read[i], &all_timestamps[places[i].clone()], &time))
        .collect();
    if !short.is_empty() {
        // Only the entries whose guess fell short are read again, whole; the others keep
        // the timestamps already read.
        let whole: Vec<Range<u64>> = short.iter().map(|&i| wanted[i].1.rows()).collect();
        let again = read_timestamps(storage, file, &whole)?;
        let mut again_places = short.iter().zip(places_of(&whole)).peekable();
        let mut merged = Vec::with_capacity(all_timestamps.len() + again.len());
        for (i, place) in places.iter().enumerate() {
            match again_places.next_if(|(s, _)| **s == i) {
                Some((_, from)) => {
                    merged.extend_from_slice(&again[from]);
                    read[i] = wanted[i].1.rows();
                }
                None => merged.extend_from_slice(&all_timestamps[place.clone()]),
            }
        }
        all_timestamps = merged.into();
        places = places_of(&read);
    }
    let inside: Vec<Range<usize>> = places
        .iter()
        .map(|place| {
            let ts = &all_timestamps[place.clone()];
            let first = ts.partition_point(|&t| t < *time.start());
            let end = ts.partition_point(|&t| t <= *time.end());
            place.start + first..place.start + first.max(end)
        })
        .collect();
    let kept: usize = inside.iter().map(ExactSizeIterator::len).sum();
    let guessed = wanted.iter().zip(&read).any(|((_, e), r)| *r != e.rows());
    if kept * 2 > all_timestamps.len() && !guessed {
        return Ok(FileRows {
            values: read_values(storage, file, &read)?,
            timestamps: all_timestamps,
            places,
            within_time: false,
        });
    }
    let mut timestamps = Vec::with_capacity(kept);
    let mut value_ranges = Vec::with_capacity(wanted.len());
    let mut kept_places = Vec::with_capacity(wanted.len());
    for ((rows, place), range) in inside.iter().zip(&places).zip(&read) {
        kept_places.push(timestamps.len()..timestamps.len() + rows.len());
        timestamps.extend_from_slice(&all_timestamps[rows.clone()]);
        if !rows.is_empty() {
            let first = range.start + (rows.start - place.start) as u64;
            value_ranges.push(first..first + rows.len() as u64);
        }
    }
    Ok(FileRows {
        timestamps: timestamps.into(),
        values: read_values(storage, file, &value_ranges)?,
        places: kept_places,
        within_time: true,
    })
}

/// Where the rows of each of `ranges` are when they are read one after another.
fn places_of(ranges: &[Range<u64>]) -> Vec<Range<usize>> {
    let mut offset = 0;
    let places = ranges.iter().map(|r| {
        let start = offset;
        offset += (r.end - r.start) as usize;
        start..offset
    });
    places.collect()
}

/// Entries of at most this many rows are read whole: a guess would save little.
const GUESS_FROM_ROWS: u64 = 64;

/// The rows of entry `e` that hold the time range `time` if its samples are evenly
/// spaced between its first and last time (scrapes at an interval are, nearly), widened
/// by a margin of rows on both sides. The guess is every row for a short entry, for one
/// whose times do not spread, and where it would be more than half of the rows anyway
/// (the range then takes most of them: they are read and kept whole). [`guess_holds`]
/// tells whether the guess was wide enough.
fn guessed_rows(e: &FileEntry, time: &RangeInclusive<i64>) -> Range<u64> {
    let span = e.max_time as f64 - e.min_time as f64;
    if e.row_count <= GUESS_FROM_ROWS || span <= 0.0 {
        return e.rows();
    }
    let last = (e.row_count - 1) as f64;
    let row_of = |t: i64| ((t as f64 - e.min_time as f64) / span * last).clamp(0.0, last);
    let margin = (e.row_count / 64).max(4) as f64;
    let first = (row_of(*time.start()) - margin).floor().max(0.0) as u64;
    let end = ((row_of(*time.end()) + margin).ceil() as u64 + 1).min(e.row_count);
    match (end - first) * 2 > e.row_count {
        true => e.rows(),
        false => e.row_start + first..e.row_start + end,
    }
}

/// Whether the rows `read` of entry `e`, whose timestamps are `timestamps`, hold every
/// row of `e` within `time`: each end of the read is the entry's own end or a row beyond
/// the range on that side (timestamps ascend within an entry, so the rows past it are
/// beyond the range too).
fn guess_holds(e: &FileEntry, read: &Range<u64>, timestamps: &[i64], time: &RangeInclusive<i64>) -> bool {
    let from_start = read.start == e.row_start || timestamps.first().is_some_and(|&t| t < *time.start());
    let to_end = read.end == e.rows().end || timestamps.last().is_some_and(|&t| t > *time.end());
    from_start && to_end
}

/// Timestamps and values of the rows `ranges` (ascending) of `file`, in one pass.
fn read_columns(
    storage: &Storage,
    file: &IndexedFile,
    ranges: &[Range<u64>],
) -> Result<(ScalarBuffer<i64>, ScalarBuffer<f64>)> {
    let batches = read_row_ranges_whole(
        storage,
        &file.rel,
        ranges,
        &[samples::TIMESTAMP_INDEX, samples::VALUE_INDEX],
    )?;
    Ok((
        column_of::<Int64Type>(&batches, 0),
        column_of::<Float64Type>(&batches, 1),
    ))
}

/// The timestamps of the rows `ranges` (ascending) of `file`.
fn read_timestamps(
    storage: &Storage,
    file: &IndexedFile,
    ranges: &[Range<u64>],
) -> Result<ScalarBuffer<i64>> {
    let batches = read_row_ranges_whole(storage, &file.rel, ranges, &[samples::TIMESTAMP_INDEX])?;
    Ok(column_of::<Int64Type>(&batches, 0))
}

/// The values of the rows `ranges` (ascending) of `file`.
fn read_values(storage: &Storage, file: &IndexedFile, ranges: &[Range<u64>]) -> Result<ScalarBuffer<f64>> {
    let batches = read_row_ranges_whole(storage, &file.rel, ranges, &[samples::VALUE_INDEX])?;
    Ok(column_of::<Float64Type>(&batches, 0))
}

/// Column `index` of `batches`, one batch after another: the batch's own buffer, not a
/// copy, when there is one batch (as the reads ask for).
fn column_of<T: ArrowPrimitiveType>(batches: &[RecordBatch], index: usize) -> ScalarBuffer<T::Native> {
    if let [batch] = batches {
        return batch.column(index).as_primitive::<T>().values().clone();
    }
    let column: Vec<T::Native> = batches
        .iter()
        .flat_map(|b| b.column(index).as_primitive::<T>().values().iter().copied())
        .collect();
    column.into()
}
