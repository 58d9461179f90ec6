//! The sparse first pass, for a day held by one file whose spans all start in the range
//! searched: only the tested columns are read for every row, and the trace ids and start
//! times only for the rows that meet some need. Every row of the file is a copy decoding
//! keeps, so the earliest start among those rows still bounds its trace's start from
//! above, and a trace none of whose rows meets a need cannot meet them all. Each run then
//! holds only the rows that met a need; the trace's other rows, next to them, are found
//! from the trace ids around them when it is decoded ([`SpanStore::whole_runs`]).

use super::{Run, needs_met, ranges_of};
use crate::prefilter::TraceNeeds;
use crate::read::{SpanStore, SpansFile};
use crate::schema::{column_index, columns, projection};
use arrow::array::{Array, FixedSizeBinaryArray};
use parquetry_table::error::Result;
use parquetry_table::scan::read_row_ranges;
use std::ops::Range;

impl SpanStore {
    /// The runs of the traces in rows `group` of `file` (the `f`th file of its day) made
    /// of the rows that meet some of `needs`, each with the needs met and `rows` from
    /// the first such row of its trace to the last.
    pub(super) fn sparse_runs_of_group(
        &self,
        file: &SpansFile,
        f: usize,
        group: Range<u64>,
        needs: &TraceNeeds,
        untrusted: &[String],
    ) -> Result<Vec<Run>> {
        let untrusted: Vec<&str> = untrusted.iter().map(String::as_str).collect();
        let tested = projection(needs.columns());
        let mut chosen: Vec<(u64, u64)> = Vec::new();
        let mut row = group.start;
        for batch in &self.read_for_needs(file, std::slice::from_ref(&group), &tested, needs)? {
            for met in needs_met(needs, batch, &untrusted) {
                if met != 0 {
                    chosen.push((row, met));
                }
                row += 1;
            }
        }
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let ranges = ranges_of(chosen.iter().map(|c| c.0));
        let ids_and_starts = projection([columns::TRACE_ID, columns::START_TIME]);
        let mut rows_and_met = chosen.iter().copied();
        let mut runs: Vec<Run> = Vec::new();
        for batch in &read_row_ranges(self.storage(), &file.path, &ranges, &ids_and_starts)? {
            let (ids, starts) = self.ids_and_starts(file, batch)?;
            for i in 0..ids.len() {
                let id: [u8; 16] = ids.value(i).try_into().unwrap_or([0; 16]);
                let (row, met) = rows_and_met.next().unwrap_or((u64::MAX, 0));
                let start = starts.value(i);
                match runs.last_mut() {
                    Some(r) if r.id == id => {
                        r.rows.end = row + 1;
                        r.earliest = r.earliest.min(start);
                        r.met |= met;
                    }
                    _ => runs.push(Run {
                        id,
                        file: f,
                        rows: row..row + 1,
                        whole: false,
                        group: group.clone(),
                        earliest: start,
                        met,
                        in_range: true,
                    }),
                }
            }
        }
        Ok(runs)
    }

    /// The whole rows of the traces of `partial` (runs of `file` from the sparse pass),
    /// as ascending ranges: the trace ids around each run's rows are read, in a window
    /// widened until the trace's rows end inside it or at its row group's edge.
    pub(super) fn whole_runs(&self, file: &SpansFile, partial: Vec<&Run>) -> Result<Vec<Range<u64>>> {
        let trace_ids = [column_index(columns::TRACE_ID)];
        let mut out = Vec::new();
        let mut pending: Vec<(&Run, u64)> = partial.into_iter().map(|r| (r, FIRST_WINDOW)).collect();
        while !pending.is_empty() {
            let window = |(r, w): &(&Run, u64)| {
                r.rows.start.saturating_sub(*w).max(r.group.start)..(r.rows.end + w).min(r.group.end)
            };
            let mut windows: Vec<Range<u64>> = pending.iter().map(window).collect();
            windows.sort_unstable_by_key(|w| w.start);
            let merged = merge(windows);
            let mut ids: Vec<(u64, [u8; 16])> = Vec::new();
            let mut rows = merged.iter().flat_map(|w| w.clone());
            for batch in &read_row_ranges(self.storage(), &file.path, &merged, &trace_ids)? {
                let trace_ids = batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<FixedSizeBinaryArray>()
                    .ok_or_else(|| self.corrupt(file, "trace_id is not 16-byte binary"))?;
                for i in 0..trace_ids.len() {
                    let id = trace_ids.value(i).try_into().unwrap_or([0; 16]);
                    ids.push((rows.next().unwrap_or(u64::MAX), id));
                }
            }
            let mut wider = Vec::new();
            for (run, w) in pending {
                let win = window(&(run, w));
                let at = |row: u64| ids.binary_search_by_key(&row, |e| e.0).ok().map(|i| ids[i].1);
                let mut first = run.rows.start;
                while first > win.start && at(first - 1) == Some(run.id) {
                    first -= 1;
                }
                let mut end = run.rows.end;
                while end < win.end && at(end) == Some(run.id) {
                    end += 1;
                }
                let cut = (first == win.start && first > run.group.start)
                    || (end == win.end && end < run.group.end);
                if cut {
                    wider.push((run, w * 8));
                } else {
                    out.push(first..end);
                }
            }
            pending = wider;
        }
        out.sort_unstable_by_key(|r| r.start);
        Ok(out)
    }
}

/// Rows read on each side of a sparse run at first: most traces have fewer spans.
const FIRST_WINDOW: u64 = 128;

/// Ascending ranges with overlapping or touching ones joined.
fn merge(sorted: Vec<Range<u64>>) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}
