//! One commit holding several signals: samples with their metric metadata, log entries
//! and spans, staged side by side and published as a single store version, so that a
//! receiver's batch lands whole or not at all.

use crate::{Database, Error};
use parquetry_logs::StreamEntries;
use parquetry_logs::segment::LogsSegment;
use parquetry_model::MetricMetadata;
use parquetry_spans::Span;
use parquetry_spans::segment::SpansSegment;
use parquetry_store::SeriesSamples;
use parquetry_store::segment::SamplesSegment;
use parquetry_table::commit as log_commit;
use parquetry_table::table_writer::StagedSegment;
use parquetry_table::{CommitStep, SegmentBuilder};

/// What one commit of [`Database::write_batch`] holds; any part may be empty.
#[derive(Debug, Default)]
pub struct WriteBatch {
    /// Series, each sorted by time without repeated times.
    pub series: Vec<SeriesSamples>,
    /// Metric family declarations; those the store holds already are left out, and
    /// they are kept only when the commit has samples.
    pub metadata: Vec<MetricMetadata>,
    /// Log entries by stream.
    pub streams: Vec<StreamEntries>,
    /// Spans.
    pub spans: Vec<Span>,
}

impl Database {
    /// Commits everything in `batch` as one new version whose record names
    /// `operation`, then refreshes the snapshot and compacts when automatic compaction
    /// is due, as [`Database::ingest`] does. Returns the version committed (the current
    /// one when the batch is empty). Nothing is committed on an error.
    pub fn write_batch(&self, batch: WriteBatch, operation: &str) -> Result<u64, Error> {
        self.write_batch_with(batch, operation, &mut |_| Ok(()))
    }

    /// [`Database::write_batch`] with a hook called after each step of the commit; an
    /// error from the hook stops the commit there, as a crash would.
    pub fn write_batch_with(
        &self,
        batch: WriteBatch,
        operation: &str,
        hook: &mut dyn FnMut(CommitStep) -> parquetry_table::error::Result<()>,
    ) -> Result<u64, Error> {
        let storage = self.storage();
        let base = log_commit::begin(storage)?;
        let segments = stage(storage, &base.manifest, batch)?;
        let state = log_commit::commit_segments(storage, base, operation, segments, hook)?;
        self.after_ingest()?;
        Ok(state.manifest.version)
    }
}

/// Stages each signal of `batch` as its own segment; on an error removes what was
/// staged.
fn stage(
    storage: &parquetry_table::Storage,
    manifest: &parquetry_table::Manifest,
    batch: WriteBatch,
) -> Result<Vec<SegmentBuilder>, Error> {
    let mut samples = SamplesSegment::new(storage);
    let mut logs = LogsSegment::new(storage);
    let mut spans = SpansSegment::new(storage);
    let known = manifest.metric_metadata();
    samples.declare(parquetry_model::metadata::new_entries(&known, batch.metadata));
    let staged = samples
        .write(batch.series)
        .and_then(|()| logs.write(batch.streams))
        .and_then(|()| spans.write(batch.spans));
    let segments = vec![samples.into_builder(), logs.into_builder(), spans.into_builder()];
    if let Err(e) = staged {
        for segment in segments {
            segment.discard()?;
        }
        return Err(e.into());
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_logs::LogEntry;
    use parquetry_model::Labels;
    use parquetry_table::TableKind;

    fn batch() -> WriteBatch {
        let mut stream = StreamEntries::new(Labels::from_pairs([("app", "api")]));
        stream.entries = vec![LogEntry::new(1_700_000_000_000_000_000, "started")];
        let spans = parquetry_spans::otlp_json::spans_of(
            serde_json::from_str(
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}"#,
            )
            .unwrap(),
        )
        .unwrap();
        let mut series = SeriesSamples::new(Labels::from_pairs([("__name__", "up")]));
        series.timestamps.push(1_700_000_000_000);
        series.values.push(1.0);
        WriteBatch {
            series: vec![series],
            metadata: Vec::new(),
            streams: vec![stream],
            spans,
        }
    }

    #[test]
    fn every_signal_lands_in_one_version() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path()).unwrap();
        let version = db.write_batch(batch(), "receive").unwrap();
        let engine = db.snapshot();
        let manifest = engine.store().manifest();
        assert_eq!(manifest.version, version);
        for kind in [TableKind::Metrics, TableKind::Logs, TableKind::Spans] {
            assert_eq!(manifest.segments_of(kind).count(), 1, "{kind:?}");
        }
        assert_eq!(db.write_batch(WriteBatch::default(), "receive").unwrap(), version);
    }

    #[test]
    fn a_commit_stopped_at_any_step_leaves_no_signal_behind() {
        for stop in CommitStep::ALL {
            let dir = tempfile::tempdir().unwrap();
            let db = Database::create(dir.path()).unwrap();
            let err = db
                .write_batch_with(batch(), "receive", &mut |step| {
                    if step == stop {
                        Err(parquetry_table::StoreError::InvalidInput("stopped".into()))
                    } else {
                        Ok(())
                    }
                })
                .unwrap_err();
            assert!(err.to_string().contains("stopped"), "{err}");
            let engine = db.refresh().unwrap();
            let stats = db.stats().unwrap();
            assert_eq!(
                (stats.samples, stats.logs.entries, stats.spans.spans),
                (0, 0, 0),
                "{stop:?}"
            );
            assert_eq!(engine.store().manifest().segments.len(), 0, "{stop:?}");
        }
    }
}
