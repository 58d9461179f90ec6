//! Durations in range, step and offset positions, including the experimental arithmetic
//! (`[26m+4m]`, `offset step()`, `min_of(…)`).

use super::super::ast::*;
use super::super::error::{PResult, backtrack, fail};
use super::super::lex::word;
use super::super::lex::{token, ws};
use super::super::literals::{Literal, number_or_duration};
use super::super::operators::binop;
use super::{Parser, UNARY_PRECEDENCE};

impl Parser<'_> {
    /// The duration after `offset`: an optionally signed literal, parenthesised
    /// expression, `step()`, `range()`, `min_of(…)` or `max_of(…)` — no bare arithmetic,
    /// so `x offset 5m * 2` multiplies the offset selector.
    pub(super) fn offset_duration<'a>(&self, i: &'a str) -> PResult<'a, DurationExpr> {
        let start = ws(i);
        match start.chars().next() {
            Some(c @ ('-' | '+')) => {
                let (rest, inner) = self.offset_duration(&start[1..])?;
                Ok((rest, signed(c == '-', inner, self.span(start, rest))))
            }
            _ => self.duration_atom(start),
        }
    }

    /// A full duration expression inside brackets (arithmetic is experimental).
    pub(super) fn bracket_duration<'a>(&self, i: &'a str) -> PResult<'a, DurationExpr> {
        let start = ws(i);
        let (rest, d) = self.duration_expr(start, 0)?;
        if d.literal_ms().is_none() {
            self.experimental(start, "experimental duration expression is not enabled")?;
        }
        Ok((rest, d))
    }

    pub(super) fn duration_expr<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, DurationExpr> {
        self.nested(i, || {
            let start = ws(i);
            let (mut i, mut lhs) = match start.chars().next() {
                Some(c @ ('-' | '+')) => {
                    let (rest, inner) = self.duration_expr(&start[1..], UNARY_PRECEDENCE)?;
                    (rest, signed(c == '-', inner, self.span(start, rest)))
                }
                _ => self.duration_atom(start)?,
            };
            while let Some((after, op)) = binop(i).filter(|(_, op)| {
                matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow
                )
            }) {
                if op.precedence() < min_prec {
                    break;
                }
                let next = op.right_operand_precedence();
                let (rest, rhs) = self.duration_expr(after, next)?;
                lhs = DurationExpr::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                    span: self.span(start, rest),
                };
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    pub(super) fn duration_atom<'a>(&self, i: &'a str) -> PResult<'a, DurationExpr> {
        let start = ws(i);
        if let Some(inner) = start.strip_prefix('(') {
            self.experimental(ws(inner), "experimental duration expression is not enabled")?;
            let (rest, d) = self.duration_expr(inner, 0)?;
            let rest = match token(")")(rest) {
                Ok((r, _)) => r,
                Err(_) => return fail(ws(rest), "expected ')' to close the duration expression"),
            };
            return Ok((rest, DurationExpr::Paren(Box::new(d), self.span(start, rest))));
        }
        if let Some((after, w)) = word(start) {
            let lower = w.to_ascii_lowercase();
            if matches!(lower.as_str(), "step" | "range" | "min_of" | "max_of") && ws(after).starts_with('(')
            {
                self.experimental(start, "experimental duration expression is not enabled")?;
                let (rest, _) = token("(")(after)?;
                if lower == "step" || lower == "range" {
                    let rest = match token(")")(rest) {
                        Ok((r, _)) => r,
                        Err(_) => {
                            return fail(ws(rest), format!("expected ')': {lower}() takes no arguments"));
                        }
                    };
                    let span = self.span(start, rest);
                    let d = if lower == "step" {
                        DurationExpr::Step(span)
                    } else {
                        DurationExpr::Range(span)
                    };
                    return Ok((rest, d));
                }
                let (rest, a) = self.duration_expr(rest, 0)?;
                let rest = match token(",")(rest) {
                    Ok((r, _)) => r,
                    Err(_) => return fail(ws(rest), format!("expected ',': {lower}() takes two durations")),
                };
                let (rest, b) = self.duration_expr(rest, 0)?;
                let rest = match token(")")(rest) {
                    Ok((r, _)) => r,
                    Err(_) => return fail(ws(rest), format!("expected ')' to close {lower}()")),
                };
                return Ok((
                    rest,
                    DurationExpr::MinMax {
                        max: lower == "max_of",
                        a: Box::new(a),
                        b: Box::new(b),
                        span: self.span(start, rest),
                    },
                ));
            }
        }
        match number_or_duration(start) {
            Ok((rest, Literal::Duration(ms))) => Ok((
                rest,
                DurationExpr::Literal {
                    ms,
                    as_number: false,
                    span: self.span(start, rest),
                },
            )),
            Ok((rest, Literal::Number(secs))) => {
                let ms = (secs * 1000.0).round();
                if !ms.is_finite() || ms.abs() > 9.2e18 {
                    return fail(start, "duration out of range");
                }
                Ok((
                    rest,
                    DurationExpr::Literal {
                        ms: ms as i64,
                        as_number: true,
                        span: self.span(start, rest),
                    },
                ))
            }
            Err(nom::Err::Error(_)) => backtrack(start, "expected a duration such as 5m"),
            Err(e) => Err(e),
        }
    }
}

/// A sign applied to a duration; signs on literals fold into them.
pub(super) fn signed(negate: bool, d: DurationExpr, span: Span) -> DurationExpr {
    match d {
        DurationExpr::Literal { ms, as_number, .. } => DurationExpr::Literal {
            ms: if negate { -ms } else { ms },
            as_number,
            span,
        },
        other => DurationExpr::Unary {
            negate,
            expr: Box::new(other),
            span,
        },
    }
}
