//! Whole traces out of the spans table: a day's files are read in slices of the trace
//! id space, so that memory stays bounded while every trace, from whichever writes its
//! spans came, is put together whole. Compaction and queries over a time range both read
//! traces this way.

use crate::read::{SpanStore, SpansFile};
use crate::segment::into_traces;
use crate::span::{Span, TraceId};
use parquetry_table::error::Result;

/// Spans read at a time, about, when a day is read slice by slice.
pub const SLICE_SPANS: u64 = 256 * 1024;

/// The bounds of slice `i` of `n` equal slices of the trace id space, by its first two
/// bytes.
pub fn slice_bounds(i: u32, n: u32) -> (TraceId, TraceId) {
    let low = (i as u64 * 65_536 / n as u64) as u16;
    let high = ((i as u64 + 1) * 65_536 / n as u64 - 1) as u16;
    let mut lo = [0u8; 16];
    let mut hi = [0xffu8; 16];
    lo[..2].copy_from_slice(&low.to_be_bytes());
    hi[..2].copy_from_slice(&high.to_be_bytes());
    (TraceId(lo), TraceId(hi))
}

impl SpanStore {
    /// The traces held by `files` (the files of one day), slice by slice of the trace
    /// id space: each item is one slice's traces, whole and deduplicated (see
    /// [`into_traces`]), in trace id order.
    pub fn day_slices<'a>(
        &'a self,
        files: Vec<&'a SpansFile>,
    ) -> impl Iterator<Item = Result<Vec<Vec<Span>>>> + 'a {
        let total: u64 = files.iter().map(|f| f.rows).sum();
        let slices = total.div_ceil(SLICE_SPANS).clamp(1, 65_536) as u32;
        (0..slices).map(move |i| {
            let (low, high) = slice_bounds(i, slices);
            let mut slice = Vec::new();
            for file in &files {
                let groups = self.row_groups_between(file, low, high)?;
                if groups.is_empty() {
                    continue;
                }
                let mut read = self.read_rows(file, &groups)?;
                read.retain(|s| low <= s.trace_id && s.trace_id <= high);
                slice.extend(read);
            }
            Ok(into_traces(slice).0)
        })
    }

    /// Calls `each` with every trace, whole, that has a span starting in
    /// `[start_ns, end_ns)`, its spans sorted by start time. Traces come day by day
    /// (a trace belongs to the day of its earliest span), in trace id order within a
    /// day.
    pub fn for_each_trace(
        &self,
        start_ns: i64,
        end_ns: i64,
        each: &mut dyn FnMut(Vec<Span>) -> Result<()>,
    ) -> Result<()> {
        let (from_ms, to_ms) = (start_ns.div_euclid(1_000_000), end_ns.div_euclid(1_000_000));
        let mut days: Vec<i64> = self
            .files()
            .iter()
            .filter(|f| f.max_time >= from_ms && f.min_time <= to_ms)
            .map(|f| f.partition_start)
            .collect();
        days.sort_unstable();
        days.dedup();
        for day in days {
            let files: Vec<&SpansFile> = self.files().iter().filter(|f| f.partition_start == day).collect();
            for slice in self.day_slices(files) {
                for trace in slice? {
                    if trace.iter().any(|s| (start_ns..end_ns).contains(&s.start)) {
                        each(trace)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::span;
    use crate::writer::SpansWriter;
    use parquetry_table::Storage;
    use parquetry_table::segment::PARTITION_MS;

    const T0: i64 = 20_000 * PARTITION_MS * 1_000_000;

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

    #[test]
    fn traces_of_a_range_come_whole_across_writes() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let writes = [
            vec![span(1, 1, None, T0, "front"), span(2, 5, None, T0 + 50, "front")],
            vec![span(1, 2, Some(1), T0 + 20, "cart")],
        ];
        for spans in writes {
            let mut w = SpansWriter::begin(&storage).unwrap();
            w.write(spans).unwrap();
            w.commit().unwrap();
        }
        let store = SpanStore::open(&storage).unwrap();
        let mut seen = Vec::new();
        store
            .for_each_trace(T0 + 10, T0 + 30, &mut |t| {
                seen.push(t.iter().map(|s| s.span_id.0[0]).collect::<Vec<_>>());
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, vec![vec![1, 2]], "trace 1 whole; trace 2 starts later");
    }
}
