//! The canonical text of a query: one spelling per construct, blanks around binary
//! operators, parentheses only where precedence needs them. Parsing the printed text
//! gives back the same tree.

use super::ast::*;
use super::parser::field_is_attribute_char;
use parquetry_model::go_duration::format_duration;
use std::fmt::{self, Display, Formatter, Write};

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.spansets)?;
        if let Some(m) = &self.metrics {
            write!(f, " | {m}")?;
        }
        for (i, h) in self.hints.iter().enumerate() {
            let before = if i == 0 { " with (" } else { ", " };
            write!(f, "{before}{} = {}", h.name, h.value)?;
        }
        if !self.hints.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// How tightly a spanset expression binds (a pipeline the loosest).
fn spanset_precedence(e: &SpansetExpr) -> u8 {
    match e {
        SpansetExpr::Filter(_) => u8::MAX,
        SpansetExpr::Binary(_, op, _) => op.precedence(),
        SpansetExpr::Pipeline(..) => 0,
    }
}

fn spanset_operand(f: &mut Formatter<'_>, e: &SpansetExpr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for SpansetExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SpansetExpr::Filter(condition) => write_braces(f, condition),
            SpansetExpr::Binary(lhs, op, rhs) => {
                let p = op.precedence();
                spanset_operand(f, lhs, spanset_precedence(lhs) < p)?;
                write!(f, " {} ", op.as_str())?;
                spanset_operand(f, rhs, spanset_precedence(rhs) <= p)
            }
            SpansetExpr::Pipeline(first, stages) => {
                spanset_operand(f, first, matches!(**first, SpansetExpr::Pipeline(..)))?;
                for stage in stages {
                    write!(f, " | {stage}")?;
                }
                Ok(())
            }
        }
    }
}

fn write_braces(f: &mut Formatter<'_>, condition: &FieldExpr) -> fmt::Result {
    match condition {
        FieldExpr::Static(Static::Bool(true)) => f.write_str("{}"),
        c => write!(f, "{{ {c} }}"),
    }
}

fn write_list(f: &mut Formatter<'_>, fields: &[FieldExpr]) -> fmt::Result {
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{field}")?;
    }
    Ok(())
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Filter(condition) => write_braces(f, condition),
            Stage::Scalar(s) => write!(f, "{} {} {}", s.lhs, s.op.as_str(), s.rhs),
            Stage::By(fields) => {
                f.write_str("by(")?;
                write_list(f, fields)?;
                f.write_str(")")
            }
            Stage::Select(fields) => {
                f.write_str("select(")?;
                write_list(f, fields)?;
                f.write_str(")")
            }
            Stage::Coalesce => f.write_str("coalesce()"),
        }
    }
}

impl Display for ScalarExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ScalarExpr::Static(s) => write!(f, "{s}"),
            ScalarExpr::Aggregate(a, field) => match field {
                Some(field) => write!(f, "{}({field})", a.name()),
                None => write!(f, "{}()", a.name()),
            },
            ScalarExpr::Binary(lhs, op, rhs) => {
                let p = op.precedence();
                let paren_left = |e: &ScalarExpr| match e {
                    ScalarExpr::Binary(_, o, _) => {
                        o.precedence() < p || (o.precedence() == p && op.right_associative())
                    }
                    _ => false,
                };
                let paren_right = |e: &ScalarExpr| match e {
                    ScalarExpr::Binary(_, o, _) => {
                        o.precedence() < p || (o.precedence() == p && !op.right_associative())
                    }
                    ScalarExpr::Static(s) => s.is_negative(),
                    _ => false,
                };
                write_maybe_parens(f, lhs, paren_left(lhs))?;
                write!(f, " {} ", op.as_str())?;
                write_maybe_parens(f, rhs, paren_right(rhs))
            }
        }
    }
}

fn write_maybe_parens(f: &mut Formatter<'_>, e: &impl Display, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// How tightly a field expression binds (operands and unary operators the tightest).
fn field_precedence(e: &FieldExpr) -> u8 {
    match e {
        FieldExpr::Binary(_, op, _) => op.precedence(),
        _ => u8::MAX,
    }
}

impl Display for FieldExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FieldExpr::Static(s) => write!(f, "{s}"),
            FieldExpr::Attribute(a) => write!(f, "{a}"),
            FieldExpr::Intrinsic(i) => f.write_str(i.as_str()),
            FieldExpr::Binary(lhs, op, rhs) => {
                let p = op.precedence();
                let right = op.right_associative();
                let (lp, rp) = (field_precedence(lhs), field_precedence(rhs));
                write_maybe_parens(f, lhs, lp < p || (lp == p && right))?;
                write!(f, " {} ", op.as_str())?;
                write_maybe_parens(f, rhs, rp < p || (rp == p && !right))
            }
            FieldExpr::Not(e) => {
                f.write_char('!')?;
                write_maybe_parens(f, e, field_precedence(e) != u8::MAX)
            }
            FieldExpr::Negate(e) => {
                f.write_char('-')?;
                let numeric = matches!(
                    **e,
                    FieldExpr::Static(Static::Int(_) | Static::Float(_) | Static::Duration(_))
                        | FieldExpr::Negate(_)
                );
                write_maybe_parens(f, e, numeric || field_precedence(e) != u8::MAX)
            }
        }
    }
}

impl Static {
    /// True for a number or duration below zero (printed with a leading `-`).
    pub fn is_negative(&self) -> bool {
        match self {
            Static::Int(n) | Static::Duration(n) => *n < 0,
            Static::Float(v) => v.is_sign_negative(),
            _ => false,
        }
    }
}

impl Display for Static {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Static::Nil => f.write_str("nil"),
            Static::Bool(b) => write!(f, "{b}"),
            Static::Int(n) => write!(f, "{n}"),
            Static::Float(v) => f.write_str(&float_text(*v)),
            Static::String(s) => write_quoted(f, s),
            Static::Duration(n) => f.write_str(&format_duration(*n)),
            Static::Status(s) => f.write_str(s.name()),
            Static::Kind(k) => f.write_str(k.name()),
        }
    }
}

/// A float as a literal that reads back as the same float: decimal digits without an
/// exponent, and a `.0` when it is whole.
fn float_text(v: f64) -> String {
    let text = v.to_string();
    if text.contains(['.', 'N', 'i']) {
        text
    } else {
        text + ".0"
    }
}

/// `s` in double quotes with Go's escapes.
fn write_quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}.", self.scope.prefix())?;
        let bare = !self.name.is_empty()
            && self.name.chars().all(field_is_attribute_char)
            && !self.name.starts_with(|c: char| c.is_ascii_digit());
        if bare {
            f.write_str(&self.name)
        } else {
            write_quoted(f, &self.name)
        }
    }
}

impl Display for MetricsStage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.function {
            MetricsFunction::Rate => f.write_str("rate()")?,
            MetricsFunction::CountOverTime => f.write_str("count_over_time()")?,
            MetricsFunction::MinOverTime(e) => write!(f, "min_over_time({e})")?,
            MetricsFunction::MaxOverTime(e) => write!(f, "max_over_time({e})")?,
            MetricsFunction::AvgOverTime(e) => write!(f, "avg_over_time({e})")?,
            MetricsFunction::SumOverTime(e) => write!(f, "sum_over_time({e})")?,
            MetricsFunction::HistogramOverTime(e) => write!(f, "histogram_over_time({e})")?,
            MetricsFunction::QuantileOverTime(e, qs) => {
                write!(f, "quantile_over_time({e}")?;
                for q in qs {
                    write!(f, ", {}", float_text(*q))?;
                }
                f.write_str(")")?;
            }
        }
        if !self.by.is_empty() {
            f.write_str(" by (")?;
            write_list(f, &self.by)?;
            f.write_str(")")?;
        }
        match self.rank {
            Some((Rank::Top, n)) => write!(f, " | topk({n})"),
            Some((Rank::Bottom, n)) => write!(f, " | bottomk({n})"),
            None => Ok(()),
        }
    }
}
