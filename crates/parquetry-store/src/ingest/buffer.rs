//! Samples collected between flushes, grouped by series.

use crate::batch::SeriesSamples;
use parquetry_model::{Labels, SeriesId};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Counts of samples that did not become rows. An ingest counts them within each batch;
/// a repeat in a later batch of the same input is dropped the same way when the writer
/// settles (the first value kept), but not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DuplicateCounts {
    /// Samples repeating an earlier sample exactly (same series, time and value bits).
    pub exact: u64,
    /// Samples with the time of an earlier sample of the series but another value; the
    /// first value is kept.
    pub conflicting: u64,
}

/// Buffers samples by series until a flush hands them to the writer sorted and unique.
///
/// Series are interned twice: by the raw text a parser saw (so a repeated line skips
/// label parsing) and by [`SeriesId`] (so differently written label sets meet).
#[derive(Default)]
pub struct SeriesBuffer {
    by_text: FxHashMap<Box<str>, u32>,
    by_id: FxHashMap<SeriesId, u32>,
    series: Vec<SeriesSamples>,
    pending: usize,
}

impl SeriesBuffer {
    /// The series interned under this raw text, if any.
    pub fn lookup_text(&self, text: &str) -> Option<u32> {
        self.by_text.get(text).copied()
    }

    /// Interns `labels`, remembering `text` as a shortcut to it when given.
    pub fn intern(&mut self, text: Option<&str>, labels: Labels) -> u32 {
        let id = SeriesId::of(&labels);
        let index = *self.by_id.entry(id).or_insert_with(|| {
            self.series.push(SeriesSamples::new(labels));
            (self.series.len() - 1) as u32
        });
        if let Some(text) = text {
            self.by_text.insert(text.into(), index);
        }
        index
    }

    /// Interns the series whose labels are `pairs` (sorted by name, each once, no empty
    /// value), building its [`Labels`] only when it is new.
    pub fn intern_sorted_pairs(&mut self, pairs: &[(&str, &str)]) -> u32 {
        let id = SeriesId::of_sorted_pairs(pairs.iter().copied());
        *self.by_id.entry(id).or_insert_with(|| {
            self.series
                .push(SeriesSamples::new(Labels::from_pairs(pairs.iter().copied())));
            (self.series.len() - 1) as u32
        })
    }

    /// Adds one sample to an interned series.
    pub fn push(&mut self, series: u32, timestamp: i64, value: f64) {
        let s = &mut self.series[series as usize];
        s.timestamps.push(timestamp);
        s.values.push(value);
        self.pending += 1;
    }

    /// Samples buffered since the last flush.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Takes the buffered samples, each series sorted by time with duplicates removed
    /// (counted in `counts`). Interned series stay known for later samples.
    pub fn take_sorted(&mut self, counts: &mut DuplicateCounts) -> Vec<SeriesSamples> {
        self.pending = 0;
        let mut out = Vec::new();
        for s in &mut self.series {
            if s.timestamps.is_empty() {
                continue;
            }
            let mut taken = SeriesSamples {
                id: s.id,
                labels: Arc::clone(&s.labels),
                timestamps: std::mem::take(&mut s.timestamps),
                values: std::mem::take(&mut s.values),
            };
            sort_and_dedup(&mut taken, counts);
            out.push(taken);
        }
        out
    }
}

/// Sorts a series' samples by time (keeping arrival order among equal times) and drops
/// repeated timestamps, counting exact and conflicting duplicates.
fn sort_and_dedup(s: &mut SeriesSamples, counts: &mut DuplicateCounts) {
    if s.timestamps.windows(2).any(|w| w[0] >= w[1]) {
        let mut order: Vec<usize> = (0..s.timestamps.len()).collect();
        order.sort_by_key(|&i| s.timestamps[i]);
        let mut ts = Vec::with_capacity(order.len());
        let mut vs = Vec::with_capacity(order.len());
        for i in order {
            let (t, v) = (s.timestamps[i], s.values[i]);
            if ts.last() == Some(&t) {
                if vs.last().map(|p: &f64| p.to_bits()) == Some(v.to_bits()) {
                    counts.exact += 1;
                } else {
                    counts.conflicting += 1;
                }
                continue;
            }
            ts.push(t);
            vs.push(v);
        }
        s.timestamps = ts;
        s.values = vs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_samples_are_sorted_and_duplicates_counted() {
        let mut buf = SeriesBuffer::default();
        let a = buf.intern(Some("a"), Labels::from_pairs([("__name__", "a")]));
        assert_eq!(buf.lookup_text("a"), Some(a));
        for (t, v) in [(3, 3.0), (1, 1.0), (2, 2.0), (1, 1.0), (2, 9.0)] {
            buf.push(a, t, v);
        }
        let mut counts = DuplicateCounts::default();
        let out = buf.take_sorted(&mut counts);
        assert_eq!(out[0].timestamps, vec![1, 2, 3]);
        assert_eq!(out[0].values, vec![1.0, 2.0, 3.0]);
        assert_eq!(
            counts,
            DuplicateCounts {
                exact: 1,
                conflicting: 1
            }
        );
        assert_eq!(buf.pending(), 0);
    }

    #[test]
    fn differently_written_label_sets_meet() {
        let mut buf = SeriesBuffer::default();
        let x = buf.intern(
            Some("a{x=\"1\",y=\"2\"}"),
            Labels::from_pairs([("x", "1"), ("y", "2")]),
        );
        let y = buf.intern(
            Some("a{y=\"2\",x=\"1\"}"),
            Labels::from_pairs([("y", "2"), ("x", "1")]),
        );
        assert_eq!(x, y);
    }
}
