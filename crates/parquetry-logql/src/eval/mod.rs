//! Evaluation of LogQL with Loki's semantics.
//!
//! [`pipeline`] runs a log pipeline over one line and its labels; [`labels`] keeps those
//! labels with Loki's clash and error rules; [`range`] turns the lines of a range into
//! samples per window; [`metric`] evaluates metric queries, handing aggregations across
//! series, binary operators and `label_replace` to the PromQL evaluator, whose semantics
//! Loki shares for them; [`log_query`] answers log queries with Loki's limit, direction
//! and interval. [`query`] runs either kind, and [`api_json`] writes the answer as Loki's
//! HTTP API does.

pub mod api_json;
pub mod ip;
pub mod json_fields;
pub mod labels;
pub mod log_query;
pub mod metric;
pub mod pipeline;
pub mod query;
pub mod range;
pub mod source;
pub mod template_funcs;
pub mod values;

/// Evaluation times in nanoseconds: `start, start + step, …` up to and including `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// First evaluation time.
    pub start: i64,
    /// Last possible evaluation time.
    pub end: i64,
    /// Distance between evaluation times; positive.
    pub step: i64,
}

impl Grid {
    /// A single evaluation at `t`.
    pub fn instant(t: i64) -> Grid {
        Grid {
            start: t,
            end: t,
            step: 1,
        }
    }

    /// Every evaluation time in order.
    pub fn times(&self) -> impl Iterator<Item = i64> + '_ {
        let n = if self.end < self.start {
            0
        } else {
            (self.end - self.start) / self.step.max(1) + 1
        };
        (0..n).map(move |i| self.start + i * self.step)
    }
}

/// Why a query could not be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The pipeline cannot run (a regular expression, pattern, template or address is
    /// invalid).
    #[error("{0}")]
    Build(String),
    /// Entries could not be read.
    #[error("storage: {0}")]
    Storage(String),
    /// A stage failed on a line that a metric query would count (`__error__` is set and
    /// no filter removed it).
    #[error("{0}")]
    Pipeline(String),
    /// The query cannot be evaluated (duplicate series, many-to-many matching, …).
    #[error("{0}")]
    Execution(String),
}
