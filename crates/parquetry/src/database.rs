//! `Database`: a store held open by a long-lived user — the CLI, the Python package, a
//! server — with the snapshot its queries read, refreshed after every commit it makes.

use crate::maintenance::{MaintenanceReport, compact, merge_tails, retain, tail_segments};
use crate::{Engine, Error};
use parquetry_logs::ingest::{LogIngestOptions, LogIngestReport};
use parquetry_spans::ingest::{SpanIngestOptions, SpanIngestReport};
use parquetry_store::{IngestOptions, IngestReport, Store, StoreError, Writer};
use parquetry_table::checkpoint::DEFAULT_GRACE;
use parquetry_table::{Storage, TableKind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A store (a folder or an object-store URL) and its current snapshot.
///
/// Queries run on a snapshot ([`Database::snapshot`]), which never changes under them;
/// ingest, compaction and retention through this handle refresh it when they commit, and
/// [`Database::refresh`] picks up commits made elsewhere. Snapshots share one connection
/// and one cache of Parquet footers. The handle is `Sync`: share it between threads.
///
/// A handle merges the newest small segments of the store after its own ingests once
/// [`DEFAULT_AUTO_COMPACT_SEGMENTS`] of them wait to be rewritten (see
/// [`Database::with_auto_compaction`] and [`crate::maintenance::merge_tails`]), so that a
/// long-lived writer's small commits do not pile up, and no merge rewrites much more than
/// what was written since the last.
#[derive(Debug)]
pub struct Database {
    location: PathBuf,
    storage: Storage,
    snapshot: RwLock<Arc<Engine>>,
    auto_compact: Option<usize>,
}

/// Segments in the tables' tails after which a [`Database`] merges them on its own.
pub const DEFAULT_AUTO_COMPACT_SEGMENTS: usize = 16;

/// What a snapshot holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// The store version.
    pub version: u64,
    /// Series with samples.
    pub series: usize,
    /// Samples files.
    pub files: usize,
    /// Samples.
    pub samples: u64,
    /// Bytes of samples files.
    pub bytes: u64,
    /// Time of the first and last sample, milliseconds; `None` for an empty store.
    pub time_range: Option<(i64, i64)>,
    /// The logs table.
    pub logs: LogStats,
    /// The spans table.
    pub spans: SpanStats,
}

/// What the spans table of a snapshot holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpanStats {
    /// Spans stored (a span stored again by a later write counts again until a
    /// compaction).
    pub spans: u64,
    /// Spans files.
    pub files: usize,
    /// Bytes of spans files.
    pub bytes: u64,
    /// Earliest and latest span start, milliseconds; `None` without spans.
    pub time_range: Option<(i64, i64)>,
}

/// What the logs table of a snapshot holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Streams with entries.
    pub streams: usize,
    /// Entries stored.
    pub entries: u64,
    /// Entries files.
    pub files: usize,
    /// Bytes of entries files.
    pub bytes: u64,
    /// Time of the first and last entry, milliseconds; `None` without entries.
    pub time_range: Option<(i64, i64)>,
}

impl Database {
    /// Opens the store at `location`; fails when there is none.
    pub fn open(location: impl AsRef<Path>) -> Result<Database, Error> {
        let storage = Storage::open(location.as_ref())?;
        let store = Store::open_storage(&storage)?;
        Ok(Database::with(location.as_ref(), storage, store))
    }

    /// Opens the store at `location`, creating an empty one there first if there is none
    /// (and converting one of an older layout).
    pub fn create(location: impl AsRef<Path>) -> Result<Database, Error> {
        Writer::begin(location.as_ref())?.abort()?;
        Database::open(location)
    }

    fn with(location: &Path, storage: Storage, store: Store) -> Database {
        Database {
            location: location.to_path_buf(),
            storage,
            snapshot: RwLock::new(Arc::new(Engine::from_store(store))),
            auto_compact: Some(DEFAULT_AUTO_COMPACT_SEGMENTS),
        }
    }

    /// Merge the tables' tails after an ingest through this handle once at least
    /// `min_segments` segments are in them; `None` turns automatic compaction off.
    pub fn with_auto_compaction(mut self, min_segments: Option<usize>) -> Database {
        self.auto_compact = min_segments.map(|n| n.max(1));
        self
    }

    /// Where the store is, as it was opened.
    pub fn location(&self) -> &Path {
        &self.location
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Engine> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the newest version (commits made by anyone since the snapshot) and makes it
    /// the current snapshot, which it returns.
    pub fn refresh(&self) -> Result<Arc<Engine>, Error> {
        let fresh = Arc::new(Engine::from_store(Store::open_storage(&self.storage)?));
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// The current snapshot, first replaced by the newest version when a commit made
    /// anywhere since it was taken is newer (found by a listing of the store's log, so
    /// an unchanged store costs no read).
    pub fn latest(&self) -> Result<Arc<Engine>, Error> {
        let current = self.snapshot();
        match parquetry_table::log::latest_version(&self.storage)? {
            Some(newest) if newest == current.store().state().manifest.version => Ok(current),
            _ => self.refresh(),
        }
    }

    /// Ingests `files`, one commit per file, then refreshes the snapshot (files committed
    /// before a failure are in it either way) and compacts when automatic compaction is
    /// due. `progress` receives the bytes read so far.
    pub fn ingest(
        &self,
        files: &[PathBuf],
        options: &IngestOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<IngestReport, Error> {
        let report = Engine::ingest(&self.location, files, options, progress);
        self.after_ingest()?;
        report
    }

    /// Ingests log `files`, one commit per file, then refreshes the snapshot as
    /// [`Database::ingest`] does.
    pub fn ingest_logs(
        &self,
        files: &[PathBuf],
        options: &LogIngestOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<LogIngestReport, Error> {
        let report = Engine::ingest_logs(&self.location, files, options, progress);
        self.after_ingest()?;
        report
    }

    /// Ingests span `files` (OTLP/JSON), one commit per file, then refreshes the
    /// snapshot as [`Database::ingest`] does.
    pub fn ingest_spans(
        &self,
        files: &[PathBuf],
        options: &SpanIngestOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SpanIngestReport, Error> {
        let report = Engine::ingest_spans(&self.location, files, options, progress);
        self.after_ingest()?;
        report
    }

    /// The store's storage.
    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Refreshes the snapshot and merges the tables' tails when automatic compaction is
    /// due.
    pub(crate) fn after_ingest(&self) -> Result<(), Error> {
        let fresh = self.refresh()?;
        let waiting = tail_segments(fresh.store().manifest());
        if self.auto_compact.is_some_and(|min| waiting >= min) {
            match merge_tails(&self.storage, DEFAULT_GRACE) {
                // Another writer rewrote the same segments first: nothing left to do.
                Err(StoreError::Conflict(_)) => {}
                other => {
                    other?;
                }
            }
            self.refresh()?;
        }
        Ok(())
    }

    /// Compacts every table of the store (see [`crate::maintenance::compact`]) and
    /// refreshes the snapshot.
    pub fn compact(&self, grace: Duration) -> Result<MaintenanceReport, Error> {
        let report = compact(&self.storage, grace)?;
        self.refresh()?;
        Ok(report)
    }

    /// Drops the days that end by `keep_from` (milliseconds) from every table (see
    /// [`crate::maintenance::retain`]) and refreshes the snapshot.
    pub fn retain(&self, keep_from: i64, grace: Duration) -> Result<MaintenanceReport, Error> {
        let report = retain(&self.storage, keep_from, grace)?;
        self.refresh()?;
        Ok(report)
    }

    /// What the current snapshot holds, without reading any samples.
    pub fn stats(&self) -> Result<Stats, Error> {
        let engine = self.snapshot();
        let store = engine.store();
        let (files, samples) = store.size();
        let manifest = store.manifest();
        let log_segments: Vec<_> = manifest.segments_of(TableKind::Logs).collect();
        let log_store = engine.logs()?;
        let streams = log_store.streams();
        let logs = LogStats {
            streams: streams.len(),
            entries: log_segments.iter().map(|s| s.rows).sum(),
            files: log_segments.iter().map(|s| s.data_files.len()).sum(),
            bytes: manifest.data_bytes(TableKind::Logs),
            time_range: streams
                .iter()
                .map(|s| (s.min_time, s.max_time))
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))),
        };
        let span_files: Vec<_> = manifest
            .segments_of(TableKind::Spans)
            .flat_map(|s| &s.data_files)
            .collect();
        let spans = SpanStats {
            spans: manifest.rows(TableKind::Spans),
            files: span_files.len(),
            bytes: manifest.data_bytes(TableKind::Spans),
            time_range: span_files
                .iter()
                .map(|f| (f.min_time, f.max_time))
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))),
        };
        Ok(Stats {
            version: manifest.version,
            series: store.series_count(),
            files,
            samples,
            bytes: manifest.data_bytes(TableKind::Metrics),
            time_range: store.time_range(),
            logs,
            spans,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_compacts_once_enough_small_commits_wait() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store"))
            .unwrap()
            .with_auto_compaction(Some(3));
        let files: Vec<PathBuf> = (0..3)
            .map(|i| {
                let file = dir.path().join(format!("{i}.prom"));
                std::fs::write(&file, format!("up{{job=\"a\"}} {i} {}\n", 1000 * (i + 1))).unwrap();
                file
            })
            .collect();
        db.ingest(&files[..2], &IngestOptions::default(), &mut |_| {})
            .unwrap();
        assert_eq!(
            db.stats().unwrap().files,
            2,
            "two commits wait, below the threshold"
        );
        db.ingest(&files[2..], &IngestOptions::default(), &mut |_| {})
            .unwrap();
        let stats = db.stats().unwrap();
        assert_eq!(
            (stats.files, stats.samples),
            (1, 3),
            "the day was rewritten as one file"
        );
        assert_eq!(db.snapshot().series("up").unwrap().len(), 1);
    }

    #[test]
    fn declared_families_are_stored_once_and_survive_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store")).unwrap();
        let declare = |i: i64, help: &str| {
            let file = dir.path().join(format!("{i}.om"));
            let text = format!("# TYPE req counter\n# HELP req {help}\nreq_total {i} {i}\n# EOF\n");
            std::fs::write(&file, text).unwrap();
            db.ingest(&[file], &IngestOptions::default(), &mut |_| {})
                .unwrap();
        };
        declare(1, "Requests.");
        declare(2, "Requests.");
        declare(3, "Requests served.");
        let helps = |db: &Database| -> Vec<String> {
            let engine = db.snapshot();
            let declared = engine.store().manifest().metric_metadata();
            declared.into_iter().map(|m| m.help).collect()
        };
        assert_eq!(
            helps(&db),
            ["Requests served.", "Requests."],
            "newest first, each once"
        );
        let segments = db.snapshot().store().manifest().segments.clone();
        assert!(
            segments[1].metadata.is_empty(),
            "a repeated declaration is not stored again"
        );
        db.compact(Duration::ZERO).unwrap();
        assert_eq!(db.snapshot().store().manifest().segments.len(), 1);
        let mut after = helps(&db);
        after.sort();
        assert_eq!(after, ["Requests served.", "Requests."]);
    }

    #[test]
    fn ingest_through_the_handle_refreshes_its_snapshot_and_old_snapshots_stay() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store")).unwrap();
        let before = db.snapshot();
        assert_eq!(db.stats().unwrap(), Stats::default());
        let file = dir.path().join("up.prom");
        std::fs::write(
            &file,
            "up{job=\"a\"} 1 1000\nup{job=\"a\"} 1 2000\nup{job=\"b\"} 0 3000\n",
        )
        .unwrap();
        db.ingest(&[file], &IngestOptions::default(), &mut |_| {})
            .unwrap();
        let stats = db.stats().unwrap();
        assert_eq!(
            (stats.series, stats.samples, stats.time_range),
            (2, 3, Some((1000, 3000)))
        );
        assert_eq!(stats.version, 1);
        assert!(
            before.series("up").unwrap().is_empty(),
            "an old snapshot does not change"
        );
        assert_eq!(db.snapshot().series("up").unwrap().len(), 2);
    }

    #[test]
    fn latest_keeps_the_snapshot_until_someone_else_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let reader = Database::create(&store).unwrap();
        let first = reader.latest().unwrap();
        assert!(Arc::ptr_eq(&first, &reader.latest().unwrap()), "nothing changed");
        let file = dir.path().join("up.prom");
        std::fs::write(&file, "up{job=\"a\"} 1 1000\n").unwrap();
        Database::open(&store)
            .unwrap()
            .ingest(&[file], &IngestOptions::default(), &mut |_| {})
            .unwrap();
        let newer = reader.latest().unwrap();
        assert!(!Arc::ptr_eq(&first, &newer));
        assert_eq!(newer.series("up").unwrap().len(), 1);
        assert!(Arc::ptr_eq(&newer, &reader.latest().unwrap()));
    }
}
