//! The values an expression evaluates to, over all evaluation steps at once.

use arrow_buffer::ScalarBuffer;
use parquetry_model::Labels;
use std::sync::Arc;

/// One series of an instant-vector result: a value (or none) at each step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSeries {
    /// The series' labels, `__name__` included until it is dropped.
    pub labels: Labels,
    /// The metric name is to be dropped at the end of evaluation (Prometheus' delayed
    /// name removal): set by functions and operators that change a value's meaning.
    pub drop_name: bool,
    /// The value at each step of the grid; `None` where the series has no sample.
    pub points: Vec<Option<f64>>,
}

impl StepSeries {
    /// The labels this series will end up with (without `__name__`, and the `__type__`
    /// and `__unit__` metadata labels that describe it, when the name is dropped) and its
    /// points.
    pub fn into_final(self) -> (Labels, Vec<Option<f64>>) {
        (final_labels(self.labels, self.drop_name), self.points)
    }
}

/// The labels a dropped metric name takes with it.
const NAME_LABELS: [&str; 3] = [parquetry_model::METRIC_NAME, "__type__", "__unit__"];

/// The labels a series ends up with: without `__name__`, `__type__` and `__unit__` when
/// `drop_name`, as they are otherwise.
pub fn final_labels(labels: Labels, drop_name: bool) -> Labels {
    match drop_name {
        true => labels.into_without(&NAME_LABELS),
        false => labels,
    }
}

/// Raw samples of one series, as read from storage or produced by a subquery.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSeries {
    /// The series' labels, shared with the source that read them (a store's catalog
    /// holds each series' labels once; a batch of series need not copy them).
    pub labels: Arc<Labels>,
    /// Drop the metric name at the end (set on subquery results of name-dropping inners).
    pub drop_name: bool,
    /// Sample times, ascending. A buffer shares its memory when cloned or sliced, so a
    /// series read from storage can point into the buffers its rows were decoded into.
    pub timestamps: ScalarBuffer<i64>,
    /// Sample values, as many as timestamps.
    pub values: ScalarBuffer<f64>,
}

/// A range-vector value: raw samples per series, with the window each step looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeValue {
    /// The series and their samples (covering every window).
    pub series: Vec<RawSeries>,
    /// Window length in milliseconds; a step at `t` looks at `(t' - range, t']`.
    pub range_ms: i64,
    /// The time `t'` each step's window ends at (after `offset` and `@`).
    pub window_ends: Vec<i64>,
    /// How the window's edges are treated (`anchored`/`smoothed` also need the samples
    /// just outside it, which are then included in `series`).
    pub mode: crate::syntax::ast::RangeMode,
}

/// What an expression evaluates to.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// One number per step.
    Scalar(Vec<f64>),
    /// Series with a value per step.
    Vector(Vec<StepSeries>),
    /// A range vector (only as a function argument or an instant query's result).
    Range(RangeValue),
    /// A string.
    String(String),
}

impl Value {
    /// Points the value holds: a number per series and step, or a range vector's raw
    /// samples.
    pub fn points(&self) -> usize {
        match self {
            Value::Scalar(points) => points.len(),
            Value::Vector(series) => series.iter().map(|s| s.points.len()).sum(),
            Value::Range(range) => range.series.iter().map(|s| s.timestamps.len()).sum(),
            Value::String(_) => 1,
        }
    }

    /// A short name of the value's type for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::Vector(_) => "instant vector",
            Value::Range(_) => "range vector",
            Value::String(_) => "string",
        }
    }
}
