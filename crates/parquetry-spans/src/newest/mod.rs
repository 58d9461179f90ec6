//! Traces newest first, decoded only as far as the reader wants them. A search answers
//! with the newest traces it finds; reading traces in order of their start lets it stop
//! as soon as no trace left can start after the ones it holds, so that a search over
//! millions of spans decodes the spans of a few dozen traces.
//!
//! A day is read in two passes. The first reads the trace ids, the start times and the
//! columns the needs test, row group by row group in parallel, and learns for every
//! trace of the day where its rows are, which needs its spans meet, and a bound of its
//! start. The second decodes the traces that meet every need, in batches, newest first.
//! The first pass holds a few dozen bytes per trace of the day. When one file holds the
//! whole day and the range holds all of it, the first pass is [`sparse`]: trace ids and
//! starts are decoded only for the rows that meet some need.

use crate::parts::SpanParts;
use crate::prefilter::TraceNeeds;
use crate::read::{SpanStore, SpansFile};
use crate::schema::{columns, projection};
use crate::segment::into_traces;
use crate::span::{Span, TraceId};
use arrow::array::{Array, AsArray, FixedSizeBinaryArray, TimestampNanosecondArray};
use arrow::datatypes::TimestampNanosecondType;
use arrow::record_batch::RecordBatch;
use parquetry_table::error::Result;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;

/// Most traces decoded in one batch; batches start at the size the reader asks for and
/// double up to this.
const MOST_PER_BATCH: usize = 8192;

/// Needs past this many are not tested (a trace is kept as if it met them).
const MOST_NEEDS: usize = 64;

mod sparse;

/// One run of consecutive rows of one trace in one file.
#[derive(Debug)]
struct Run {
    id: [u8; 16],
    file: usize,
    /// The trace's rows when `whole`; otherwise the rows from the first to the last of
    /// them that met some need, where a sparse first pass ([`sparse`]) read only those.
    rows: Range<u64>,
    whole: bool,
    /// The rows of the row group holding the run.
    group: Range<u64>,
    earliest: i64,
    met: u64,
    in_range: bool,
}

/// A trace the first pass found to meet the needs.
#[derive(Debug)]
struct Candidate {
    id: [u8; 16],
    /// The earliest start among the trace's rows in the newest file holding any. Every
    /// row of that file is the copy of its span that decoding keeps, so the trace starts
    /// at or before this.
    start_at_most: i64,
}

impl SpanStore {
    /// Calls `each` with the traces that have a span starting in `[start_ns, end_ns)` and
    /// meet `needs`, only their `parts` decoded, in batches, in descending order of a bound of their start: whole,
    /// deduplicated (see [`into_traces`]), in no particular order within a batch. The
    /// first batch holds `first_batch` traces (at least one), later ones up to twice as
    /// many as the one before. `each` answers with the earliest start it still wants:
    /// traces that cannot start at or after it are not read (`i64::MIN` wants every
    /// trace; `i64::MAX` ends the reading).
    pub fn for_each_newest(
        &self,
        (start_ns, end_ns): (i64, i64),
        needs: &TraceNeeds,
        parts: &SpanParts,
        first_batch: usize,
        each: &mut dyn FnMut(Vec<Vec<Span>>) -> Result<i64>,
    ) -> Result<()> {
        let mut wanted_from = i64::MIN;
        let mut size = first_batch.clamp(1, MOST_PER_BATCH);
        for (day_at_most, files) in self.days_newest_first(start_ns, end_ns) {
            if day_at_most < wanted_from {
                break;
            }
            let (runs, mut candidates) = self.first_pass(&files, (start_ns, end_ns), needs)?;
            candidates.sort_unstable_by(|a, b| b.start_at_most.cmp(&a.start_at_most).then(a.id.cmp(&b.id)));
            let mut next = 0;
            loop {
                let most = (next + size).min(candidates.len());
                let end = next + candidates[next..most].partition_point(|c| c.start_at_most >= wanted_from);
                if end == next {
                    break;
                }
                size = (size * 2).min(MOST_PER_BATCH);
                let traces =
                    self.decode_candidates(&files, &runs, &candidates, next..end, (start_ns, end_ns), parts)?;
                next = end;
                wanted_from = each(traces)?;
            }
        }
        Ok(())
    }

    /// The files of each day with a span that may start in the range, the day with the
    /// latest possible start first, each with that bound (ns).
    fn days_newest_first(&self, start_ns: i64, end_ns: i64) -> Vec<(i64, Vec<&SpansFile>)> {
        let (from_ms, to_ms) = (start_ns.div_euclid(1_000_000), end_ns.div_euclid(1_000_000));
        let mut days: FxHashMap<i64, Vec<&SpansFile>> = FxHashMap::default();
        for f in self.files() {
            if f.max_time >= from_ms && f.min_time <= to_ms {
                days.entry(f.partition_start).or_default();
            }
        }
        for f in self.files() {
            if let Some(files) = days.get_mut(&f.partition_start) {
                files.push(f);
            }
        }
        let mut out: Vec<(i64, Vec<&SpansFile>)> = days
            .into_values()
            .map(|files| {
                let latest_ms = files.iter().map(|f| f.max_time).max().unwrap_or(i64::MIN);
                let bound = latest_ms
                    .saturating_mul(1_000_000)
                    .saturating_add(999_999)
                    .min(end_ns.saturating_sub(1));
                (bound, files)
            })
            .collect();
        out.sort_by_key(|day| std::cmp::Reverse(day.0));
        out
    }

    /// The first pass over one day's files: the traces that meet every need and have a
    /// row starting in the range, and their runs of rows in trace id order (each run's
    /// `file` is its place in `files`).
    fn first_pass(
        &self,
        files: &[&SpansFile],
        range: (i64, i64),
        needs: &TraceNeeds,
    ) -> Result<(Vec<Run>, Vec<Candidate>)> {
        let tested = needs.columns();
        let projection = projection(
            tested
                .iter()
                .copied()
                .chain([columns::TRACE_ID, columns::START_TIME]),
        );
        let mut units = Vec::new();
        for (f, file) in files.iter().enumerate() {
            let untrusted = self.untrusted_for(file, needs)?;
            for group in self.row_groups_between(file, TraceId([0; 16]), TraceId([0xff; 16]))? {
                units.push((f, group, untrusted.clone()));
            }
        }
        // A day of one file holds each trace in one run (a row group holds whole traces
        // of its file): a run failing the needs is a trace failing them.
        let alone = files.len() == 1;
        let all_met = match needs.0.len().min(MOST_NEEDS) {
            MOST_NEEDS => u64::MAX,
            n => (1u64 << n) - 1,
        };
        let sparse = alone && !needs.is_empty() && spans_all_in(files[0], range);
        let per_unit: Vec<Vec<Run>> = units
            .into_par_iter()
            .map(|(f, group, untrusted)| {
                let mut runs = if sparse {
                    self.sparse_runs_of_group(files[f], f, group, needs, &untrusted)?
                } else {
                    self.runs_of_group(files[f], f, group, &projection, needs, &untrusted, range)?
                };
                if alone {
                    runs.retain(|r| r.in_range && r.met & all_met == all_met);
                }
                Ok(runs)
            })
            .collect::<Result<_>>()?;
        let mut runs: Vec<Run> = per_unit.into_iter().flatten().collect();
        // Each file's runs come in trace id order: a stable sort merges them, and keeps
        // a trace's runs in file order.
        runs.sort_by_key(|r| r.id);
        let mut candidates: Vec<Candidate> = Vec::new();
        for trace in runs.chunk_by(|a, b| a.id == b.id) {
            let newest_segment = trace.iter().map(|r| files[r.file].segment).max().unwrap_or(0);
            let met = trace.iter().fold(0, |met, r| met | r.met);
            if trace.iter().any(|r| r.in_range) && met & all_met == all_met {
                candidates.push(Candidate {
                    id: trace[0].id,
                    start_at_most: trace
                        .iter()
                        .filter(|r| files[r.file].segment == newest_segment)
                        .map(|r| r.earliest)
                        .min()
                        .unwrap_or(i64::MAX),
                });
            }
        }
        if !alone {
            let kept: FxHashSet<[u8; 16]> = candidates.iter().map(|c| c.id).collect();
            runs.retain(|r| kept.contains(&r.id));
        }
        Ok((runs, candidates))
    }

    /// The runs of rows of the traces in rows `group` of `file` (the `f`th file of its
    /// day), with the needs each run's spans meet.
    #[allow(clippy::too_many_arguments)]
    fn runs_of_group(
        &self,
        file: &SpansFile,
        f: usize,
        group: Range<u64>,
        projection: &[usize],
        needs: &TraceNeeds,
        untrusted: &[String],
        (start_ns, end_ns): (i64, i64),
    ) -> Result<Vec<Run>> {
        let untrusted: Vec<&str> = untrusted.iter().map(String::as_str).collect();
        let batches = self.read_for_needs(file, std::slice::from_ref(&group), projection, needs)?;
        let mut runs: Vec<Run> = Vec::new();
        let mut row = group.start;
        for batch in &batches {
            let (ids, starts) = self.ids_and_starts(file, batch)?;
            let met_by_row = needs_met(needs, batch, &untrusted);
            for (i, &met) in met_by_row.iter().enumerate() {
                let id: [u8; 16] = ids.value(i).try_into().unwrap_or([0; 16]);
                let start = starts.value(i);
                let in_range = (start_ns..end_ns).contains(&start);
                match runs.last_mut() {
                    Some(r) if r.id == id && r.rows.end == row => {
                        r.rows.end = row + 1;
                        r.earliest = r.earliest.min(start);
                        r.met |= met;
                        r.in_range |= in_range;
                    }
                    _ => runs.push(Run {
                        id,
                        file: f,
                        rows: row..row + 1,
                        whole: true,
                        group: group.clone(),
                        earliest: start,
                        met,
                        in_range,
                    }),
                }
                row += 1;
            }
        }
        Ok(runs)
    }

    /// Decodes `candidates[batch]` whole from their runs (in trace id order) in `files`,
    /// keeping the traces with a span (after deduplication) starting in the range.
    fn decode_candidates(
        &self,
        files: &[&SpansFile],
        runs: &[Run],
        candidates: &[Candidate],
        batch: Range<usize>,
        (start_ns, end_ns): (i64, i64),
        parts: &SpanParts,
    ) -> Result<Vec<Vec<Span>>> {
        let mut ranges: Vec<Vec<Range<u64>>> = vec![Vec::new(); files.len()];
        let mut partial: Vec<Vec<&Run>> = vec![Vec::new(); files.len()];
        for c in &candidates[batch] {
            let first = runs.partition_point(|r| r.id < c.id);
            for run in runs[first..].iter().take_while(|r| r.id == c.id) {
                if run.whole {
                    ranges[run.file].push(run.rows.clone());
                } else {
                    partial[run.file].push(run);
                }
            }
        }
        for (f, partial) in partial.into_iter().enumerate() {
            if !partial.is_empty() {
                ranges[f].extend(self.whole_runs(files[f], partial)?);
            }
        }
        let mut spans = Vec::new();
        for (file, mut ranges) in files.iter().zip(ranges) {
            if ranges.is_empty() {
                continue;
            }
            ranges.sort_unstable_by_key(|r| r.start);
            spans.extend(self.read_rows(file, &ranges, parts)?);
        }
        let mut traces = into_traces(spans).0;
        traces.retain(|t| t.iter().any(|s| (start_ns..end_ns).contains(&s.start)));
        Ok(traces)
    }
}

impl SpanStore {
    /// The trace ids and start times of `batch`, read from `file`.
    fn ids_and_starts<'b>(
        &self,
        file: &SpansFile,
        batch: &'b RecordBatch,
    ) -> Result<(&'b FixedSizeBinaryArray, &'b TimestampNanosecondArray)> {
        let ids = batch
            .column_by_name(columns::TRACE_ID)
            .and_then(|c| c.as_any().downcast_ref::<FixedSizeBinaryArray>())
            .ok_or_else(|| self.corrupt(file, "trace_id is not 16-byte binary"))?;
        let starts = batch
            .column_by_name(columns::START_TIME)
            .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
            .ok_or_else(|| self.corrupt(file, "start_time is not a nanosecond timestamp"))?;
        Ok((ids, starts))
    }
}

/// For each row of `batch`, the needs (of the first [`MOST_NEEDS`]) it meets, bit `k`
/// for need `k`.
fn needs_met(needs: &TraceNeeds, batch: &RecordBatch, untrusted: &[&str]) -> Vec<u64> {
    let mut met = vec![0u64; batch.num_rows()];
    for (k, need) in needs.0.iter().take(MOST_NEEDS).enumerate() {
        for (m, yes) in met.iter_mut().zip(need.eval(batch, untrusted)) {
            *m |= u64::from(yes) << k;
        }
    }
    met
}

/// Whether every span of `file` starts in `[start_ns, end_ns)`.
fn spans_all_in(file: &SpansFile, (start_ns, end_ns): (i64, i64)) -> bool {
    let first = file.min_time.saturating_mul(1_000_000);
    let after_last = file.max_time.saturating_add(1).saturating_mul(1_000_000);
    start_ns <= first && after_last <= end_ns
}

/// Ascending row numbers as ranges of consecutive rows.
pub(crate) fn ranges_of(rows: impl IntoIterator<Item = u64>) -> Vec<Range<u64>> {
    let mut ranges: Vec<Range<u64>> = Vec::new();
    for row in rows {
        match ranges.last_mut() {
            Some(r) if r.end == row => r.end = row + 1,
            _ => ranges.push(row..row + 1),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefilter::SpanCondition;
    use crate::test_support::{span, store_of};
    use parquetry_table::segment::PARTITION_MS;
    use std::sync::Arc;

    const T0: i64 = 20_000 * PARTITION_MS * 1_000_000;
    const DAY_NS: i64 = PARTITION_MS * 1_000_000;

    /// (trace, start, its batch) of every trace given, the reader asking for traces
    /// starting at or after `wanted` after the first batch and stopping after
    /// `stop_after` batches.
    fn newest(
        store: &SpanStore,
        needs: &TraceNeeds,
        first: usize,
        (wanted, stop_after): (i64, usize),
    ) -> Vec<(u8, i64, usize)> {
        let mut out = Vec::new();
        let mut batches = 0;
        store
            .for_each_newest(
                (T0, T0 + 3 * DAY_NS),
                needs,
                &SpanParts::core(),
                first,
                &mut |traces| {
                    let mut got: Vec<(u8, i64, usize)> = traces
                        .iter()
                        .map(|t| (t[0].trace_id.0[0], t[0].start, batches))
                        .collect();
                    got.sort_by_key(|t| std::cmp::Reverse(t.1));
                    out.extend(got);
                    batches += 1;
                    Ok(if batches < stop_after { wanted } else { i64::MAX })
                },
            )
            .unwrap();
        out
    }

    /// A store of one write per item of `writes`, in a folder the caller keeps.
    #[test]
    fn traces_come_newest_first_as_far_as_wanted() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_of(
            &dir,
            vec![
                vec![
                    span(1, 1, None, T0 + 10, "front"),
                    span(2, 1, None, T0 + DAY_NS + 5, "front"),
                ],
                vec![
                    span(1, 2, Some(1), T0 + 30, "cart"),
                    span(3, 1, None, T0 + 20, "payment"),
                    span(4, 1, None, T0 + 2 * DAY_NS, "payment"),
                ],
            ],
        );
        let every = TraceNeeds::default();
        let all = newest(&store, &every, 1, (i64::MIN, usize::MAX));
        let order: Vec<u8> = all.iter().map(|t| t.0).collect();
        assert_eq!(order, [4, 2, 3, 1]);
        assert_eq!(
            newest(&store, &every, 1, (i64::MIN, 2)).len(),
            2,
            "stops when told"
        );
        // Wanting only traces from the second day on: the first day is not read.
        let later: Vec<u8> = newest(&store, &every, 1, (T0 + DAY_NS, usize::MAX))
            .iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(later, [4, 2]);
        let payment = TraceNeeds(vec![SpanCondition::Text(
            "service_name",
            Arc::new(|s| s == Some("payment")),
        )]);
        let found: Vec<u8> = newest(&store, &payment, 8, (i64::MIN, usize::MAX))
            .iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(found, [4, 3]);
    }

    #[test]
    fn one_file_read_sparsely_gives_whole_traces() {
        let dir = tempfile::tempdir().unwrap();
        let mut spans = Vec::new();
        for trace in 1..=40u8 {
            let service = if trace % 7 == 0 { "payment" } else { "front" };
            spans.push(span(trace, 1, None, T0 + i64::from(trace) * 100, "front"));
            spans.push(span(trace, 2, Some(1), T0 + i64::from(trace) * 100 + 5, service));
            spans.push(span(trace, 3, Some(1), T0 + i64::from(trace) * 100 + 9, "cart"));
        }
        let store = store_of(&dir, vec![spans]);
        let payment = TraceNeeds(vec![SpanCondition::Text(
            "service_name",
            Arc::new(|s| s == Some("payment")),
        )]);
        let mut seen = Vec::new();
        store
            .for_each_newest(
                (T0, T0 + DAY_NS),
                &payment,
                &SpanParts::core(),
                2,
                &mut |traces| {
                    for t in traces {
                        assert_eq!(t.len(), 3, "whole, not only the span that matched");
                        seen.push(t[0].trace_id.0[0]);
                    }
                    Ok(i64::MIN)
                },
            )
            .unwrap();
        seen.sort_unstable();
        assert_eq!(seen, [7, 14, 21, 28, 35]);
        // A range that cuts the file reads every row: the same traces inside it.
        let mut cut = Vec::new();
        store
            .for_each_newest(
                (T0 + 1_000, T0 + 2_900),
                &payment,
                &SpanParts::core(),
                2,
                &mut |traces| {
                    cut.extend(traces.iter().map(|t| t[0].trace_id.0[0]));
                    Ok(i64::MIN)
                },
            )
            .unwrap();
        cut.sort_unstable();
        assert_eq!(cut, [14, 21, 28]);
    }

    #[test]
    fn a_long_trace_read_sparsely_comes_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut spans = vec![span(1, 1, None, T0, "front"), span(3, 1, None, T0 + 9, "front")];
        for i in 1..1_500u64 {
            let service = if i == 700 { "payment" } else { "cart" };
            let mut s = span(2, 1, Some(1), T0 + 5 + i as i64, service);
            s.span_id = crate::span::SpanId((i + 1).to_be_bytes());
            spans.push(s);
        }
        spans.push(span(2, 1, None, T0 + 5, "front"));
        let store = store_of(&dir, vec![spans]);
        let payment = TraceNeeds(vec![SpanCondition::Text(
            "service_name",
            Arc::new(|s| s == Some("payment")),
        )]);
        let mut lengths = Vec::new();
        store
            .for_each_newest(
                (T0, T0 + DAY_NS),
                &payment,
                &SpanParts::core(),
                1,
                &mut |traces| {
                    lengths.extend(traces.iter().map(|t| (t[0].trace_id.0[0], t.len())));
                    Ok(i64::MIN)
                },
            )
            .unwrap();
        assert_eq!(lengths, [(2, 1_500)]);
    }

    #[test]
    fn a_trace_rewritten_later_is_ordered_by_its_newest_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_of(
            &dir,
            vec![
                vec![
                    span(1, 1, None, T0 + 500, "front"),
                    span(2, 1, None, T0 + 100, "front"),
                ],
                vec![span(1, 1, None, T0 + 50, "front")],
            ],
        );
        let all = newest(&store, &TraceNeeds::default(), 1, (i64::MIN, usize::MAX));
        assert_eq!(
            all.iter().map(|t| (t.0, t.1)).collect::<Vec<_>>(),
            [(2, T0 + 100), (1, T0 + 50)],
            "the later copy of span 1 starts at 50"
        );
    }
}
