//! What follows `|`: spanset filters, scalar filters over aggregates, `by`, `select`,
//! `coalesce`, and the metrics functions that may end a query.

use super::super::ast::*;
use super::Parser;
use super::field::{binary_op, numeric_literal};
use parquetry_promql::syntax::error::{PResult, fail};
use parquetry_promql::syntax::lex::{token, unexpected, ws};

/// The metrics functions that take no argument, and those that take a field.
const METRICS_FUNCTIONS: [&str; 8] = [
    "rate",
    "count_over_time",
    "min_over_time",
    "max_over_time",
    "avg_over_time",
    "sum_over_time",
    "quantile_over_time",
    "histogram_over_time",
];

/// The word (`[A-Za-z_]+`) at the start of `i` after blanks, and the rest.
fn word(i: &str) -> (&str, &str) {
    let i = ws(i);
    let len = i
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(i.len());
    (&i[..len], &i[len..])
}

/// `(` after blanks, or an error naming what needed it.
fn open_paren<'a>(i: &'a str, what: &str) -> PResult<'a, ()> {
    match token("(")(i) {
        Ok((rest, _)) => Ok((rest, ())),
        Err(_) => fail(ws(i), unexpected(ws(i), &format!("'(' after {what}"))),
    }
}

/// `)` after blanks, or an error.
fn close_paren(i: &str) -> PResult<'_, ()> {
    match token(")")(i) {
        Ok((rest, _)) => Ok((rest, ())),
        Err(_) => fail(ws(i), unexpected(ws(i), "')'")),
    }
}

impl Parser<'_> {
    /// One pipeline stage after `|`.
    pub(super) fn stage<'a>(&self, i: &'a str) -> PResult<'a, Stage> {
        let i = ws(i);
        if i.starts_with('{') {
            let (rest, condition) = self.braces(i)?;
            return Ok((rest, Stage::Filter(condition)));
        }
        let (name, after) = word(i);
        match name {
            "by" => {
                let (rest, fields) = self.field_list(after, "by")?;
                Ok((rest, Stage::By(fields)))
            }
            "select" => {
                let (rest, fields) = self.field_list(after, "select")?;
                Ok((rest, Stage::Select(fields)))
            }
            "coalesce" => {
                let (rest, _) = open_paren(after, "coalesce")?;
                let (rest, _) = close_paren(rest)?;
                Ok((rest, Stage::Coalesce))
            }
            _ => {
                let (rest, filter) = self.scalar_filter(i)?;
                Ok((rest, Stage::Scalar(filter)))
            }
        }
    }

    /// `(field, …)` with at least one field.
    fn field_list<'a>(&self, i: &'a str, what: &str) -> PResult<'a, Vec<FieldExpr>> {
        let (mut i, _) = open_paren(i, what)?;
        let mut fields = Vec::new();
        loop {
            let (rest, f) = self.field(i, 0)?;
            fields.push(f);
            match token(",")(rest) {
                Ok((rest, _)) => i = rest,
                Err(_) => {
                    let (rest, _) = close_paren(rest)?;
                    return Ok((rest, fields));
                }
            }
        }
    }

    /// `lhs op rhs` over aggregates of a spanset, such as `avg(duration) > 20ms`.
    fn scalar_filter<'a>(&self, i: &'a str) -> PResult<'a, ScalarFilter> {
        let (rest, lhs) = self.scalar(i, 4)?;
        let Some((after, op)) = binary_op(rest)
            .filter(|(_, op)| op.is_comparison() && !matches!(op, BinaryOp::Match | BinaryOp::NotMatch))
        else {
            return fail(
                ws(rest),
                unexpected(ws(rest), "a comparison (=, !=, <, <=, >, >=)"),
            );
        };
        let (rest, rhs) = self.scalar(after, 4).map_err(|e| {
            e.map(|mut e| {
                if ws(e.rest).len() == ws(after).len() {
                    e.message = unexpected(ws(after), "an aggregate, a number or a duration").into();
                }
                e
            })
        })?;
        Ok((rest, ScalarFilter { lhs, op, rhs }))
    }

    /// Scalar operands joined by arithmetic binding at least as tightly as `min_prec`.
    fn scalar<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, ScalarExpr> {
        self.nested(ws(i), || {
            let (mut i, mut lhs) = self.scalar_operand(i)?;
            while let Some((after, op)) = binary_op(i) {
                if op.precedence() < min_prec.max(4) {
                    break;
                }
                let next = if op.right_associative() {
                    op.precedence()
                } else {
                    op.precedence() + 1
                };
                let (rest, rhs) = self.scalar(after, next)?;
                lhs = ScalarExpr::Binary(Box::new(lhs), op, Box::new(rhs));
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    /// An aggregate, a number or duration (optionally negative), or parentheses.
    fn scalar_operand<'a>(&self, i: &'a str) -> PResult<'a, ScalarExpr> {
        let i = ws(i);
        if let Some(body) = i.strip_prefix('(') {
            let (rest, e) = self.scalar(body, 4)?;
            let (rest, _) = close_paren(rest)?;
            return Ok((rest, e));
        }
        let (negative, body) = match i.strip_prefix('-') {
            Some(body) => (true, ws(body)),
            None => (false, i),
        };
        if let Ok((rest, s)) = numeric_literal(body) {
            let s = match (negative, s) {
                (false, s) => s,
                (true, Static::Int(n)) => Static::Int(n.wrapping_neg()),
                (true, Static::Float(v)) => Static::Float(-v),
                (true, Static::Duration(n)) => Static::Duration(-n),
                (true, s) => s,
            };
            return Ok((rest, ScalarExpr::Static(s)));
        }
        let (name, after) = word(i);
        let Some((_, aggregate)) = Aggregate::ALL.iter().find(|(n, _)| *n == name) else {
            return fail(
                i,
                unexpected(
                    i,
                    "a spanset filter '{ … }', by(), select(), coalesce(), an aggregate (count(), avg(), min(), max(), sum()) or a metrics function",
                ),
            );
        };
        let (rest, _) = open_paren(after, name)?;
        if *aggregate == Aggregate::Count {
            let (rest, _) = close_paren(rest)?;
            return Ok((rest, ScalarExpr::Aggregate(Aggregate::Count, None)));
        }
        let (rest, field) = self.field(rest, 0)?;
        let (rest, _) = close_paren(rest)?;
        Ok((rest, ScalarExpr::Aggregate(*aggregate, Some(field))))
    }

    /// The metrics function at `i`, if one is named there: `rate()`, `…_over_time(…)`,
    /// with `by (…)` and `| topk(n)` or `| bottomk(n)` after it.
    pub(super) fn metrics<'a>(&self, i: &'a str) -> Option<PResult<'a, MetricsStage>> {
        let (name, after) = word(i);
        if !METRICS_FUNCTIONS.contains(&name) {
            return None;
        }
        Some(self.metrics_stage(name, after))
    }

    fn metrics_stage<'a>(&self, name: &str, i: &'a str) -> PResult<'a, MetricsStage> {
        let (i, _) = open_paren(i, name)?;
        let (i, function) = match name {
            "rate" | "count_over_time" => {
                let (i, _) = close_paren(i)?;
                let f = if name == "rate" {
                    MetricsFunction::Rate
                } else {
                    MetricsFunction::CountOverTime
                };
                (i, f)
            }
            "quantile_over_time" => {
                let (mut i, field) = self.field(i, 0)?;
                let mut quantiles = Vec::new();
                while let Ok((after, _)) = token(",")(i) {
                    let after = ws(after);
                    let (rest, q) = match numeric_literal(after) {
                        Ok((rest, Static::Float(q))) => (rest, q),
                        Ok((rest, Static::Int(q))) => (rest, q as f64),
                        _ => return fail(after, unexpected(after, "a quantile between 0 and 1")),
                    };
                    if !(0.0..=1.0).contains(&q) {
                        return fail(after, format!("quantile {q} is not between 0 and 1"));
                    }
                    quantiles.push(q);
                    i = rest;
                }
                if quantiles.is_empty() {
                    return fail(ws(i), unexpected(ws(i), "',' and at least one quantile"));
                }
                let (i, _) = close_paren(i)?;
                (i, MetricsFunction::QuantileOverTime(field, quantiles))
            }
            _ => {
                let (i, field) = self.field(i, 0)?;
                let (i, _) = close_paren(i)?;
                let f = match name {
                    "min_over_time" => MetricsFunction::MinOverTime(field),
                    "max_over_time" => MetricsFunction::MaxOverTime(field),
                    "avg_over_time" => MetricsFunction::AvgOverTime(field),
                    "sum_over_time" => MetricsFunction::SumOverTime(field),
                    _ => MetricsFunction::HistogramOverTime(field),
                };
                (i, f)
            }
        };
        let (mut i, by) = match word(i) {
            ("by", after) => self.field_list(after, "by")?,
            _ => (i, Vec::new()),
        };
        let mut rank = None;
        if let Ok((after, _)) = token("|")(i) {
            let (name, rest) = word(after);
            let which = match name {
                "topk" => Rank::Top,
                "bottomk" => Rank::Bottom,
                _ => return fail(ws(after), unexpected(ws(after), "topk(n) or bottomk(n)")),
            };
            let (rest, _) = open_paren(rest, name)?;
            let rest = ws(rest);
            let n = match numeric_literal(rest) {
                Ok((after, Static::Int(n))) if n > 0 => {
                    i = after;
                    n as usize
                }
                _ => return fail(rest, unexpected(rest, "a positive whole number")),
            };
            let (rest, _) = close_paren(i)?;
            i = rest;
            rank = Some((which, n));
        }
        Ok((i, MetricsStage { function, by, rank }))
    }
}
