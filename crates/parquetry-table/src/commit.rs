//! Publishing a commit: one record, created only if its version is still free.
//!
//! Data files are written first, under names no one else uses; the record that names
//! them is then published with create-if-absent. Two writers racing for the same version:
//! one wins, the other reads the records it missed and tries the next version, unless a
//! record it missed removed a segment that its own change removes too (then it reports a
//! [`StoreError::Conflict`] and publishes nothing).
//!
//! Expiry deletes records older than the newest checkpoint, so a writer whose base is
//! older than that could find a long-gone version free. Expiry therefore raises the log's
//! floor (`_log/_floor.json`) before it deletes anything, and a writer checks the floor
//! after publishing: a record below it is taken back and the commit retried.

use crate::error::{Result, StoreError};
use crate::log::{self, CommitRecord, LogState};
use crate::manifest::{Change, FORMAT_VERSION, Manifest};
use crate::manifest_v1;
use crate::segment::{CommitStep, SegmentBuilder};
use crate::storage::Storage;

/// How many versions a writer tries before it gives up on a very busy store.
const MAX_ATTEMPTS: usize = 1000;

/// The current time in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Opens the store for writing: reads its newest version, creating an empty store when
/// there is none (the folder may not exist yet), and converting a layout-version-1 store
/// in one commit.
pub fn begin(storage: &Storage) -> Result<LogState> {
    let state = match log::read_latest(storage) {
        Ok(state) => state,
        Err(StoreError::NotAStore { .. }) if is_empty(storage)? => {
            let created = publish_full(storage, &Manifest::empty(), "create")?;
            return match created {
                Some(state) => Ok(state),
                // Someone else created it at the same moment.
                None => log::read_latest(storage),
            };
        }
        Err(e) => return Err(e),
    };
    if state.legacy {
        return upgrade(storage, state);
    }
    Ok(state)
}

/// True when the folder has neither a log nor a layout-version-1 manifest folder.
fn is_empty(storage: &Storage) -> Result<bool> {
    Ok(storage.list(log::LOG_DIR)?.is_empty() && storage.list(manifest_v1::MANIFEST_DIR)?.is_empty())
}

/// Converts a layout-version-1 store: one full record at the next version, naming the
/// same data files, then a version-1 manifest that tells older readers the layout moved
/// on. Returns the converted state (or the newest state when another writer converted it
/// first).
fn upgrade(storage: &Storage, state: LogState) -> Result<LogState> {
    let mut next = state.manifest.clone();
    next.version += 1;
    match publish_full(storage, &next, "upgrade")? {
        Some(converted) => {
            manifest_v1::publish_moved_on(storage, next.version)?;
            Ok(converted)
        }
        None => log::read_latest(storage),
    }
}

/// Publishes `manifest` as a full record of its version. `None` when the version exists.
fn publish_full(storage: &Storage, manifest: &Manifest, operation: &str) -> Result<Option<LogState>> {
    let record = CommitRecord {
        format: FORMAT_VERSION,
        version: manifest.version,
        committed_at: now_ms(),
        full: true,
        change: Change {
            operation: operation.to_string(),
            add: manifest.segments.clone(),
            remove: Vec::new(),
        },
    };
    if !storage.put_if_absent(&log::record_path(record.version), &to_json(&record))? {
        return Ok(None);
    }
    let mut state = LogState::empty();
    state.advance(&record);
    Ok(Some(state))
}

fn to_json(record: &CommitRecord) -> Vec<u8> {
    serde_json::to_vec(record).expect("a commit record always serializes")
}

/// Publishes `change` on top of `state` (or of whatever was committed since), and
/// returns the new state. See the module documentation for races.
pub fn publish(storage: &Storage, state: LogState, change: Change) -> Result<LogState> {
    publish_with(storage, state, change, &mut || Ok(()))
}

/// Finishes the staged `segments` (of one table or several) and publishes them as one
/// version, so that an input carrying several signals lands in one atomic commit; writes
/// a checkpoint when one is due. With nothing staged, returns `base` unchanged. `hook` is
/// called after each step; an error from it stops the commit there, as a crash would.
pub fn commit_segments(
    storage: &Storage,
    base: LogState,
    operation: &str,
    segments: Vec<SegmentBuilder>,
    hook: &mut dyn FnMut(CommitStep) -> Result<()>,
) -> Result<LogState> {
    let committed_at = now_ms();
    let mut add = Vec::with_capacity(segments.len());
    for segment in segments {
        add.extend(segment.finish(committed_at, hook)?);
    }
    if add.is_empty() {
        return Ok(base);
    }
    let change = Change {
        operation: operation.to_string(),
        add,
        remove: Vec::new(),
    };
    let state = publish_with(storage, base, change, &mut || hook(CommitStep::RecordTemp))?;
    if crate::checkpoint::due(state.manifest.version) {
        crate::checkpoint::write_merged(storage, &state)?;
    }
    Ok(state)
}

/// [`publish`] with a hook called once the record is written under its temporary name
/// and before it is published; an error from the hook stops the commit there, as a
/// crash would.
pub fn publish_with(
    storage: &Storage,
    mut state: LogState,
    mut change: Change,
    before_publish: &mut dyn FnMut() -> Result<()>,
) -> Result<LogState> {
    for _ in 0..MAX_ATTEMPTS {
        let missing = state.manifest.missing(&change);
        if !missing.is_empty() {
            return Err(StoreError::Conflict(format!(
                "a concurrent commit removed segment(s) {} that this {} also replaces",
                missing.join(", "),
                change.operation
            )));
        }
        let record = CommitRecord {
            format: FORMAT_VERSION,
            version: state.manifest.version + 1,
            committed_at: now_ms(),
            full: false,
            change,
        };
        let rel = log::record_path(record.version);
        if storage.put_if_absent_with(&rel, &to_json(&record), before_publish)? {
            if log::read_floor(storage)? <= record.version {
                state.advance(&record);
                return Ok(state);
            }
            // The version was free only because expiry had deleted its record: the base
            // was older than the newest checkpoint. Unless the commit made it into the
            // log anyway (later writers read it before expiry), take it back and retry
            // on the newest version.
            let latest = log::read_latest(storage)?;
            if landed(&latest, &record.change) {
                return Ok(latest);
            }
            storage.delete(&rel)?;
            change = record.change;
            state = latest;
            continue;
        }
        change = record.change;
        catch_up(storage, &mut state)?;
    }
    Err(StoreError::Conflict(format!(
        "gave up after {MAX_ATTEMPTS} attempts: other writers kept committing first"
    )))
}

/// True when `latest` holds what `change` did: its added segments (or, for a change
/// that only removes, the absence of what it removed).
fn landed(latest: &LogState, change: &Change) -> bool {
    let has = |id: &String| latest.manifest.segments.iter().any(|s| &s.id == id);
    if change.add.is_empty() {
        !change.remove.iter().any(has)
    } else {
        change.add.iter().all(|s| has(&s.id))
    }
}

/// Brings `state` up to the newest version: the records after it, or the whole log when
/// those were expired meanwhile.
fn catch_up(storage: &Storage, state: &mut LogState) -> Result<()> {
    let before = state.manifest.version;
    while let Some(record) = log::read_record(storage, state.manifest.version + 1)? {
        state.advance(&record);
    }
    if state.manifest.version == before {
        *state = log::read_latest(storage)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::test_segment;

    fn ingest(id: &str) -> Change {
        Change {
            operation: "ingest".into(),
            add: vec![test_segment(id, &[0])],
            remove: vec![],
        }
    }

    #[test]
    fn a_writer_that_loses_a_race_commits_at_the_next_version() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let a = begin(&s).unwrap();
        let b = begin(&s).unwrap();
        let a = publish(&s, a, ingest("a")).unwrap();
        let b = publish(&s, b, ingest("b")).unwrap();
        assert_eq!((a.manifest.version, b.manifest.version), (1, 2));
        let latest = log::read_latest(&s).unwrap();
        let ids: Vec<&str> = latest.manifest.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(latest.manifest, b.manifest);
    }

    #[test]
    fn two_replacements_of_the_same_segment_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let base = publish(&s, begin(&s).unwrap(), ingest("a")).unwrap();
        let replace = |id: &str| Change {
            operation: "compact".into(),
            add: vec![test_segment(id, &[0])],
            remove: vec!["a".into()],
        };
        publish(&s, base.clone(), replace("x")).unwrap();
        let err = publish(&s, base, replace("y")).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let latest = log::read_latest(&s).unwrap();
        assert_eq!(latest.manifest.segments.len(), 1);
        assert_eq!(latest.tombstones.len(), 1, "the replaced segment is tombstoned");
    }

    #[test]
    fn a_writer_whose_base_was_expired_commits_after_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let stale = begin(&s).unwrap();
        let mut state = stale.clone();
        for v in 1..=2 * crate::checkpoint::CHECKPOINT_INTERVAL + 3 {
            state = publish(&s, state, ingest(&format!("s{v}"))).unwrap();
            if crate::checkpoint::due(state.manifest.version) {
                crate::checkpoint::write(&s, &state, Default::default(), crate::checkpoint::DEFAULT_GRACE)
                    .unwrap();
            }
        }
        assert!(
            log::read_record(&s, 1).unwrap().is_none(),
            "version 1 was expired"
        );
        let done = publish(&s, stale, ingest("late")).unwrap();
        assert_eq!(done.manifest.version, state.manifest.version + 1);
        let latest = log::read_latest(&s).unwrap();
        assert_eq!(latest.manifest, done.manifest);
        assert!(latest.manifest.segments.iter().any(|s| s.id == "late"));
        assert!(
            log::read_record(&s, 1).unwrap().is_none(),
            "the stale record was taken back"
        );
    }

    #[test]
    fn a_crash_before_the_record_is_published_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let base = begin(&s).unwrap();
        let err = publish_with(&s, base, ingest("a"), &mut || {
            Err(StoreError::InvalidInput("crash".into()))
        })
        .unwrap_err();
        assert!(err.to_string().contains("crash"));
        assert_eq!(log::read_latest(&s).unwrap().manifest, Manifest::empty());
    }
}
