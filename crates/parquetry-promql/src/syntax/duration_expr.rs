//! Durations in a range, offset or step position: literals, and the experimental
//! arithmetic over them with `step()`, `range()`, `min_of` and `max_of`.

use super::ast::{BinOp, Span};

/// A duration in a range, offset or step position. Literals are milliseconds; the
/// experimental arithmetic form is computed in seconds, like Prometheus does.
#[derive(Clone, Debug)]
pub enum DurationExpr {
    /// A literal: `5m`, `1h30m`, or a number of seconds (`300`, `1.5`).
    Literal {
        /// Milliseconds.
        ms: i64,
        /// Written as a plain number of seconds rather than with units.
        as_number: bool,
        /// Where it is.
        span: Span,
    },
    /// `step()`: the query's step.
    Step(Span),
    /// `range()`: the query's range (end - start).
    Range(Span),
    /// `(d)`.
    Paren(Box<DurationExpr>, Span),
    /// `-d` or `+d`.
    Unary {
        /// True for `-`.
        negate: bool,
        /// The operand.
        expr: Box<DurationExpr>,
        /// Where it is.
        span: Span,
    },
    /// `a op b` with `+ - * / % ^`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<DurationExpr>,
        /// Right operand.
        rhs: Box<DurationExpr>,
        /// Where it is.
        span: Span,
    },
    /// `min_of(a, b)` (`max == false`) or `max_of(a, b)`.
    MinMax {
        /// True for `max_of`.
        max: bool,
        /// First argument.
        a: Box<DurationExpr>,
        /// Second argument.
        b: Box<DurationExpr>,
        /// Where it is.
        span: Span,
    },
}

impl PartialEq for DurationExpr {
    /// Equal when they compute the same way: whether a literal was written as a number of
    /// seconds or with units is not part of its meaning.
    fn eq(&self, other: &DurationExpr) -> bool {
        use DurationExpr::*;
        match (self, other) {
            (Literal { ms: a, .. }, Literal { ms: b, .. }) => a == b,
            (Step(_), Step(_)) | (Range(_), Range(_)) => true,
            (Paren(a, _), Paren(b, _)) => a == b,
            (
                Unary {
                    negate: a, expr: x, ..
                },
                Unary {
                    negate: b, expr: y, ..
                },
            ) => a == b && x == y,
            (
                Binary {
                    op: a,
                    lhs: l1,
                    rhs: r1,
                    ..
                },
                Binary {
                    op: b,
                    lhs: l2,
                    rhs: r2,
                    ..
                },
            ) => a == b && l1 == l2 && r1 == r2,
            (
                MinMax {
                    max: a, a: x1, b: y1, ..
                },
                MinMax {
                    max: b, a: x2, b: y2, ..
                },
            ) => a == b && x1 == x2 && y1 == y2,
            _ => false,
        }
    }
}

impl DurationExpr {
    /// The literal's milliseconds, if this is a plain literal.
    pub fn literal_ms(&self) -> Option<i64> {
        match self {
            DurationExpr::Literal { ms, .. } => Some(*ms),
            _ => None,
        }
    }

    /// Evaluates the duration for a query with the given step and range (milliseconds).
    pub fn eval_ms(&self, step_ms: i64, range_ms: i64) -> f64 {
        self.eval_seconds(step_ms, range_ms) * 1000.0
    }

    fn eval_seconds(&self, step_ms: i64, range_ms: i64) -> f64 {
        let ev = |d: &DurationExpr| d.eval_seconds(step_ms, range_ms);
        match self {
            DurationExpr::Literal { ms, .. } => *ms as f64 / 1000.0,
            DurationExpr::Step(_) => step_ms as f64 / 1000.0,
            DurationExpr::Range(_) => range_ms as f64 / 1000.0,
            DurationExpr::Paren(d, _) => ev(d),
            DurationExpr::Unary { negate, expr, .. } => {
                if *negate {
                    -ev(expr)
                } else {
                    ev(expr)
                }
            }
            DurationExpr::Binary { op, lhs, rhs, .. } => {
                let (a, b) = (ev(lhs), ev(rhs));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Mod => a % b,
                    BinOp::Pow => a.powf(b),
                    _ => f64::NAN,
                }
            }
            DurationExpr::MinMax { max, a, b, .. } => {
                let (a, b) = (ev(a), ev(b));
                if *max { a.max(b) } else { a.min(b) }
            }
        }
    }

    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            DurationExpr::Literal { span, .. }
            | DurationExpr::Step(span)
            | DurationExpr::Range(span)
            | DurationExpr::Paren(_, span)
            | DurationExpr::Unary { span, .. }
            | DurationExpr::Binary { span, .. }
            | DurationExpr::MinMax { span, .. } => *span,
        }
    }
}
