//! What one evaluation read and held, for Prometheus' `stats` in query answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters an evaluation adds to; clones share them, so the caller that put them in the
/// options reads what the evaluation counted.
#[derive(Clone, Debug, Default)]
pub struct QueryStats(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    samples_read: AtomicU64,
    peak_points: AtomicU64,
    fused_aggregations: AtomicU64,
}

impl QueryStats {
    /// Counts `n` raw samples read from the store.
    pub fn add_samples_read(&self, n: u64) {
        self.0.samples_read.fetch_add(n, Ordering::Relaxed);
    }

    /// Notes an intermediate result of `points` points (series × steps) held at once.
    pub fn note_points_held(&self, points: u64) {
        self.0.peak_points.fetch_max(points, Ordering::Relaxed);
    }

    /// Counts an aggregation evaluated fused with the range function under it.
    pub fn note_fused_aggregation(&self) {
        self.0.fused_aggregations.fetch_add(1, Ordering::Relaxed);
    }

    /// Aggregations evaluated fused with the range function under them, so far.
    pub fn fused_aggregations(&self) -> u64 {
        self.0.fused_aggregations.load(Ordering::Relaxed)
    }

    /// Raw samples read from the store so far, each once however many windows use it.
    pub fn samples_read(&self) -> u64 {
        self.0.samples_read.load(Ordering::Relaxed)
    }

    /// The most points one intermediate result held.
    pub fn peak_points(&self) -> u64 {
        self.0.peak_points.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_counts_and_the_peak_keeps_the_largest() {
        let stats = QueryStats::default();
        let clone = stats.clone();
        clone.add_samples_read(5);
        stats.add_samples_read(2);
        clone.note_points_held(10);
        clone.note_points_held(4);
        assert_eq!((stats.samples_read(), stats.peak_points()), (7, 10));
    }
}
