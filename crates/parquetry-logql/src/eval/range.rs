//! Range aggregations: the lines of a log range, through their pipeline, turned into
//! samples (1 per line, its bytes, or the unwrapped value) and folded per window
//! `(T − range − offset, T − offset]` at each evaluation time T. An empty window gives no
//! point, except for `absent_over_time`.

use super::labels::{ERROR_DETAILS_LABEL, LabelSet, LabelsBuilder};
use super::pipeline::{
    BuildError, CompiledLabelFilters, Pipeline, StreamRun, WantedLabels, required_substrings,
};
use super::source::{EntrySource, StreamRows};
use super::values::{parse_value_bytes, parse_value_duration, parse_value_float};
use super::{EvalError, Grid};
use crate::syntax::ast::{Conversion, Grouping, RangeAggregation, RangeOp};
use parquetry_model::MatchOp;
use parquetry_promql::eval::functions::RangeFn;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

/// The `__error__` value of a line whose unwrapped label does not convert.
pub const SAMPLE_EXTRACTION_ERR: &str = "SampleExtractionErr";

/// One series of a range aggregation's result: a value per evaluation time, or none.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafSeries {
    /// The series' labels.
    pub labels: LabelSet,
    /// One entry per time of the grid.
    pub points: Vec<Option<f64>>,
}

/// The series of one piece's lines, found by the labels the grouping keeps without
/// building a label set per line.
#[derive(Default)]
struct PieceSeries {
    /// Each series' key ([`PieceSeries::key`]) to its place in `series`.
    index: HashMap<Vec<u8>, usize>,
    /// The series in the order their first line came.
    series: Vec<(LabelSet, Samples)>,
    /// The key being looked up.
    key: Vec<u8>,
}

impl PieceSeries {
    /// The samples of the series of the line whose labels `kept` gives (sorted by name,
    /// names distinct).
    fn samples_of(&mut self, kept: &[(&str, &str)]) -> &mut Samples {
        self.key.clear();
        for (n, v) in kept {
            self.key.extend_from_slice(n.as_bytes());
            self.key.push(0);
            self.key.extend_from_slice(&(v.len() as u32).to_le_bytes());
            self.key.extend_from_slice(v.as_bytes());
        }
        let at = match self.index.get(self.key.as_slice()) {
            Some(&at) => at,
            None => {
                let at = self.series.len();
                let labels = kept.iter().map(|(n, v)| (n.to_string(), v.to_string()));
                self.series.push((LabelSet(labels.collect()), Samples::default()));
                self.index.insert(self.key.clone(), at);
                at
            }
        };
        &mut self.series[at].1
    }
}

/// Which labels of a line a range aggregation's `by`/`without` keeps.
enum Kept {
    /// `by`: these names, sorted, without repeats.
    By(Vec<String>),
    /// `without`: all but these names.
    Without(Vec<String>),
    /// No grouping: all.
    All,
}

impl Kept {
    fn new(grouping: &Option<Grouping>) -> Kept {
        match grouping {
            Some(Grouping::By(names)) => {
                let mut names = names.clone();
                names.sort();
                names.dedup();
                Kept::By(names)
            }
            Some(Grouping::Without(names)) => Kept::Without(names.clone()),
            None => Kept::All,
        }
    }

    /// The kept labels of `labels`, sorted by name.
    fn of<'a>(&'a self, labels: &'a LabelsBuilder) -> Vec<(&'a str, &'a str)> {
        let mut kept: Vec<(&str, &str)> = match self {
            Kept::By(names) => {
                return names
                    .iter()
                    .filter_map(|n| labels.get(n).map(|v| (n.as_str(), v)))
                    .collect();
            }
            Kept::Without(drop) => labels
                .iter()
                .filter(|(n, _)| !drop.iter().any(|d| d == n))
                .collect(),
            Kept::All => labels.iter().collect(),
        };
        kept.sort_unstable_by_key(|p| p.0);
        kept
    }
}

/// Samples of one series in time order.
#[derive(Default)]
struct Samples {
    ts: Vec<i64>,
    vs: Vec<f64>,
}

/// Evaluates `agg` at every time of `grid`.
pub fn eval(
    agg: &RangeAggregation,
    source: &dyn EntrySource,
    grid: &Grid,
) -> Result<Vec<LeafSeries>, EvalError> {
    let range = agg.range.range_nanos;
    let offset = agg.range.offset_nanos;
    let unwrap = agg.range.unwrap.as_ref();
    let wanted = match &agg.grouping {
        Some(Grouping::By(by)) => WantedLabels::for_grouping(&agg.range.log.pipeline, by, unwrap),
        _ => None,
    };
    let pipeline = Pipeline::build_for(&agg.range.log.pipeline, wanted.as_ref())
        .map_err(|BuildError(e)| EvalError::Build(e))?;
    let post_filters = match unwrap {
        Some(u) => CompiledLabelFilters::build(&u.filters).map_err(|BuildError(e)| EvalError::Build(e))?,
        None => CompiledLabelFilters::default(),
    };
    // Windows are (T − range − offset, T − offset]; read [first low + 1, last high + 1).
    let read_start = grid.start - range - offset + 1;
    let read_end = grid.end - offset + 1;
    let needles = required_substrings(&agg.range.log.pipeline);
    let pieces = source
        .pieces(&agg.range.log.matchers, read_start, read_end, &needles)
        .map_err(EvalError::Storage)?;
    let extractor = Extractor {
        agg,
        pipeline: &pipeline,
        post_filters: &post_filters,
        kept: Kept::new(&agg.grouping),
    };
    // Each piece is read and run through the pipeline on its own, on every core.
    let per_piece = pieces
        .into_par_iter()
        .map(|piece| extractor.samples(&piece().map_err(EvalError::Storage)?))
        .collect::<Result<Vec<_>, EvalError>>()?;
    // Merged in piece order, so that lines at the same time keep their order.
    let mut series: HashMap<LabelSet, Samples> = HashMap::default();
    for one in per_piece {
        for (labels, samples) in one.series {
            let s = series.entry(labels).or_default();
            s.ts.extend(samples.ts);
            s.vs.extend(samples.vs);
        }
    }
    if agg.op == RangeOp::AbsentOverTime {
        return Ok(absent(agg, &series, grid));
    }
    let range_seconds = range as f64 / 1e9;
    let mut out = Vec::with_capacity(series.len());
    for (labels, mut s) in series {
        // Streams interleave in time once their labels merge: sort each series.
        if s.ts.windows(2).any(|w| w[0] > w[1]) {
            let mut pairs: Vec<(i64, f64)> = s.ts.into_iter().zip(s.vs).collect();
            pairs.sort_by_key(|p| p.0);
            (s.ts, s.vs) = pairs.into_iter().unzip();
        }
        let points: Vec<Option<f64>> = grid
            .times()
            .map(|t| {
                let (lo_t, hi_t) = (t - range - offset, t - offset);
                let lo = s.ts.partition_point(|&x| x <= lo_t);
                let hi = s.ts.partition_point(|&x| x <= hi_t);
                (lo < hi).then(|| {
                    window(
                        agg,
                        &s.ts[lo..hi],
                        &s.vs[lo..hi],
                        lo_t,
                        hi_t,
                        range,
                        range_seconds,
                    )
                })
            })
            .collect();
        if points.iter().any(Option::is_some) {
            out.push(LeafSeries { labels, points });
        }
    }
    Ok(out)
}

/// Turns the lines of one stream into samples of the series their final labels name.
struct Extractor<'a> {
    agg: &'a RangeAggregation,
    pipeline: &'a Pipeline,
    post_filters: &'a CompiledLabelFilters,
    kept: Kept,
}

impl Extractor<'_> {
    /// The samples of the lines of `streams` by series, each series' samples in time
    /// order within each stream.
    fn samples(&self, streams: &[StreamRows]) -> Result<PieceSeries, EvalError> {
        let mut series = PieceSeries::default();
        for stream in streams {
            self.stream_samples(stream, &mut series)?;
        }
        Ok(series)
    }

    /// Adds the samples of the lines of `stream` to `series`.
    fn stream_samples(&self, stream: &StreamRows, series: &mut PieceSeries) -> Result<(), EvalError> {
        let (agg, unwrap) = (self.agg, self.agg.range.unwrap.as_ref());
        let mut run = StreamRun::new(self.pipeline, &stream.labels);
        let rows = stream.view();
        for row in 0..rows.len() {
            if !run.run(&rows, row) {
                continue;
            }
            let StreamRun { labels, line, .. } = &mut run;
            let value = match unwrap {
                None => match agg.op {
                    RangeOp::BytesOverTime | RangeOp::BytesRate => line.len() as f64,
                    _ => 1.0,
                },
                Some(u) => {
                    let Some(text) = labels.get(&u.label).filter(|v| !v.is_empty()).map(str::to_string)
                    else {
                        continue;
                    };
                    let converted = match u.conversion {
                        Conversion::Float => parse_value_float(&text),
                        Conversion::Bytes => parse_value_bytes(&text),
                        Conversion::Duration | Conversion::DurationSeconds => parse_value_duration(&text),
                    };
                    let v = converted.unwrap_or_else(|e| {
                        labels.set_error(SAMPLE_EXTRACTION_ERR, e);
                        0.0
                    });
                    if !self.post_filters.keep(labels) {
                        continue;
                    }
                    labels.remove(&u.label);
                    v
                }
            };
            if let Some(err) = labels.error() {
                // The details again, unquoted, for a reader of the message.
                return Err(EvalError::Pipeline(format!(
                    "pipeline error: '{err}' for series: '{}': {}",
                    labels.finish(),
                    labels.get(ERROR_DETAILS_LABEL).unwrap_or_default()
                )));
            }
            let s = series.samples_of(&self.kept.of(labels));
            s.ts.push(rows.time(row));
            s.vs.push(value);
        }
        Ok(())
    }
}

/// The function's value over one non-empty window.
fn window(
    agg: &RangeAggregation,
    ts: &[i64],
    vs: &[f64],
    lo: i64,
    hi: i64,
    range: i64,
    range_seconds: f64,
) -> f64 {
    let sum = || vs.iter().sum::<f64>();
    let kernel = |f: RangeFn, p0: f64| {
        f.window_value(ts, vs, lo, hi, range, hi, p0, f64::NAN)
            .unwrap_or(f64::NAN)
    };
    match agg.op {
        RangeOp::CountOverTime => vs.len() as f64,
        RangeOp::BytesOverTime => sum(),
        RangeOp::Rate | RangeOp::BytesRate => sum() / range_seconds,
        RangeOp::RateCounter => {
            if vs.len() < 2 {
                0.0
            } else {
                RangeFn::Increase
                    .window_value(ts, vs, lo, hi, range, hi, f64::NAN, f64::NAN)
                    .unwrap_or(0.0)
                    / range_seconds
            }
        }
        RangeOp::SumOverTime => kernel(RangeFn::SumOverTime, f64::NAN),
        RangeOp::AvgOverTime => kernel(RangeFn::AvgOverTime, f64::NAN),
        RangeOp::MinOverTime => kernel(RangeFn::MinOverTime, f64::NAN),
        RangeOp::MaxOverTime => kernel(RangeFn::MaxOverTime, f64::NAN),
        RangeOp::StdvarOverTime => kernel(RangeFn::StdvarOverTime, f64::NAN),
        RangeOp::StddevOverTime => kernel(RangeFn::StddevOverTime, f64::NAN),
        RangeOp::FirstOverTime => vs[0],
        RangeOp::LastOverTime => vs[vs.len() - 1],
        RangeOp::QuantileOverTime => kernel(RangeFn::QuantileOverTime, agg.param.map_or(f64::NAN, |p| p.0)),
        RangeOp::AbsentOverTime => 1.0,
    }
}

/// `absent_over_time`: 1 at every time whose window holds no sample of any series,
/// labelled with the selector's equality matchers.
fn absent(agg: &RangeAggregation, series: &HashMap<LabelSet, Samples>, grid: &Grid) -> Vec<LeafSeries> {
    let (range, offset) = (agg.range.range_nanos, agg.range.offset_nanos);
    let mut all: Vec<i64> = series.values().flat_map(|s| s.ts.iter().copied()).collect();
    all.sort_unstable();
    let points: Vec<Option<f64>> = grid
        .times()
        .map(|t| {
            let (lo_t, hi_t) = (t - range - offset, t - offset);
            let present = all.partition_point(|&x| x <= lo_t) < all.partition_point(|&x| x <= hi_t);
            (!present).then_some(1.0)
        })
        .collect();
    if points.iter().all(Option::is_none) {
        return Vec::new();
    }
    let labels = LabelSet::from_pairs(
        agg.range
            .log
            .matchers
            .iter()
            .filter(|m| m.op == MatchOp::Equal)
            .map(|m| (m.name.clone(), m.value.clone())),
    );
    vec![LeafSeries { labels, points }]
}
