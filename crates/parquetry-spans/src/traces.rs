//! Whole traces out of the spans table: a day's files are read in slices of the trace
//! id space, so that memory stays bounded while every trace, from whichever writes its
//! spans came, is put together whole. Compaction and queries over a time range both read
//! traces this way.

use crate::newest::ranges_of;
use crate::parts::SpanParts;
use crate::prefilter::TraceNeeds;
use crate::read::{SpanStore, SpansFile};
use crate::schema::{columns, projection};
use crate::segment::into_traces;
use crate::span::{Span, TraceId};
use arrow::array::{Array, FixedSizeBinaryArray};
use parquetry_table::error::Result;
use rustc_hash::FxHashSet;
use std::ops::Range;

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
    /// The traces held by `files` (the files of one day) that meet `needs`, slice by
    /// slice of the trace id space: each item is one slice's traces, whole and
    /// deduplicated (see [`into_traces`]), in trace id order. Each slice first reads only
    /// the trace ids (and the columns the needs test) of the row groups that may hold
    /// it, then decodes only the rows of its traces that meet the needs, so that a day
    /// of many files is not decoded once per slice.
    pub fn day_slices<'a>(
        &'a self,
        files: Vec<&'a SpansFile>,
        needs: &'a TraceNeeds,
        parts: &'a SpanParts,
    ) -> impl Iterator<Item = Result<Vec<Vec<Span>>>> + 'a {
        let total: u64 = files.iter().map(|f| f.rows).sum();
        let slices = total.div_ceil(SLICE_SPANS).clamp(1, 65_536) as u32;
        (0..slices).map(move |i| {
            let (low, high) = slice_bounds(i, slices);
            let chosen = self.rows_meeting(&files, low, high, needs)?;
            let mut slice = Vec::new();
            for (file, ranges) in files.iter().zip(chosen) {
                if !ranges.is_empty() {
                    slice.extend(self.read_rows(file, &ranges, parts)?);
                }
            }
            Ok(into_traces(slice).0)
        })
    }

    /// Per file of `files`, the rows of the traces with ids in `[low, high]` that meet
    /// every need (all of them when there is none), in any of the files, read from the
    /// trace ids and the tested columns only.
    pub(crate) fn rows_meeting(
        &self,
        files: &[&SpansFile],
        low: TraceId,
        high: TraceId,
        needs: &TraceNeeds,
    ) -> Result<Vec<Vec<Range<u64>>>> {
        let groups = files
            .iter()
            .map(|f| self.row_groups_between(f, low, high))
            .collect::<Result<Vec<_>>>()?;
        self.rows_meeting_in(files, &groups, (low, high), needs)
    }

    /// [`Self::rows_meeting`] in the rows `groups[i]` (whole row groups) of each file
    /// `files[i]` alone.
    pub fn rows_meeting_in(
        &self,
        files: &[&SpansFile],
        groups: &[Vec<Range<u64>>],
        (low, high): (TraceId, TraceId),
        needs: &TraceNeeds,
    ) -> Result<Vec<Vec<Range<u64>>>> {
        let tested = needs.columns();
        let projection = projection(tested.iter().copied().chain([columns::TRACE_ID]));
        let mut met: Vec<FxHashSet<[u8; 16]>> = vec![FxHashSet::default(); needs.0.len()];
        let mut rows_of_files = Vec::with_capacity(files.len());
        for (file, groups) in files.iter().zip(groups) {
            let untrusted = self.untrusted_for(file, needs)?;
            let untrusted: Vec<&str> = untrusted.iter().map(String::as_str).collect();
            let mut rows: Vec<(u64, [u8; 16])> = Vec::new();
            let mut numbers = groups.iter().flat_map(|r| r.clone());
            let batches = if groups.is_empty() {
                Vec::new()
            } else {
                self.read_for_needs(file, groups, &projection, needs)?
            };
            for batch in &batches {
                let ids = batch
                    .column_by_name(columns::TRACE_ID)
                    .and_then(|c| c.as_any().downcast_ref::<FixedSizeBinaryArray>())
                    .ok_or_else(|| self.corrupt(file, "trace_id is not 16-byte binary"))?;
                let masks: Vec<Vec<bool>> = needs.0.iter().map(|c| c.eval(batch, &untrusted)).collect();
                for i in 0..ids.len() {
                    let row = numbers.next().unwrap_or(u64::MAX);
                    let id: [u8; 16] = ids.value(i).try_into().unwrap_or([0; 16]);
                    if id < low.0 || high.0 < id {
                        continue;
                    }
                    for (set, mask) in met.iter_mut().zip(&masks) {
                        if mask[i] {
                            set.insert(id);
                        }
                    }
                    rows.push((row, id));
                }
            }
            rows_of_files.push(rows);
        }
        let chosen = |id: &[u8; 16]| met.iter().all(|set| set.contains(id));
        Ok(rows_of_files
            .into_iter()
            .map(|rows| ranges_of(rows.into_iter().filter(|(_, id)| chosen(id)).map(|(row, _)| row)))
            .collect())
    }

    /// Calls `each` with every trace, whole, that has a span starting in
    /// `[start_ns, end_ns)` and meets `needs`, its spans sorted by start time and only
    /// their `parts` decoded. Traces come day by day (a trace belongs to the day of its
    /// earliest span), in trace id order within a day.
    pub fn for_each_trace(
        &self,
        (start_ns, end_ns): (i64, i64),
        needs: &TraceNeeds,
        parts: &SpanParts,
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
            for slice in self.day_slices(files, needs, parts) {
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
    use crate::any_value::{AnyValue, Attribute};
    use crate::prefilter::SpanCondition;
    use crate::span::Resource;
    use crate::test_support::span;
    use crate::writer::SpansWriter;
    use parquetry_table::Storage;
    use parquetry_table::segment::PARTITION_MS;
    use std::sync::Arc;

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
            .for_each_trace(
                (T0 + 10, T0 + 30),
                &TraceNeeds::default(),
                &SpanParts::whole(),
                &mut |t| {
                    seen.push(t.iter().map(|s| s.span_id.0[0]).collect::<Vec<_>>());
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(seen, vec![vec![1, 2]], "trace 1 whole; trace 2 starts later");
    }

    fn traces_meeting(store: &SpanStore, needs: &TraceNeeds) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        store
            .for_each_trace((T0, T0 + 1_000), needs, &SpanParts::core(), &mut |t| {
                seen.push(t.iter().map(|s| s.span_id.0[0]).collect::<Vec<_>>());
                Ok(())
            })
            .unwrap();
        seen
    }

    fn service_is(name: &'static str) -> SpanCondition {
        SpanCondition::Text("service_name", Arc::new(move |s| s == Some(name)))
    }

    #[test]
    fn needs_choose_whole_traces_across_writes() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let writes = [
            vec![span(1, 1, None, T0, "front"), span(2, 5, None, T0 + 50, "front")],
            vec![
                span(1, 2, Some(1), T0 + 20, "payment"),
                span(3, 7, None, T0 + 60, "payment"),
            ],
        ];
        for spans in writes {
            let mut w = SpansWriter::begin(&storage).unwrap();
            w.write(spans).unwrap();
            w.commit().unwrap();
        }
        let store = SpanStore::open(&storage).unwrap();
        let payment = TraceNeeds(vec![service_is("payment")]);
        assert_eq!(traces_meeting(&store, &payment), vec![vec![1, 2], vec![7]]);
        let both = TraceNeeds(vec![service_is("payment"), service_is("front")]);
        assert_eq!(
            traces_meeting(&store, &both),
            vec![vec![1, 2]],
            "each need by another span"
        );
        let nothing = TraceNeeds(vec![service_is("cart")]);
        assert!(traces_meeting(&store, &nothing).is_empty());
        let short = TraceNeeds(vec![SpanCondition::Number(
            columns::DURATION_NS,
            Arc::new(|d| d < Some(1_000)),
        )]);
        assert!(traces_meeting(&store, &short).is_empty());
        assert_eq!(traces_meeting(&store, &TraceNeeds::default()).len(), 3);
    }

    #[test]
    fn a_column_missing_some_values_of_its_key_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let mut odd = span(4, 1, None, T0, "x");
        // service.name as an array stays in the map: the column alone would miss it.
        odd.resource = Arc::new(Resource {
            attributes: vec![Attribute::new(
                "service.name",
                AnyValue::Array(vec![AnyValue::String("payment".into())]),
            )],
            ..Resource::default()
        });
        let mut w = SpansWriter::begin(&storage).unwrap();
        w.write(vec![odd, span(5, 1, None, T0, "front")]).unwrap();
        w.commit().unwrap();
        let store = SpanStore::open(&storage).unwrap();
        assert_eq!(
            store.untrusted_columns(&store.files()[0]).unwrap(),
            ["service_name"]
        );
        let payment = TraceNeeds(vec![service_is("payment")]);
        assert_eq!(traces_meeting(&store, &payment).len(), 2, "both traces are read");
    }
}
