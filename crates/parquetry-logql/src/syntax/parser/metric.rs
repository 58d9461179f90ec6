//! Functions: range aggregations over log ranges, aggregations across series,
//! `label_replace` and `vector`, and the log range itself in all the places Loki lets
//! the range be written.

use super::super::ast::*;
use super::super::literals::{number, parse_duration_nanos, signed_duration, string_literal};
use super::{Parser, expect_operand};
use parquetry_promql::syntax::error::{PResult, backtrack, fail};
use parquetry_promql::syntax::lex::{keyword, token, unexpected, ws};
use parquetry_promql::syntax::operators::grouping;

/// A log range before the range is known: `(selector pipeline unwrap)` may be followed by
/// `[range]` outside the parentheses.
struct PartialRange {
    log: LogExpr,
    unwrap: Option<Unwrap>,
    range: Option<(i64, i64)>,
}

impl Parser<'_> {
    /// A function call starting with the word `name` (`after` follows the word).
    pub(super) fn function<'a>(&self, start: &'a str, name: &str, after: &'a str) -> PResult<'a, Expr> {
        let opens = ws(after).starts_with('(');
        if let Some(op) = RangeOp::from_name(name).filter(|_| opens) {
            return self.range_aggregation(start, op, after);
        }
        if let Some(op) = VectorOp::from_name(name) {
            let grouped = keyword(after, "by").is_some() || keyword(after, "without").is_some();
            if opens || grouped {
                return self.vector_aggregation(start, op, after);
            }
        }
        match name {
            "label_replace" if opens => self.label_replace(start, after),
            "vector" if opens => {
                let (rest, _) = token("(")(after)?;
                let (rest, v) = match number(rest) {
                    Ok(ok) => ok,
                    Err(nom::Err::Error(_)) => return fail(ws(rest), unexpected(ws(rest), "a number")),
                    Err(e) => return Err(e),
                };
                let rest = close(rest)?;
                Ok((rest, Expr::Vector(Number(v), self.span(start, rest))))
            }
            _ if opens => fail(start, format!("unknown function {name:?}")),
            _ => backtrack(start, unexpected(start, "an expression")),
        }
    }

    fn range_aggregation<'a>(&self, start: &'a str, op: RangeOp, after: &'a str) -> PResult<'a, Expr> {
        let (i, _) = token("(")(after)?;
        let (i, param) = match number(i) {
            Ok((rest, v)) => match token(",")(rest) {
                Ok((rest, _)) => (rest, Some(Number(v))),
                Err(_) => return fail(ws(rest), unexpected(ws(rest), "',' after the parameter")),
            },
            Err(nom::Err::Error(_)) => (i, None),
            Err(e) => return Err(e),
        };
        let (i, range) = self.log_range(i)?;
        let i = close(i)?;
        let (i, grouping) = grouping(i)?;
        Ok((
            i,
            Expr::RangeAggregation(RangeAggregation {
                op,
                param,
                range,
                grouping,
                span: self.span(start, i),
            }),
        ))
    }

    fn vector_aggregation<'a>(&self, start: &'a str, op: VectorOp, after: &'a str) -> PResult<'a, Expr> {
        let (i, mut group) = grouping(after)?;
        let (i, _) = match token("(")(i) {
            Ok(ok) => ok,
            Err(_) => return fail(ws(i), unexpected(ws(i), "'('")),
        };
        let (i, param) = match number(i) {
            Ok((rest, v)) if ws(rest).starts_with(',') => (token(",")(rest)?.0, Some(Number(v))),
            Ok(_) | Err(nom::Err::Error(_)) => (i, None),
            Err(e) => return Err(e),
        };
        let (i, expr) = self.expr(i, 0).map_err(|e| expect_operand(e, i))?;
        let i = close(i)?;
        let i = if group.is_none() {
            let (rest, g) = grouping(i)?;
            group = g;
            rest
        } else {
            i
        };
        Ok((
            i,
            Expr::VectorAggregation(VectorAggregation {
                op,
                param,
                expr: Box::new(expr),
                grouping: group,
                span: self.span(start, i),
            }),
        ))
    }

    fn label_replace<'a>(&self, start: &'a str, after: &'a str) -> PResult<'a, Expr> {
        let (i, _) = token("(")(after)?;
        let (mut i, expr) = self.expr(i, 0).map_err(|e| expect_operand(e, i))?;
        let mut args = Vec::with_capacity(4);
        for _ in 0..4 {
            i = match token(",")(i) {
                Ok((rest, _)) => rest,
                Err(_) => {
                    return fail(
                        ws(i),
                        unexpected(ws(i), "',' and the next argument of label_replace"),
                    );
                }
            };
            let (rest, s) = match string_literal(i) {
                Ok(ok) => ok,
                Err(nom::Err::Error(_)) => return fail(ws(i), unexpected(ws(i), "a string")),
                Err(e) => return Err(e),
            };
            args.push(s);
            i = rest;
        }
        let i = close(i)?;
        let mut args = args.into_iter();
        let mut next = || args.next().unwrap_or_default();
        Ok((
            i,
            Expr::LabelReplace(LabelReplace {
                expr: Box::new(expr),
                dst: next(),
                replacement: next(),
                src: next(),
                regex: next(),
                span: self.span(start, i),
            }),
        ))
    }

    /// The argument of a range aggregation: a selector, its pipeline and unwrap, a range
    /// and an offset, in any of the orders Loki accepts.
    fn log_range<'a>(&self, i: &'a str) -> PResult<'a, LogRange> {
        let (rest, part) = self.partial_range(i)?;
        let Some((range_nanos, offset_nanos)) = part.range else {
            return fail(
                ws(rest),
                unexpected(ws(rest), "a range such as [5m] after the log query"),
            );
        };
        Ok((
            rest,
            LogRange {
                log: part.log,
                unwrap: part.unwrap,
                range_nanos,
                offset_nanos,
            },
        ))
    }

    fn partial_range<'a>(&self, i: &'a str) -> PResult<'a, PartialRange> {
        let start = ws(i);
        if let Some(inner) = start.strip_prefix('(') {
            return self.nested(start, || {
                let (rest, mut part) = self.partial_range(inner)?;
                let rest = close(rest)?;
                if part.range.is_some() {
                    return Ok((rest, part));
                }
                let (rest, range) = self.range_and_offset(rest)?;
                part.range = range;
                Ok((rest, part))
            });
        }
        let (rest, matchers) = self.selector(start)?;
        let (rest, (mut pipeline, mut unwrap)) = self.pipeline(rest, true)?;
        let (mut rest, range) = self.range_and_offset(rest)?;
        if range.is_some() && pipeline.is_empty() && unwrap.is_none() {
            let (after, (p, u)) = self.pipeline(rest, true)?;
            pipeline = p;
            unwrap = u;
            rest = after;
        }
        let log = LogExpr {
            matchers,
            pipeline,
            span: self.span(start, rest),
        };
        Ok((rest, PartialRange { log, unwrap, range }))
    }

    /// An optional `[range]` with an optional `offset d` after it.
    fn range_and_offset<'a>(&self, i: &'a str) -> PResult<'a, Option<(i64, i64)>> {
        let at = ws(i);
        let Some(body) = at.strip_prefix('[') else {
            return Ok((i, None));
        };
        let Some(end) = body.find(']') else {
            return fail(at, "missing closing ']' in duration");
        };
        let text = body[..end].trim();
        let range = match parse_duration_nanos(text) {
            Ok(n) if n > 0 => n,
            Ok(_) => return fail(body, "the range must be longer than zero"),
            Err(e) => return fail(body, e),
        };
        let rest = &body[end + 1..];
        match keyword(rest, "offset") {
            Some(after) => {
                let (rest, offset) = signed_duration(after)?;
                Ok((rest, Some((range, offset))))
            }
            None => Ok((rest, Some((range, 0)))),
        }
    }
}

/// The closing parenthesis of a call.
fn close(i: &str) -> Result<&str, nom::Err<parquetry_promql::syntax::error::PError<'_>>> {
    match token(")")(i) {
        Ok((rest, _)) => Ok(rest),
        Err(_) => fail(ws(i), unexpected(ws(i), "')'")).map(|(r, ())| r),
    }
}
