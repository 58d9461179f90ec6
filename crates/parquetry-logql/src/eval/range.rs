//! Range aggregations: the lines of a log range, through their pipeline, turned into
//! samples (1 per line, its bytes, or the unwrapped value) and folded per window
//! `(T − range − offset, T − offset]` at each evaluation time T. An empty window gives no
//! point, except for `absent_over_time`.

use super::labels::{ERROR_DETAILS_LABEL, LabelSet, LabelsBuilder};
use super::pipeline::{BuildError, CompiledLabelFilters, Pipeline, WantedLabels, required_substrings};
use super::source::EntrySource;
use super::values::{parse_value_bytes, parse_value_duration, parse_value_float};
use super::{EvalError, Grid};
use crate::syntax::ast::{Conversion, Grouping, RangeAggregation, RangeOp};
use parquetry_logs::{LogEntry, StreamEntries};
use parquetry_model::MatchOp;
use parquetry_promql::eval::functions::window_value;
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

/// The labels of a line that a range aggregation's `by`/`without` keeps.
fn group_labels(labels: &LabelsBuilder, grouping: &Option<Grouping>) -> LabelSet {
    let kept = |n: &str| match grouping {
        None => true,
        Some(Grouping::By(keep)) => keep.iter().any(|k| k == n),
        Some(Grouping::Without(drop)) => !drop.iter().any(|d| d == n),
    };
    LabelSet::from_pairs(
        labels
            .iter()
            .filter(|(n, _)| kept(n))
            .map(|(n, v)| (n.to_string(), v.to_string())),
    )
}

/// Lines of a stream one parallel task runs through its pipeline.
const LINES_PER_TASK: usize = 16 * 1024;

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
    let streams = source
        .select(&agg.range.log.matchers, read_start, read_end, &needles)
        .map_err(EvalError::Storage)?;
    let extractor = Extractor {
        agg,
        pipeline: &pipeline,
        post_filters: &post_filters,
    };
    // Long streams are cut in pieces so that one stream's lines use every core too.
    let pieces: Vec<(&StreamEntries, &[LogEntry])> = streams
        .iter()
        .flat_map(|s| s.entries.chunks(LINES_PER_TASK).map(move |lines| (s, lines)))
        .collect();
    let per_piece = pieces
        .par_iter()
        .map(|(stream, lines)| extractor.samples(stream, lines))
        .collect::<Result<Vec<_>, EvalError>>()?;
    // Merged in stream and piece order, so that lines at the same time keep their order.
    let mut series: HashMap<LabelSet, Samples> = HashMap::default();
    for one in per_piece {
        for (labels, samples) in one {
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
}

impl Extractor<'_> {
    /// The samples of `lines` of `stream` by series, each series' samples in time order.
    fn samples(
        &self,
        stream: &StreamEntries,
        lines: &[LogEntry],
    ) -> Result<HashMap<LabelSet, Samples>, EvalError> {
        let (agg, unwrap) = (self.agg, self.agg.range.unwrap.as_ref());
        let mut series: HashMap<LabelSet, Samples> = HashMap::default();
        // The stream's labels are built once; each line starts from a copy.
        let base = LabelsBuilder::new(
            stream.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())),
            [],
        );
        let (mut labels, mut line) = (LabelsBuilder::default(), String::new());
        for entry in lines {
            labels.reset_to(&base);
            labels.add_metadata(entry.metadata.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            line.clone_from(&entry.line);
            if !self.pipeline.process(entry.timestamp, &mut line, &mut labels) {
                continue;
            }
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
                    if !self.post_filters.keep(&mut labels) {
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
            let key = group_labels(&labels, &agg.grouping);
            let s = series.entry(key).or_default();
            s.ts.push(entry.timestamp);
            s.vs.push(value);
        }
        Ok(series)
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
    let kernel =
        |name: &str, p0: f64| window_value(name, ts, vs, lo, hi, range, hi, p0, f64::NAN).unwrap_or(f64::NAN);
    match agg.op {
        RangeOp::CountOverTime => vs.len() as f64,
        RangeOp::BytesOverTime => sum(),
        RangeOp::Rate | RangeOp::BytesRate => sum() / range_seconds,
        RangeOp::RateCounter => {
            if vs.len() < 2 {
                0.0
            } else {
                window_value("increase", ts, vs, lo, hi, range, hi, f64::NAN, f64::NAN).unwrap_or(0.0)
                    / range_seconds
            }
        }
        RangeOp::SumOverTime => kernel("sum_over_time", f64::NAN),
        RangeOp::AvgOverTime => kernel("avg_over_time", f64::NAN),
        RangeOp::MinOverTime => kernel("min_over_time", f64::NAN),
        RangeOp::MaxOverTime => kernel("max_over_time", f64::NAN),
        RangeOp::StdvarOverTime => kernel("stdvar_over_time", f64::NAN),
        RangeOp::StddevOverTime => kernel("stddev_over_time", f64::NAN),
        RangeOp::FirstOverTime => vs[0],
        RangeOp::LastOverTime => vs[vs.len() - 1],
        RangeOp::QuantileOverTime => kernel("quantile_over_time", agg.param.map_or(f64::NAN, |p| p.0)),
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
