//! Staging one segment of the spans table: spans files per UTC day, written here; the
//! segment's catalog (the resources' label sets) and directory are kept and written by
//! the table core's [`SegmentBuilder`]. Nothing staged is visible until a commit names
//! the segment.

use crate::span::{Span, SpanId, TraceId};
use crate::spans_file::{NANOS_PER_MS, SpansFileWriter};
use parquetry_table::error::Result;
use parquetry_table::segment::PARTITION_MS;
use parquetry_table::{SegmentBuilder, StagedSegment, Storage, TableKind};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Nanoseconds in a partition (one UTC day).
pub const PARTITION_NS: i64 = PARTITION_MS * NANOS_PER_MS;

/// The files of one spans segment in progress.
#[derive(Debug)]
pub struct SpansSegment {
    inner: SegmentBuilder,
    duplicates: u64,
    traces: u64,
}

/// Spans grouped into traces: each trace's spans sorted by start time (then span id),
/// traces in trace id order. A span id given twice in a trace keeps its last copy;
/// returns the traces and the number of copies dropped.
pub fn into_traces(spans: Vec<Span>) -> (Vec<Vec<Span>>, u64) {
    let mut at: FxHashMap<(TraceId, SpanId), usize> = FxHashMap::default();
    let mut kept: Vec<Option<Span>> = Vec::with_capacity(spans.len());
    let mut duplicates = 0;
    for s in spans {
        match at.get(&(s.trace_id, s.span_id)) {
            Some(&i) => {
                kept[i] = Some(s);
                duplicates += 1;
            }
            None => {
                at.insert((s.trace_id, s.span_id), kept.len());
                kept.push(Some(s));
            }
        }
    }
    let mut by_trace: BTreeMap<TraceId, Vec<Span>> = BTreeMap::new();
    for s in kept.into_iter().flatten() {
        by_trace.entry(s.trace_id).or_default().push(s);
    }
    let traces = by_trace
        .into_values()
        .map(|mut t| {
            t.sort_by_key(|s| (s.start, s.span_id));
            t
        })
        .collect();
    (traces, duplicates)
}

impl SpansSegment {
    /// Spans staged so far.
    pub fn spans(&self) -> u64 {
        self.inner.rows()
    }

    /// Traces (parts of traces, when one spans several writes) staged so far.
    pub fn traces(&self) -> u64 {
        self.traces
    }

    /// Bytes of spans files staged so far.
    pub fn bytes(&self) -> u64 {
        self.inner.bytes()
    }

    /// Repeated span ids dropped so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Stages one spans file for the UTC day starting at `day_ms` from whole traces in
    /// trace id order, each sorted by start time.
    pub fn write_day(&mut self, day_ms: i64, traces: impl Iterator<Item = Result<Vec<Span>>>) -> Result<()> {
        let rel = self.inner.next_data_file(day_ms);
        let mut file = SpansFileWriter::create(self.inner.storage(), &rel)?;
        for t in traces {
            file.append_trace(&t?)?;
            self.traces += 1;
        }
        let (written, rows, bytes) = file.finish(self.inner.storage())?;
        if written.is_empty() {
            self.inner.storage().delete(&rel)?;
        } else {
            self.inner.add_file_of_rows(rel, day_ms, bytes, rows, written);
        }
        Ok(())
    }
}

impl StagedSegment for SpansSegment {
    type Rows = Vec<Span>;

    /// A new, empty segment with a fresh id.
    fn new(storage: &Storage) -> SpansSegment {
        SpansSegment {
            inner: SegmentBuilder::new(storage, TableKind::Spans),
            duplicates: 0,
            traces: 0,
        }
    }

    /// Stages spans as new spans files, one per UTC day: a trace goes whole to the day
    /// its earliest span starts in.
    fn write(&mut self, spans: Vec<Span>) -> Result<()> {
        let (traces, duplicates) = into_traces(spans);
        self.duplicates += duplicates;
        let mut days: BTreeMap<i64, Vec<Vec<Span>>> = BTreeMap::new();
        for t in traces {
            let day = t[0].start.div_euclid(PARTITION_NS);
            days.entry(day).or_default().push(t);
        }
        for (day, traces) in days {
            self.write_day(day * PARTITION_MS, traces.into_iter().map(Ok))?;
        }
        Ok(())
    }

    fn into_builder(self) -> SegmentBuilder {
        self.inner
    }
}
