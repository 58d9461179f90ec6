//! Label filters at run time. A typed comparison (number, duration, byte size) whose
//! label does not convert marks the line with `LabelFilterErr` (the first failure keeps
//! the details) and keeps it. A line that came into the stage already marked by an
//! earlier stage fails typed comparisons and passes `ip(…)`. A missing label fails typed
//! and `ip(…)` filters. `and` evaluates both sides, `or` stops at the first that holds.

use super::BuildError;
use crate::eval::ip::IpPattern;
use crate::eval::labels::LabelsBuilder;
use crate::eval::values::{parse_value_bytes, parse_value_duration, parse_value_float};
use crate::syntax::ast::{CompareOp, LabelFilter};
use parquetry_model::Matcher;

/// The `__error__` value of a line a typed filter could not convert.
pub const LABEL_FILTER_ERR: &str = "LabelFilterErr";

/// How a typed filter reads the label.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Float,
    Duration,
    Bytes,
}

/// A compiled label filter.
pub(super) enum CompiledLabelFilter {
    And(Box<CompiledLabelFilter>, Box<CompiledLabelFilter>),
    Or(Box<CompiledLabelFilter>, Box<CompiledLabelFilter>),
    String(Matcher),
    Ip {
        name: String,
        negated: bool,
        pattern: IpPattern,
    },
    Typed {
        name: String,
        kind: Kind,
        op: CompareOp,
        value: f64,
    },
}

fn compare(op: CompareOp, l: f64, r: f64) -> bool {
    match op {
        CompareOp::Eq => l == r,
        CompareOp::Neq => l != r,
        CompareOp::Gt => l > r,
        CompareOp::Gte => l >= r,
        CompareOp::Lt => l < r,
        CompareOp::Lte => l <= r,
    }
}

impl CompiledLabelFilter {
    /// Compiles `f`; an invalid `ip(…)` pattern is an error.
    pub fn build(f: &LabelFilter) -> Result<CompiledLabelFilter, BuildError> {
        Ok(match f {
            LabelFilter::And(l, r) => {
                CompiledLabelFilter::And(Box::new(Self::build(l)?), Box::new(Self::build(r)?))
            }
            LabelFilter::Or(l, r) => {
                CompiledLabelFilter::Or(Box::new(Self::build(l)?), Box::new(Self::build(r)?))
            }
            LabelFilter::String(m) => CompiledLabelFilter::String(m.clone()),
            LabelFilter::Ip {
                name,
                negated,
                pattern,
            } => CompiledLabelFilter::Ip {
                name: name.clone(),
                negated: *negated,
                pattern: IpPattern::parse(pattern).map_err(BuildError)?,
            },
            LabelFilter::Number { name, op, value } => CompiledLabelFilter::Typed {
                name: name.clone(),
                kind: Kind::Float,
                op: *op,
                value: value.0,
            },
            LabelFilter::Duration { name, op, nanos } => CompiledLabelFilter::Typed {
                name: name.clone(),
                kind: Kind::Duration,
                op: *op,
                value: *nanos as f64 / 1e9,
            },
            LabelFilter::Bytes { name, op, bytes } => CompiledLabelFilter::Typed {
                name: name.clone(),
                kind: Kind::Bytes,
                op: *op,
                value: *bytes as f64,
            },
        })
    }

    /// True when the line passes the stage.
    pub fn keeps(&self, labels: &mut LabelsBuilder) -> bool {
        let marked = labels.error().is_some();
        self.eval(labels, marked)
    }

    /// `marked`: the line carried an error when the stage began.
    fn eval(&self, labels: &mut LabelsBuilder, marked: bool) -> bool {
        match self {
            CompiledLabelFilter::And(l, r) => {
                let left = l.eval(labels, marked);
                let right = r.eval(labels, marked);
                left && right
            }
            CompiledLabelFilter::Or(l, r) => l.eval(labels, marked) || r.eval(labels, marked),
            CompiledLabelFilter::String(m) => m.matches(labels.get(&m.name).unwrap_or("")),
            CompiledLabelFilter::Ip {
                name,
                negated,
                pattern,
            } => {
                if marked {
                    return true;
                }
                match labels.get(name) {
                    Some(v) => pattern.found_in(v) != *negated,
                    None => false,
                }
            }
            CompiledLabelFilter::Typed {
                name,
                kind,
                op,
                value,
            } => {
                if marked {
                    return false;
                }
                let Some(text) = labels.get(name) else {
                    return false;
                };
                let parsed = match kind {
                    Kind::Float => parse_value_float(text),
                    Kind::Duration => parse_value_duration(text),
                    Kind::Bytes => parse_value_bytes(text),
                };
                match parsed {
                    Ok(v) => compare(*op, v, *value),
                    Err(e) => {
                        labels.set_error(LABEL_FILTER_ERR, e);
                        true
                    }
                }
            }
        }
    }
}
