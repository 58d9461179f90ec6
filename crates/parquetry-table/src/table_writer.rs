//! Writing a new store version to one table: a signal's segment stages its rows, then
//! one commit record publishes the segment.

use crate::commit as log_commit;
use crate::error::Result;
use crate::{CommitStep, LogState, Manifest, SegmentBuilder, Storage};

/// A segment of one table that a signal crate stages rows into.
pub trait StagedSegment: Sized {
    /// What one [`StagedSegment::write`] takes (streams of entries, spans, …).
    type Rows;

    /// A new, empty segment in `storage`.
    fn new(storage: &Storage) -> Self;

    /// Stages `rows` as data files of the segment.
    fn write(&mut self, rows: Self::Rows) -> Result<()>;

    /// The staged segment, for the commit.
    fn into_builder(self) -> SegmentBuilder;
}

/// A writer staging the rows of one commit to one table.
///
/// Nothing it writes is visible until [`TableWriter::commit`]; dropping it without
/// committing leaves unnamed files that vacuum removes after the grace period
/// ([`TableWriter::abort`] removes them at once). Writers need no lock.
pub struct TableWriter<S> {
    storage: Storage,
    base: LogState,
    operation: String,
    segment: S,
}

impl<S: StagedSegment> TableWriter<S> {
    /// Starts a commit on the store in `storage`, creating the store when there is none.
    pub fn begin(storage: &Storage) -> Result<TableWriter<S>> {
        let base = log_commit::begin(storage)?;
        Ok(TableWriter {
            segment: S::new(storage),
            storage: storage.clone(),
            base,
            operation: "write".to_string(),
        })
    }

    /// Names what the commit does in its record (`ingest`, `write`, …).
    pub fn with_operation(mut self, operation: &str) -> TableWriter<S> {
        self.operation = operation.to_string();
        self
    }

    /// The segment staged so far.
    pub fn segment(&self) -> &S {
        &self.segment
    }

    /// Stages `rows` (see [`StagedSegment::write`]).
    pub fn write(&mut self, rows: S::Rows) -> Result<()> {
        self.segment.write(rows)
    }

    /// Publishes everything staged as one new store version and returns its manifest;
    /// with nothing staged, the current manifest unchanged.
    pub fn commit(self) -> Result<Manifest> {
        self.commit_with(&mut |_| Ok(()))
    }

    /// [`TableWriter::commit`] with a hook called after each step; an error from the
    /// hook stops the commit there, as a crash would.
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
