//! Compaction and retention of the logs table: how it rewrites a day ([`LogDays`]). The
//! table core plans and commits (see [`parquetry_table::maintenance`]);
//! `parquetry::maintenance` runs it on every table.

use crate::read::LogStore;
use crate::segment::LogsSegment;
use parquetry_table::error::Result;
use parquetry_table::maintenance::DayRewriter;
use parquetry_table::{LogState, Segment, StagedSegment, Storage, TableKind};
use std::sync::Arc;

/// Entries read and written at a time while a day is rewritten: a stream with more that
/// day is read in slices of time.
pub const PIECE_ROWS: u64 = 256 * 1024;

/// Rewrites days of the logs table: every stream's entries of the day, read in pieces of
/// about [`PIECE_ROWS`] entries, into one entries file.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogDays;

impl DayRewriter for LogDays {
    fn table(&self) -> TableKind {
        TableKind::Logs
    }

    fn rewrite_days(
        &self,
        storage: &Storage,
        state: &Arc<LogState>,
        days: &[i64],
        committed_at: i64,
    ) -> Result<(Vec<Segment>, u64)> {
        let store = LogStore::at(storage, state.clone())?;
        let (mut added, mut entries) = (Vec::new(), 0);
        for &day in days {
            let pieces = store.day_pieces(day, PIECE_ROWS)?;
            let mut segment = LogsSegment::new(storage);
            segment.write_day(day, pieces.iter().map(|p| store.read_piece(p)))?;
            entries += segment.entries();
            added.extend(segment.into_builder().finish(committed_at, &mut |_| Ok(()))?);
        }
        Ok((added, entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{LogEntry, StreamEntries};
    use crate::read::LogQuery;
    use crate::writer::LogsWriter;
    use parquetry_model::Labels;
    use parquetry_table::maintenance;
    use parquetry_table::segment::PARTITION_MS;
    use std::time::Duration;

    const DAY_NS: i64 = PARTITION_MS * 1_000_000;
    const T0: i64 = 20_000 * DAY_NS;

    /// Three commits over two days: stream `a` has many entries (some at equal times,
    /// some exact duplicates across commits), `b` and `c` few.
    fn store() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        for commit in 0..3i64 {
            let mut w = LogsWriter::begin(&storage).unwrap();
            let mut streams = Vec::new();
            for (app, n) in [("a", 40i64), ("b", 3), ("c", 2)] {
                let mut s = StreamEntries::new(Labels::from_pairs([("app", app)]));
                for i in 0..n {
                    let t = T0 + (i / 2) * 1_000 + commit * 7 + (i % 3) * DAY_NS / 2;
                    s.entries.push(LogEntry::new(t, format!("{app} line {}", i % 5)));
                    // The same entry again in every commit: one copy survives.
                    s.entries.push(LogEntry::new(T0 + 5, format!("{app} repeated")));
                }
                streams.push(s);
            }
            w.write(streams).unwrap();
            w.commit().unwrap();
        }
        (dir, storage)
    }

    fn everything(storage: &Storage) -> Vec<StreamEntries> {
        LogStore::open(storage)
            .unwrap()
            .read(&LogQuery::default())
            .unwrap()
    }

    #[test]
    fn pieces_of_a_day_read_every_entry_once_in_bounded_pieces() {
        let (_d, storage) = store();
        let store = LogStore::open(&storage).unwrap();
        let day_ms = T0 / 1_000_000;
        let mut read: Vec<StreamEntries> = Vec::new();
        for piece in store.day_pieces(day_ms, 10).unwrap() {
            let streams = store.read_piece(&piece).unwrap();
            assert!(streams.iter().map(|s| s.entries.len()).sum::<usize>() <= 12);
            for s in streams {
                match read.last_mut() {
                    Some(last) if last.id == s.id => last.entries.extend(s.entries),
                    _ => read.push(s),
                }
            }
        }
        let query = LogQuery {
            start: T0,
            end: T0 + DAY_NS,
            ..LogQuery::default()
        };
        assert_eq!(read, store.read(&query).unwrap());
    }

    #[test]
    fn compaction_keeps_every_entry_in_one_file_per_day_and_retention_drops_days() {
        let (_d, storage) = store();
        let before = everything(&storage);
        let logs = LogDays;
        let report = maintenance::run(&storage, &[&logs], None, Duration::ZERO).unwrap();
        assert_eq!((report.segments, report.files), ((3, 2), (6, 2)), "{report:?}");
        assert_eq!(report.days_rewritten, 2);
        assert_eq!(everything(&storage), before);
        let again = maintenance::run(&storage, &[&logs], None, Duration::ZERO).unwrap();
        assert_eq!((again.days_rewritten, again.files), (0, (2, 2)), "{again:?}");
        let cut = (T0 + DAY_NS) / 1_000_000;
        let kept = maintenance::run(&storage, &[&logs], Some(cut), Duration::ZERO).unwrap();
        assert_eq!((kept.days_dropped, kept.files.1), (1, 1), "{kept:?}");
        let later: Vec<StreamEntries> = before
            .into_iter()
            .map(|mut s| {
                s.entries.retain(|e| e.timestamp >= T0 + DAY_NS);
                s
            })
            .filter(|s| !s.entries.is_empty())
            .collect();
        assert_eq!(everything(&storage), later);
    }
}
