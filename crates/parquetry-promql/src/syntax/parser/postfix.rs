//! What may follow a primary expression: `[range]`, `[range:step]`, `offset`, `@`,
//! `anchored` and `smoothed`.

use super::super::ast::*;
use super::super::error::{PError, PResult, fail};
use super::super::lex::{keyword, unexpected};
use super::super::lex::{token, ws};
use super::super::literals::{Literal, number_or_duration};
use super::Parser;

impl Parser<'_> {
    /// A primary expression followed by ranges, subqueries and modifiers.
    pub(super) fn postfix<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let start = ws(i);
        let (mut i, mut e) = self.primary(start)?;
        loop {
            let at = ws(i);
            if at.starts_with('[') {
                let (rest, ranged) = self.range_or_subquery(start, at, e)?;
                i = rest;
                e = ranged;
            } else if let Some(rest) = keyword(at, "offset") {
                let (rest, d) = self.offset_duration(rest)?;
                e = self.with_modifier(at, e, |m| {
                    if m.offset.is_some() {
                        return Err("offset may not be set multiple times");
                    }
                    m.offset = Some(d);
                    Ok(())
                })?;
                i = rest;
            } else if let Some(rest) = at.strip_prefix('@') {
                let (rest, t) = self.at_time(rest)?;
                e = self.with_modifier(at, e, |m| {
                    if m.at.is_some() {
                        return Err("@ <timestamp> may not be set multiple times");
                    }
                    m.at = Some(t);
                    Ok(())
                })?;
                i = rest;
            } else if let Some((rest, mode)) = range_mode(at) {
                self.experimental(
                    at,
                    "the anchored/smoothed modifier is experimental and not enabled",
                )?;
                e = with_mode(at, e, mode)?;
                i = rest;
            } else {
                break;
            }
            set_span(&mut e, self.span(start, i));
        }
        Ok((i, e))
    }

    /// `[range]` after a selector, or `[range:step]` after any expression.
    pub(super) fn range_or_subquery<'a>(&self, start: &'a str, at: &'a str, e: Expr) -> PResult<'a, Expr> {
        let (rest, range) = self.bracket_duration(&at[1..])?;
        let rest = ws(rest);
        if let Some(after_colon) = rest.strip_prefix(':') {
            let (rest, step) = if ws(after_colon).starts_with(']') {
                (after_colon, None)
            } else {
                let (r, s) = self.bracket_duration(after_colon)?;
                (r, Some(s))
            };
            let rest = close_bracket(rest)?;
            let span = self.span(start, rest);
            return Ok((
                rest,
                Expr::Subquery(Subquery {
                    expr: Box::new(e),
                    range,
                    step,
                    modifiers: TimeModifiers::default(),
                    span,
                }),
            ));
        }
        let rest = close_bracket(rest)?;
        match e {
            Expr::VectorSelector(vs) => {
                if vs.modifiers.offset.is_some() {
                    return fail(at, "no offset modifiers allowed before range");
                }
                if vs.modifiers.at.is_some() {
                    return fail(at, "no @ modifiers allowed before range");
                }
                let span = self.span(start, rest);
                Ok((
                    rest,
                    Expr::MatrixSelector(MatrixSelector {
                        selector: vs,
                        range,
                        span,
                    }),
                ))
            }
            _ => fail(at, "ranges only allowed for vector selectors"),
        }
    }

    pub(super) fn with_modifier<'a>(
        &self,
        at: &'a str,
        mut e: Expr,
        set: impl FnOnce(&mut TimeModifiers) -> Result<(), &'static str>,
    ) -> Result<Expr, nom::Err<PError<'a>>> {
        let m = match &mut e {
            Expr::VectorSelector(v) => &mut v.modifiers,
            Expr::MatrixSelector(m) => &mut m.selector.modifiers,
            Expr::Subquery(s) => &mut s.modifiers,
            _ => {
                let what = if at.starts_with('@') { "@" } else { "offset" };
                return Err(nom::Err::Failure(PError::new(
                    at,
                    format!(
                        "{what} modifier must be preceded by an instant vector selector or range vector selector or a subquery"
                    ),
                )));
            }
        };
        set(m).map_err(|msg| nom::Err::Failure(PError::new(at, msg)))?;
        Ok(e)
    }

    /// `@ <seconds>`, `@ start()` or `@ end()`.
    pub(super) fn at_time<'a>(&self, i: &'a str) -> PResult<'a, At> {
        for (name, at) in [("start", At::Start), ("end", At::End)] {
            if let Some(rest) = keyword(i, name) {
                let rest = token("(")(rest).and_then(|(r, _)| token(")")(r)).map(|(r, _)| r);
                return match rest {
                    Ok(rest) => Ok((rest, at)),
                    Err(_) => fail(ws(i), format!("expected {name}() after @")),
                };
            }
        }
        let start = ws(i);
        let (negate, body) = match start.chars().next() {
            Some('-') => (true, &start[1..]),
            Some('+') => (false, &start[1..]),
            _ => (false, start),
        };
        let (rest, lit) = number_or_duration(body).map_err(|_| {
            nom::Err::Failure(PError::new(
                start,
                "expected a timestamp, start() or end() after @",
            ))
        })?;
        let secs = match lit {
            Literal::Number(v) => v,
            Literal::Duration(ms) => ms as f64 / 1000.0,
        };
        let secs = if negate { -secs } else { secs };
        let ms = (secs * 1000.0).round();
        if !ms.is_finite() || ms.abs() > i64::MAX as f64 / 2.0 {
            return fail(start, "timestamp out of bounds for @ modifier");
        }
        Ok((rest, At::Timestamp(ms as i64)))
    }
}

/// `anchored` or `smoothed` as a whole word.
pub(super) fn range_mode(i: &str) -> Option<(&str, RangeMode)> {
    if let Some(rest) = keyword(i, "anchored") {
        return Some((rest, RangeMode::Anchored));
    }
    keyword(i, "smoothed").map(|rest| (rest, RangeMode::Smoothed))
}

pub(super) fn with_mode(at: &str, mut e: Expr, mode: RangeMode) -> Result<Expr, nom::Err<PError<'_>>> {
    let vs = match &mut e {
        Expr::VectorSelector(v) => v,
        Expr::MatrixSelector(m) => &mut m.selector,
        _ => {
            return Err(nom::Err::Failure(PError::new(
                at,
                "anchored and smoothed modifiers must follow a vector or range vector selector",
            )));
        }
    };
    if vs.mode != RangeMode::Default {
        return Err(nom::Err::Failure(PError::new(
            at,
            "anchored/smoothed may only be set once",
        )));
    }
    vs.mode = mode;
    Ok(e)
}

pub(super) fn set_span(e: &mut Expr, span: Span) {
    match e {
        Expr::VectorSelector(v) => v.span = span,
        Expr::MatrixSelector(m) => m.span = span,
        Expr::Subquery(s) => s.span = span,
        _ => {}
    }
}

pub(super) fn close_bracket(i: &str) -> Result<&str, nom::Err<PError<'_>>> {
    match token("]")(i) {
        Ok((rest, _)) => Ok(rest),
        Err(_) => Err(nom::Err::Failure(PError::new(
            ws(i),
            unexpected(ws(i), "']' or ':'"),
        ))),
    }
}
