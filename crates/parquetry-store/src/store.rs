//! An opened store version: the metrics table's catalog (series, label index, samples
//! files) from the table core.

use crate::batch::SelectedSeries;
use crate::error::Result;
use crate::select::Selection;
use parquetry_model::{Matcher, SeriesId};
use parquetry_table::catalog::IndexedFile;
use parquetry_table::{
    Catalog, CatalogEntry, DataFile, LabelIndex, LogState, Manifest, Storage, TableKind, log,
};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// What the store knows about one series without reading samples: labels and the times
/// of its first and last sample.
pub type SeriesInfo = CatalogEntry;

/// A read-only snapshot of one store version.
///
/// Opening loads the series catalog and builds the label index in memory; where each
/// series' rows are is read on the first read of samples, and samples stay on disk until
/// a [`Selection`] reads them. A snapshot never changes: open the store
/// again to see later commits.
#[derive(Debug)]
pub struct Store {
    storage: Storage,
    state: Arc<LogState>,
    catalog: Catalog,
    pub(crate) stats: crate::read_stats::ReadStats,
}

impl Store {
    /// Opens the newest version of the store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        Store::open_storage(&Storage::open(root.as_ref())?)
    }

    /// Opens the newest version of the store in `storage`, sharing its connection and its
    /// cache of Parquet footers.
    pub fn open_storage(storage: &Storage) -> Result<Store> {
        log::open_latest(storage, |state| Store::at(storage.clone(), state))
    }

    /// The snapshot of the version `state`. Reads the series catalog; the directory of
    /// where their rows are is read when samples are first read.
    pub fn at(storage: Storage, state: LogState) -> Result<Store> {
        let state = Arc::new(state);
        let catalog = Catalog::open(&storage, &state, TableKind::Metrics)?;
        Ok(Store {
            storage,
            state,
            catalog,
            stats: Default::default(),
        })
    }

    /// The samples files of this snapshot, each with where each series' rows are in it,
    /// oldest segment first. Read on the first call.
    pub(crate) fn files(&self) -> Result<&[IndexedFile]> {
        self.catalog.files()
    }

    /// The samples files with where the series `ordinals` have rows, possibly without the
    /// other series' entries ([`parquetry_table::Catalog::files_of`]).
    pub(crate) fn files_of(&self, ordinals: &[u32]) -> Result<Cow<'_, [IndexedFile]>> {
        self.catalog.files_of(ordinals)
    }

    /// Files and rows read from this snapshot so far.
    pub fn read_counts(&self) -> crate::read_stats::ReadCounts {
        self.stats.counts()
    }

    fn data_files(&self) -> impl Iterator<Item = &DataFile> {
        self.state
            .manifest
            .segments_of(TableKind::Metrics)
            .flat_map(|s| &s.data_files)
    }

    /// Number of samples files and sample rows in this snapshot.
    pub fn size(&self) -> (usize, u64) {
        (
            self.data_files().count(),
            self.manifest().rows(TableKind::Metrics),
        )
    }

    /// The times of the first and last sample in this snapshot, from the files' own
    /// ranges (no sample is read); `None` when it has no samples.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = self.data_files().map(|f| f.min_time).min()?;
        let max = self.data_files().map(|f| f.max_time).max()?;
        Some((min, max))
    }

    /// The folder of the store.
    pub fn root(&self) -> &Path {
        self.storage.root()
    }

    /// The storage the store is read from.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The manifest of this version.
    pub fn manifest(&self) -> &Manifest {
        &self.state.manifest
    }

    /// The version as read from the log (manifest, checkpoint, recent removals).
    pub fn state(&self) -> &LogState {
        &self.state
    }

    /// The version this snapshot reads, shared (for the other tables of the same version).
    pub fn shared_state(&self) -> Arc<LogState> {
        self.state.clone()
    }

    /// Every series, in catalog (ordinal) order, reading the labels not read yet.
    pub fn all_series(&self) -> Result<&[SeriesInfo]> {
        self.catalog.entries()
    }

    /// Number of series, without reading their labels.
    pub fn series_count(&self) -> usize {
        self.catalog.len()
    }

    /// The series with this id, if the store has it.
    pub fn series_by_id(&self, id: SeriesId) -> Result<Option<SeriesInfo>> {
        let Some(ordinal) = self.catalog.ordinal(id) else {
            return Ok(None);
        };
        self.catalog.entry(ordinal).map(Some)
    }

    /// The label index, built on the first call (reading every series' labels).
    pub fn label_index(&self) -> Result<&LabelIndex> {
        self.catalog.label_index()
    }

    /// The series that `matchers` select and that have samples in `[min_time, max_time]`.
    ///
    /// At least one matcher must not match the empty string, as in Prometheus; otherwise
    /// the selection is refused with [`crate::StoreError::InvalidSelection`].
    pub fn select(&self, matchers: &[Matcher], min_time: i64, max_time: i64) -> Result<Selection<'_>> {
        let ordinals = self.catalog.select(matchers, min_time, max_time)?;
        self.selection_of_ordinals(ordinals, min_time, max_time)
    }

    /// The series of the catalog `ordinals`, with their labels.
    fn selection_of_ordinals(
        &self,
        ordinals: Vec<u32>,
        min_time: i64,
        max_time: i64,
    ) -> Result<Selection<'_>> {
        let labels = self.catalog.labels_of(&ordinals)?;
        let series = ordinals
            .into_iter()
            .zip(labels)
            .map(|(ordinal, labels)| SelectedSeries {
                ordinal,
                id: self.catalog.id(ordinal),
                labels,
            })
            .collect();
        Ok(Selection::new(self, series, min_time, max_time, true))
    }

    /// A selection of series chosen earlier by [`Store::select`] (or a part of one), so
    /// that a reader that cannot keep the borrowing selection does not evaluate its
    /// matchers again for every batch.
    pub fn selection_of(&self, series: Vec<SelectedSeries>, min_time: i64, max_time: i64) -> Selection<'_> {
        Selection::new(self, series, min_time, max_time, false)
    }

    /// Every series with samples in `[min_time, max_time]`, for export and full scans.
    pub fn select_all(&self, min_time: i64, max_time: i64) -> Result<Selection<'_>> {
        let ordinals = (0..self.catalog.len() as u32)
            .filter(|&o| {
                let (min, max) = self.catalog.time_range(o);
                max >= min_time && min <= max_time
            })
            .collect();
        self.selection_of_ordinals(ordinals, min_time, max_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SeriesSamples, Writer};
    use parquetry_model::{Labels, MatchOp};

    fn series(name: &str, job: &str, i: usize) -> SeriesSamples {
        let mut s = SeriesSamples::new(Labels::from_pairs([
            ("__name__", name.to_string()),
            ("job", job.to_string()),
            ("i", i.to_string()),
        ]));
        s.timestamps = vec![i as i64 * 1000];
        s.values = vec![1.0];
        s
    }

    fn ids(store: &Store, matchers: &[Matcher], min: i64, max: i64) -> Vec<SeriesId> {
        let selection = store.select(matchers, min, max).unwrap();
        selection.series().iter().map(|s| s.id).collect()
    }

    /// Commits `batch(k)` for each `k` below `n`, a commit each.
    fn commit_each(root: &Path, n: usize, batch: impl Fn(usize) -> Vec<SeriesSamples>) {
        for k in 0..n {
            let mut w = Writer::begin(root).unwrap();
            w.write(batch(k)).unwrap();
            w.commit().unwrap();
        }
    }

    fn commit(root: &Path, samples: &[(i64, f64)]) {
        let mut s = SeriesSamples::new(Labels::from_pairs([("__name__", "m")]));
        (s.timestamps, s.values) = samples.iter().copied().unzip();
        let mut w = Writer::begin(root).unwrap();
        w.write(vec![s]).unwrap();
        w.commit().unwrap();
    }

    fn read(root: &Path, min: i64, max: i64) -> Vec<(i64, f64)> {
        let store = Store::open(root).unwrap();
        let selection = store
            .select(&[Matcher::equal("__name__", "m")], min, max)
            .unwrap();
        let series = selection.read_each(0..1).unwrap();
        series[0]
            .timestamps
            .iter()
            .copied()
            .zip(series[0].values.iter().copied())
            .collect()
    }

    #[test]
    fn series_share_decoded_buffers_only_when_the_range_covers_most_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<(i64, f64)> = (0..10_000).map(|i| (i * 1000, i as f64)).collect();
        commit(dir.path(), &samples);
        let store = Store::open(dir.path()).unwrap();
        let read = |min: i64, max: i64| {
            let selection = store
                .select(&[Matcher::equal("__name__", "m")], min, max)
                .unwrap();
            selection.read_each(0..1).unwrap().remove(0)
        };
        // Allocated bytes behind the samples: the decoded column, or a copy of the range.
        let held = |c: &crate::SeriesColumns| c.timestamps.inner().capacity();
        let whole = read(0, 10_000_000);
        assert_eq!(whole.timestamps.len(), 10_000);
        assert!(held(&whole) >= 80_000, "{}", held(&whole));
        let near_whole = read(1_000_000, 10_000_000);
        assert_eq!(near_whole.timestamps.len(), 9_000);
        assert_eq!(near_whole.timestamps.as_ref(), &whole.timestamps[1_000..]);
        assert!(
            held(&near_whole) >= 80_000,
            "the range is most of the rows: shared"
        );
        let short = read(2_000_000, 2_099_000);
        assert_eq!(short.timestamps.len(), 100);
        assert_eq!(short.values.as_ref(), &whole.values[2_000..2_100]);
        assert!(
            held(&short) < 8_000,
            "a short range is copied, not kept with its file's rows"
        );
    }

    #[test]
    fn a_short_range_over_many_series_gives_its_samples_and_reads_only_their_values() {
        let dir = tempfile::tempdir().unwrap();
        // Thirty series at different intervals; every fifth ends before the range.
        let all: Vec<SeriesSamples> = (0..30)
            .map(|i| {
                let labels = Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())]);
                let mut s = SeriesSamples::new(labels);
                let (step, n) = (1_000 + i * 7, if i % 5 == 0 { 1_000 } else { 2_000 });
                s.timestamps = (0..n).map(|k| k * step).collect();
                s.values = (0..n).map(|k| (k * 31 + i) as f64 / 3.0).collect();
                s
            })
            .collect();
        let mut w = Writer::begin(dir.path()).unwrap();
        w.write(all.clone()).unwrap();
        w.commit().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (min, max) = (1_500_000, 1_600_000);
        let selection = store
            .select(&[Matcher::equal("__name__", "m")], min, max)
            .unwrap();
        let read = selection.read_each(0..selection.series().len()).unwrap();
        let mut samples = 0;
        for (chosen, got) in selection.series().iter().zip(&read) {
            let written = all.iter().find(|s| s.id == chosen.id).unwrap();
            let want: Vec<(i64, f64)> = (written.timestamps.iter().copied())
                .zip(written.values.iter().copied())
                .filter(|(t, _)| (min..=max).contains(t))
                .collect();
            let got: Vec<(i64, f64)> = got
                .timestamps
                .iter()
                .copied()
                .zip(got.values.iter().copied())
                .collect();
            assert_eq!(got, want, "series {}", written.labels);
            samples += want.len();
        }
        assert!(samples > 1_000);
        assert_eq!(store.read_counts().rows_read, samples as u64);
    }

    #[test]
    fn short_ranges_over_unevenly_spaced_series_give_every_sample_in_them() {
        let dir = tempfile::tempdir().unwrap();
        // Times spaced evenly, with jitter, with a long gap, bunched at one end, and a
        // series too short to guess within: the guesses of where a range starts and ends
        // fall short for some, which then are read whole.
        let shapes: [Vec<i64>; 5] = [
            (0..2_000).map(|k| k * 15_000).collect(),
            (0..2_000)
                .map(|k| k * 15_000 + (k * 7_919 % 13) * 1_000)
                .collect(),
            (0..2_000)
                .map(|k| {
                    if k < 1_000 {
                        k * 1_000
                    } else {
                        10_000_000 + k * 15_000
                    }
                })
                .collect(),
            (0..2_000).map(|k| k * k * 10).collect(),
            (0..40).map(|k| k * 600_000).collect(),
        ];
        let all: Vec<SeriesSamples> = shapes
            .iter()
            .enumerate()
            .map(|(i, times)| {
                let mut s = SeriesSamples::new(Labels::from_pairs([
                    ("__name__", "m".to_string()),
                    ("shape", i.to_string()),
                ]));
                s.timestamps = times.clone();
                s.values = times.iter().map(|&t| (t / 1_000 + i as i64) as f64).collect();
                s
            })
            .collect();
        let mut w = Writer::begin(dir.path()).unwrap();
        w.write(all.clone()).unwrap();
        w.commit().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ranges = [
            (0, 0),
            (300_000, 600_000),
            (990_000, 1_010_000),
            (5_000_000, 9_000_000),
            (10_500_000, 11_000_000),
            (15_000_000, 15_300_000),
            (29_985_000, 40_000_000),
            (-1_000, 14_999),
            (39_000_000, 39_900_000),
        ];
        for (min, max) in ranges {
            let selection = store
                .select(&[Matcher::equal("__name__", "m")], min, max)
                .unwrap();
            let read = selection.read_each(0..selection.series().len()).unwrap();
            for written in &all {
                let want: Vec<(i64, f64)> = (written.timestamps.iter().copied())
                    .zip(written.values.iter().copied())
                    .filter(|(t, _)| (min..=max).contains(t))
                    .collect();
                let at = selection.series().iter().position(|s| s.id == written.id);
                let got: Vec<(i64, f64)> = match at {
                    Some(at) => (read[at].timestamps.iter().copied())
                        .zip(read[at].values.iter().copied())
                        .collect(),
                    None => Vec::new(),
                };
                assert_eq!(got, want, "{} over {min}..={max}", written.labels);
            }
        }
    }

    #[test]
    fn opening_reads_no_labels_and_a_named_selector_reads_only_its_series_labels() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::begin(dir.path()).unwrap();
        let all = (0..5)
            .map(|i| series("a", "x", i))
            .chain((0..7).map(|i| series("b", "y", i)));
        w.write(all.collect()).unwrap();
        w.commit().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!((store.series_count(), store.catalog.labels_read()), (12, 0));
        let a = store
            .select(
                &[Matcher::equal("__name__", "a"), Matcher::equal("job", "x")],
                i64::MIN,
                i64::MAX,
            )
            .unwrap();
        assert_eq!(a.series().len(), 5);
        assert!(a.series().iter().all(|s| s.labels.metric_name() == Some("a")));
        assert_eq!(store.catalog.labels_read(), 5);
        let b = store
            .series_by_id(SeriesId::of(&series("b", "y", 3).labels))
            .unwrap()
            .unwrap();
        assert_eq!(b.labels.get("i"), Some("3"));
        assert_eq!(store.catalog.labels_read(), 6);
        assert_eq!(store.all_series().unwrap().len(), 12);
        assert_eq!(store.catalog.labels_read(), 12);
    }

    #[test]
    fn a_few_series_read_through_their_own_directory_read_as_through_the_whole_one() {
        let dir = tempfile::tempdir().unwrap();
        // Two commits with overlapping series, so the directory has two tables and the
        // series' rows are in both segments' files; enough of `b` that each table has
        // pages without `a` or `c`.
        commit_each(dir.path(), 2, |k| {
            let a = (0..3).map(|i| series("a", "x", i + k));
            let c = (0..2).map(|i| series("c", "z", i + k));
            a.chain((0..3000).map(|i| series("b", "y", i + 10 * k)))
                .chain(c)
                .collect()
        });
        let samples = |selection: &Selection| -> Vec<(SeriesId, Vec<i64>)> {
            let n = selection.series().len();
            let read = selection.read_each(0..n).unwrap();
            read.into_iter().map(|s| (s.id, s.timestamps.to_vec())).collect()
        };
        for (name, count) in [("c", 3), ("a", 4)] {
            // A store of its own, whose whole directory is not read yet.
            let store = Store::open(dir.path()).unwrap();
            let own = store
                .select(&[Matcher::equal("__name__", name)], i64::MIN, i64::MAX)
                .unwrap();
            let got = samples(&own);
            let shared = store.selection_of(own.series().to_vec(), i64::MIN, i64::MAX);
            assert_eq!(got, samples(&shared), "{name}");
            assert_eq!(got.len(), count);
            assert!(got.iter().all(|(_, ts)| !ts.is_empty()));
        }
        let store = Store::open(dir.path()).unwrap();
        let matchers = [Matcher::equal("__name__", "a")];
        let own = store.select(&matchers, i64::MIN, i64::MAX).unwrap();
        let got = samples(&own);
        samples(&store.selection_of(own.series().to_vec(), i64::MIN, i64::MAX));
        // Once the whole directory is read, a selection uses it.
        let again = store.select(&matchers, i64::MIN, i64::MAX).unwrap();
        assert_eq!(samples(&again), got);
    }

    #[test]
    fn a_directory_asked_for_again_and_again_is_read_whole_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        commit_each(dir.path(), 1, |_| {
            let a = (0..3).map(|i| series("a", "x", i));
            a.chain((0..797).map(|i| series("b", "y", i))).collect()
        });
        let store = Store::open(dir.path()).unwrap();
        let matchers = [Matcher::equal("__name__", "a")];
        let read = || {
            let selection = store.select(&matchers, i64::MIN, i64::MAX).unwrap();
            let n = selection.series().len();
            selection.read_each(0..n).unwrap().len()
        };
        // An eighth of 800 label sets is 100: 33 reads of 3 stay within it, the 34th
        // passes it.
        for _ in 0..33 {
            assert_eq!(read(), 3);
            assert!(!store.catalog.directory_kept());
        }
        assert_eq!(read(), 3);
        assert!(store.catalog.directory_kept());
        assert_eq!(read(), 3);
    }

    #[test]
    fn a_series_in_several_files_reads_in_time_order_with_the_latest_commit_winning() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Disjoint stretches committed out of time order are appended in time order.
        commit(root, &[(40, 4.0), (50, 5.0)]);
        commit(root, &[(10, 1.0), (20, 2.0)]);
        assert_eq!(
            read(root, i64::MIN, i64::MAX),
            [(10, 1.0), (20, 2.0), (40, 4.0), (50, 5.0)]
        );
        assert_eq!(read(root, 15, 45), [(20, 2.0), (40, 4.0)]);
        // An overlapping commit replaces the samples it shares a time with.
        commit(root, &[(20, 20.0), (30, 30.0), (40, 40.0)]);
        let want = [(10, 1.0), (20, 20.0), (30, 30.0), (40, 40.0), (50, 5.0)];
        assert_eq!(read(root, i64::MIN, i64::MAX), want);
    }

    #[test]
    fn selecting_by_name_before_the_label_index_is_built_selects_what_the_index_does() {
        let dir = tempfile::tempdir().unwrap();
        // Two commits, so the catalog merges two segments' series out of name order.
        commit_each(dir.path(), 2, |k| {
            (0..30)
                .filter(|i| i % 2 == k)
                .map(|i| series(["b", "a", "up", "c"][i % 4], ["api", "web", ""][i % 3], i))
                .collect()
        });
        let m = |op, name: &str, value: &str| Matcher::new(op, name, value).unwrap();
        let cases = [
            vec![m(MatchOp::Equal, "__name__", "up")],
            vec![
                m(MatchOp::Equal, "__name__", "a"),
                m(MatchOp::Equal, "job", "api"),
            ],
            vec![m(MatchOp::Equal, "__name__", "b"), m(MatchOp::Equal, "job", "")],
            vec![
                m(MatchOp::Equal, "__name__", "c"),
                m(MatchOp::RegexNoMatch, "i", "1.*"),
            ],
            vec![m(MatchOp::Equal, "__name__", "missing")],
            vec![
                m(MatchOp::Equal, "__name__", "a"),
                m(MatchOp::RegexMatch, "__name__", "a|b"),
            ],
        ];
        for (min, max) in [(i64::MIN, i64::MAX), (5_000, 20_000)] {
            for matchers in &cases {
                let unindexed = Store::open(dir.path()).unwrap();
                let by_name = ids(&unindexed, matchers, min, max);
                let indexed = Store::open(dir.path()).unwrap();
                indexed.label_index().unwrap();
                assert_eq!(by_name, ids(&indexed, matchers, min, max), "{matchers:?}");
            }
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(ids(&store, &cases[0], i64::MIN, i64::MAX).len(), 7);
    }
}
