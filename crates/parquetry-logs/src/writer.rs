//! Writing a new store version with log entries: a logs segment staged through the
//! table core's [`TableWriter`], published with one commit record.

use parquetry_table::TableWriter;

/// A writer staging the log entries of one commit (see [`TableWriter`]).
pub type LogsWriter = TableWriter<crate::segment::LogsSegment>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::LogEntry;
    use crate::entry::StreamEntries;
    use crate::read::{LogQuery, LogStore};
    use parquetry_model::Labels;
    use parquetry_table::checkpoint::CHECKPOINT_INTERVAL;
    use parquetry_table::error::StoreError;
    use parquetry_table::{CommitStep, Storage};

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
