//! Where rules read from: the archive, layered under the series the rules themselves have
//! written so far.

use parquetry_model::{Labels, Matcher};
use parquetry_promql::eval::{EvalError, RawSeries, SeriesSource};
use std::collections::HashMap;

/// Series held in memory, appended in time order: rule outputs, or the input series of a
/// rule unit test.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    series: Vec<HeldSeries>,
    index: HashMap<Labels, usize>,
}

/// One series of a [`MemoryStore`]: its labels and its samples, in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldSeries {
    /// The series' labels.
    pub labels: Labels,
    /// Sample times, ascending.
    pub timestamps: Vec<i64>,
    /// Sample values, as many as timestamps.
    pub values: Vec<f64>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Appends a sample. Samples of one series must come in time order; one at the same
    /// time as the series' last sample replaces it.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) {
        let i = match self.index.get(labels) {
            Some(i) => *i,
            None => {
                self.index.insert(labels.clone(), self.series.len());
                self.series.push(HeldSeries {
                    labels: labels.clone(),
                    ..HeldSeries::default()
                });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[i];
        if s.timestamps.last() == Some(&t) {
            *s.values.last_mut().expect("a value for each timestamp") = v;
        } else {
            s.timestamps.push(t);
            s.values.push(v);
        }
    }

    /// Every series, in the order first written.
    pub fn series(&self) -> &[HeldSeries] {
        &self.series
    }

    /// Total number of samples.
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|s| s.timestamps.len()).sum()
    }

    /// True when `labels` has a series here.
    pub fn contains(&self, labels: &Labels) -> bool {
        self.index.contains_key(labels)
    }

    fn matching(&self, matchers: &[Matcher], min_time: i64, max_time: i64) -> Vec<RawSeries> {
        self.series
            .iter()
            .filter(|s| s.labels.matches_all(matchers))
            .filter_map(|s| {
                let from = s.timestamps.partition_point(|t| *t < min_time);
                let to = s.timestamps.partition_point(|t| *t <= max_time);
                (from < to).then(|| RawSeries {
                    labels: std::sync::Arc::new(s.labels.clone()),
                    drop_name: false,
                    timestamps: s.timestamps[from..to].iter().copied().collect(),
                    values: s.values[from..to].iter().copied().collect(),
                })
            })
            .collect()
    }
}

impl SeriesSource for MemoryStore {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        each(self.matching(matchers, min_time, max_time))
    }
}

/// A base source (the archive) with rule outputs on top. A series the rules wrote
/// replaces a base series with the same labels, so a re-run over a store that already
/// holds an earlier run's outputs sees this run's values only.
pub struct Layered<'a> {
    /// The archive.
    pub base: &'a dyn SeriesSource,
    /// Base samples after this time are invisible (a live server would not have them yet).
    pub base_until: Option<i64>,
    /// What the rules have written so far.
    pub outputs: &'a MemoryStore,
}

impl Layered<'_> {
    /// The end of the base's part of `[min_time, max_time]`; `None` when the base has
    /// none of it.
    fn base_max(&self, min_time: i64, max_time: i64) -> Option<i64> {
        let base_max = self.base_until.map_or(max_time, |u| u.min(max_time));
        (base_max >= min_time).then_some(base_max)
    }

    /// A batch of base series without those the rules' outputs replace.
    fn without_outputs(&self, batch: Vec<RawSeries>) -> Vec<RawSeries> {
        batch
            .into_iter()
            .filter(|s| !self.outputs.contains(&s.labels))
            .collect()
    }
}

impl SeriesSource for Layered<'_> {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        if let Some(base_max) = self.base_max(min_time, max_time) {
            self.base
                .select_batches(matchers, min_time, base_max, &mut |batch| {
                    let batch = self.without_outputs(batch);
                    if batch.is_empty() { Ok(()) } else { each(batch) }
                })?;
        }
        let mine = self.outputs.matching(matchers, min_time, max_time);
        if mine.is_empty() { Ok(()) } else { each(mine) }
    }

    /// The base's batches as the base hands them over (several threads at once where it
    /// can), then the rules' outputs as one batch more.
    fn for_each_batch(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &(dyn Fn(usize, Vec<RawSeries>) -> Result<(), EvalError> + Sync),
    ) -> Result<usize, EvalError> {
        let mut n = 0;
        if let Some(base_max) = self.base_max(min_time, max_time) {
            n = self
                .base
                .for_each_batch(matchers, min_time, base_max, &|i, batch| {
                    each(i, self.without_outputs(batch))
                })?;
        }
        let mine = self.outputs.matching(matchers, min_time, max_time);
        if mine.is_empty() {
            return Ok(n);
        }
        each(n, mine)?;
        Ok(n + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(name: &str) -> Labels {
        Labels::from_pairs([("__name__", name)])
    }

    #[test]
    fn outputs_layer_over_the_base_and_replace_equal_series() {
        let mut base = MemoryStore::new();
        base.append(&labels("a"), 0, 1.0);
        base.append(&labels("a"), 10, 2.0);
        base.append(&labels("b"), 0, 3.0);
        let mut outputs = MemoryStore::new();
        outputs.append(&labels("b"), 5, 9.0);
        outputs.append(&labels("c"), 5, 7.0);
        outputs.append(&labels("c"), 5, 8.0);
        let layered = Layered {
            base: &base,
            base_until: Some(5),
            outputs: &outputs,
        };
        let all = layered.select(&[Matcher::equal("x", "")], 0, 100).unwrap();
        let got: Vec<(String, Vec<i64>, Vec<f64>)> = all
            .iter()
            .map(|s| (s.labels.to_string(), s.timestamps.to_vec(), s.values.to_vec()))
            .collect();
        assert_eq!(
            got,
            [
                ("a".to_string(), vec![0], vec![1.0]),
                ("b".to_string(), vec![5], vec![9.0]),
                ("c".to_string(), vec![5], vec![8.0]),
            ]
        );
        assert_eq!(outputs.sample_count(), 2);
    }
}
