//! Compaction and retention of the spans table: how it rewrites a day ([`SpanDays`]).
//! A day's spans are read in slices of the trace id space, so that memory stays bounded
//! while every trace of the day, from whichever writes it came, ends up whole in the one
//! new file, its tree numbered over all its spans. The table core plans and commits (see
//! [`parquetry_table::maintenance`]).

use crate::read::SpanStore;
use crate::segment::{SpansSegment, into_traces};
use crate::span::{Span, TraceId};
use parquetry_table::error::Result;
use parquetry_table::maintenance::DayRewriter;
use parquetry_table::{LogState, Segment, StagedSegment, Storage, TableKind};
use std::sync::Arc;

/// Spans read at a time, about, while a day is rewritten.
pub const SLICE_SPANS: u64 = 256 * 1024;

/// Rewrites days of the spans table into one spans file per day.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpanDays;

/// The bounds of slice `i` of `n` equal slices of the trace id space, by its first two
/// bytes.
fn slice_bounds(i: u32, n: u32) -> (TraceId, TraceId) {
    let low = (i as u64 * 65_536 / n as u64) as u16;
    let high = ((i as u64 + 1) * 65_536 / n as u64 - 1) as u16;
    let mut lo = [0u8; 16];
    let mut hi = [0xffu8; 16];
    lo[..2].copy_from_slice(&low.to_be_bytes());
    hi[..2].copy_from_slice(&high.to_be_bytes());
    (TraceId(lo), TraceId(hi))
}

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
        for &day in days {
            let files: Vec<_> = store
                .files()
                .iter()
                .filter(|f| f.partition_start == day)
                .collect();
            let total: u64 = files.iter().map(|f| f.rows).sum();
            let slices = total.div_ceil(SLICE_SPANS).clamp(1, 65_536) as u32;
            let read_slice = |i: u32| -> Result<Vec<Vec<Span>>> {
                let (low, high) = slice_bounds(i, slices);
                let mut slice = Vec::new();
                for file in &files {
                    let groups = store.row_groups_between(file, low, high)?;
                    if groups.is_empty() {
                        continue;
                    }
                    let mut read = store.read_rows(file, &groups)?;
                    read.retain(|s| low <= s.trace_id && s.trace_id <= high);
                    slice.extend(read);
                }
                Ok(into_traces(slice).0)
            };
            let traces = (0..slices).flat_map(|i| match read_slice(i) {
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

    #[test]
    fn slices_cover_the_id_space_without_gaps() {
        for n in [1, 3, 256, 65_536] {
            let (first, _) = slice_bounds(0, n);
            let (_, last) = slice_bounds(n - 1, n);
            assert_eq!((first, last), (TraceId([0; 16]), TraceId([0xff; 16])));
            for i in 1..n.min(300) {
                let (_, high) = slice_bounds(i - 1, n);
                let (low, _) = slice_bounds(i, n);
                assert_eq!(
                    u16::from_be_bytes([high.0[0], high.0[1]]) + 1,
                    u16::from_be_bytes([low.0[0], low.0[1]])
                );
            }
        }
    }
}
