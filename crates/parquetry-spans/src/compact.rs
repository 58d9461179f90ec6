//! Compaction and retention of the spans table: how it rewrites a day ([`SpanDays`]).
//! A day's traces are read slice by slice ([`SpanStore::day_slices`]), so that memory
//! stays bounded while every trace of the day, from whichever writes it came, ends up
//! whole in the one new file, its tree numbered over all its spans. The table core
//! plans and commits (see [`parquetry_table::maintenance`]).

use crate::parts::SpanParts;
use crate::prefilter::TraceNeeds;
use crate::read::SpanStore;
use crate::segment::SpansSegment;
use parquetry_table::error::Result;
use parquetry_table::maintenance::DayRewriter;
use parquetry_table::{LogState, Segment, StagedSegment, Storage, TableKind};
use std::sync::Arc;

/// Rewrites days of the spans table into one spans file per day.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpanDays;

impl DayRewriter for SpanDays {
    fn table(&self) -> TableKind {
        TableKind::Spans
    }

    fn rewrite_days(
        &self,
        storage: &Storage,
        state: &Arc<LogState>,
        days: &[i64],
        committed_at: i64,
    ) -> Result<(Vec<Segment>, u64)> {
        let store = SpanStore::at(storage, state);
        let (mut added, mut spans) = (Vec::new(), 0);
        let (every_trace, whole) = (TraceNeeds::default(), SpanParts::whole());
        for &day in days {
            let files: Vec<_> = store
                .files()
                .iter()
                .filter(|f| f.partition_start == day)
                .collect();
            let traces = store
                .day_slices(files, &every_trace, &whole)
                .flat_map(|slice| match slice {
                    Ok(traces) => traces.into_iter().map(Ok).collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                });
            let mut segment = SpansSegment::new(storage);
            segment.write_day(day, traces)?;
            spans += segment.spans();
            added.extend(segment.into_builder().finish(committed_at, &mut |_| Ok(()))?);
        }
        Ok((added, spans))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Span, TraceId};
    use crate::test_support::span;
    use crate::writer::SpansWriter;
    use parquetry_table::maintenance;
    use parquetry_table::segment::PARTITION_MS;
    use std::time::Duration;

    const T0: i64 = 20_000 * PARTITION_MS * 1_000_000;

    #[test]
    fn a_compacted_day_holds_every_trace_whole_in_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let writes = [
            vec![span(1, 1, None, T0, "front"), span(2, 5, None, T0 + 3, "front")],
            vec![
                span(1, 2, Some(1), T0 + 1, "cart"),
                span(3, 6, None, T0 + 4, "cart"),
            ],
            vec![
                span(1, 3, Some(2), T0 + 2, "db"),
                span(2, 5, None, T0 + 9, "front"),
            ],
        ];
        for spans in writes {
            let mut w = SpansWriter::begin(&storage).unwrap();
            w.write(spans).unwrap();
            w.commit().unwrap();
        }
        let before = SpanStore::open(&storage).unwrap();
        let traces = |s: &SpanStore| -> Vec<Vec<Span>> {
            (1..4).map(|t| s.trace(TraceId([t; 16])).unwrap()).collect()
        };
        let wanted = traces(&before);
        assert_eq!(wanted[1][0].start, T0 + 9, "the later write of span 5 wins");
        let report = maintenance::run(&storage, &[&SpanDays], None, Duration::ZERO).unwrap();
        assert_eq!(report.files.1, 1);
        let after = SpanStore::open(&storage).unwrap();
        assert_eq!(after.files().len(), 1);
        assert_eq!(traces(&after), wanted);
        assert_eq!(after.span_count(), 5);
    }
}
