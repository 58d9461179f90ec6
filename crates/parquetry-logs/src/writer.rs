//! Writing a new store version with log entries: stage a logs segment, then publish it
//! with one commit record through the table core.

use crate::entry::StreamEntries;
use crate::segment::LogsSegment;
use parquetry_table::commit as log_commit;
use parquetry_table::error::Result;
use parquetry_table::{CommitStep, LogState, Manifest, Storage};

/// A writer staging the log entries of one commit.
///
/// Nothing it writes is visible until [`LogsWriter::commit`]; dropping it without
/// committing leaves unnamed files that vacuum removes after the grace period
/// ([`LogsWriter::abort`] removes them at once). Writers need no lock.
pub struct LogsWriter {
    storage: Storage,
    base: LogState,
    operation: String,
    segment: LogsSegment,
}

impl LogsWriter {
    /// Starts a commit on the store in `storage`, creating the store when there is none.
    pub fn begin(storage: &Storage) -> Result<LogsWriter> {
        let base = log_commit::begin(storage)?;
        Ok(LogsWriter {
            segment: LogsSegment::new(storage),
            storage: storage.clone(),
            base,
            operation: "write".to_string(),
        })
    }

    /// Names what the commit does in its record (`ingest`, `write`, …).
    pub fn with_operation(mut self, operation: &str) -> LogsWriter {
        self.operation = operation.to_string();
        self
    }

    /// The segment staged so far (entries, streams, bytes, duplicates).
    pub fn segment(&self) -> &LogsSegment {
        &self.segment
    }

    /// Stages streams of entries (see [`LogsSegment::write`]).
    pub fn write(&mut self, streams: Vec<StreamEntries>) -> Result<()> {
        self.segment.write(streams)
    }

    /// Publishes everything staged as one new store version and returns its manifest;
    /// with nothing staged, the current manifest unchanged.
    pub fn commit(self) -> Result<Manifest> {
        self.commit_with(&mut |_| Ok(()))
    }

    /// [`LogsWriter::commit`] with a hook called after each step; an error from the hook
    /// stops the commit there, as a crash would.
    pub fn commit_with(self, hook: &mut dyn FnMut(CommitStep) -> Result<()>) -> Result<Manifest> {
        let segments = vec![self.segment.into_builder()];
        let state = log_commit::commit_segments(&self.storage, self.base, &self.operation, segments, hook)?;
        Ok(state.manifest)
    }

    /// Removes the files staged so far.
    pub fn abort(self) -> Result<()> {
        self.segment.into_builder().discard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::LogEntry;
    use crate::read::{LogQuery, LogStore};
    use parquetry_model::Labels;
    use parquetry_table::checkpoint::CHECKPOINT_INTERVAL;
    use parquetry_table::error::StoreError;

    fn stream(app: &str, t: i64) -> StreamEntries {
        let mut s = StreamEntries::new(Labels::from_pairs([("app", app)]));
        s.entries = vec![LogEntry::new(t, format!("line at {t}"))];
        s
    }

    fn lines(storage: &Storage) -> Vec<String> {
        let store = LogStore::open(storage).unwrap();
        let streams = store.read(&LogQuery::default()).unwrap();
        streams
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.line.clone()))
            .collect()
    }

    #[test]
    fn commits_across_a_checkpoint_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let commits = CHECKPOINT_INTERVAL as i64 + 3;
        for c in 0..commits {
            let mut w = LogsWriter::begin(&storage).unwrap();
            w.write(vec![stream(if c % 2 == 0 { "a" } else { "b" }, c)])
                .unwrap();
            w.commit().unwrap();
        }
        assert_eq!(lines(&storage).len(), commits as usize);
        let store = LogStore::open(&storage).unwrap();
        assert_eq!(store.streams().len(), 2);
    }

    #[test]
    fn no_step_of_a_commit_is_half_visible() {
        for stop in CommitStep::ALL {
            let dir = tempfile::tempdir().unwrap();
            let storage = Storage::local(dir.path());
            let mut w = LogsWriter::begin(&storage).unwrap();
            w.write(vec![stream("a", 1)]).unwrap();
            w.commit().unwrap();
            let mut w = LogsWriter::begin(&storage).unwrap();
            w.write(vec![stream("a", 2), stream("b", 3)]).unwrap();
            let err = w
                .commit_with(&mut |step| {
                    if step == stop {
                        Err(StoreError::InvalidInput(format!("injected after {step:?}")))
                    } else {
                        Ok(())
                    }
                })
                .unwrap_err();
            assert!(err.to_string().contains("injected"), "{err}");
            assert_eq!(lines(&storage), ["line at 1"], "after {stop:?}");
        }
    }
}
