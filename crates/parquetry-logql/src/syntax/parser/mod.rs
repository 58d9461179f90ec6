//! The expression grammar: precedence climbing over operands. Log selectors and their
//! pipelines (`pipeline`), label filters (`label_filter`), and the functions over ranges
//! and series (`metric`) live in their own files.

mod label_filter;
mod metric;
mod pipeline;

use super::ast::*;
use super::literals::number;
use parquetry_model::{MatchOp, Matcher};
use parquetry_promql::syntax::error::{PError, PResult, backtrack, fail};
use parquetry_promql::syntax::lex::{token, unexpected, word, ws};
use parquetry_promql::syntax::nesting::Nesting;
use parquetry_promql::syntax::operators::{binop_among, vector_matching};
use parquetry_promql::syntax::selector::series_matchers;
use std::sync::LazyLock;

pub use parquetry_promql::syntax::nesting::MAX_DEPTH;

/// LogQL's binary operators: PromQL's without `atan2` and the histogram trims, longest
/// texts first.
static BINARY_OPERATORS: LazyLock<Vec<(&str, BinOp)>> = LazyLock::new(|| {
    BinOp::ALL
        .into_iter()
        .filter(|(_, op)| !matches!(op, BinOp::Atan2 | BinOp::TrimUpper | BinOp::TrimLower))
        .collect()
});

/// The keywords that join expressions and label filters.
const KEYWORDS: [&str; 11] = [
    "by",
    "without",
    "bool",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "or",
    "and",
    "unless",
];

/// The names of the pipeline stages written after `|`.
const STAGES: [&str; 11] = [
    "json",
    "logfmt",
    "regexp",
    "pattern",
    "unpack",
    "line_format",
    "label_format",
    "decolorize",
    "drop",
    "keep",
    "unwrap",
];

/// True when `name` is a reserved word (any case): a keyword or a stage name, which
/// cannot name a label in a label filter.
pub(crate) fn is_reserved(name: &str) -> bool {
    KEYWORDS
        .iter()
        .chain(&STAGES)
        .any(|r| r.eq_ignore_ascii_case(name))
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    nesting: Nesting,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Parser {
            src,
            nesting: Nesting::default(),
        }
    }

    fn pos(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    fn span(&self, start: &str, end: &str) -> Span {
        Span::new(self.pos(ws(start)), self.pos(end))
    }

    /// Runs `f` one nesting level deeper, refusing input nested beyond [`MAX_DEPTH`].
    fn nested<'a, T>(&self, at: &'a str, f: impl FnOnce() -> PResult<'a, T>) -> PResult<'a, T> {
        self.nesting.nested(at, f)
    }

    /// A whole query: one expression and nothing after it.
    pub(crate) fn query(&self) -> PResult<'s, Expr> {
        let (rest, e) = self.expr(self.src, 0)?;
        let rest = ws(rest);
        if !rest.is_empty() {
            let expected = if rest.starts_with('[') {
                "an operator or the end of the query (a range [d] belongs inside a range aggregation such as count_over_time(…))"
            } else {
                "an operator or the end of the query"
            };
            return fail(rest, unexpected(rest, expected));
        }
        Ok((rest, e))
    }

    /// A whole query that is a bare stream selector.
    pub(crate) fn selector_only(&self) -> PResult<'s, Vec<Matcher>> {
        let (rest, matchers) = self.selector(self.src)?;
        let rest = ws(rest);
        if !rest.is_empty() {
            return fail(rest, unexpected(rest, "the end of the stream selector"));
        }
        Ok((rest, matchers))
    }

    /// An expression whose binary operators bind at least as tightly as `min_prec`.
    fn expr<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, Expr> {
        self.nested(ws(i), || {
            let start = i;
            let (mut i, mut lhs) = self.operand(i)?;
            while let Some((after_op, op)) = binop_among(i, &BINARY_OPERATORS) {
                if op.precedence() < min_prec {
                    break;
                }
                let (after_mods, (return_bool, matching)) = vector_matching(after_op, op)?;
                let next_min = op.right_operand_precedence();
                let (rest, rhs) = self
                    .expr(after_mods, next_min)
                    .map_err(|e| expect_operand(e, after_mods))?;
                lhs = Expr::Binary(BinaryExpr {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                    return_bool,
                    matching,
                    span: self.span(start, rest),
                });
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    /// One operand: a parenthesised expression, a log query, a number, or a function.
    fn operand<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let start = ws(i);
        match start.chars().next() {
            Some('(') => {
                let (rest, inner) = self
                    .expr(&start[1..], 0)
                    .map_err(|e| expect_operand(e, &start[1..]))?;
                match token(")")(rest) {
                    Ok((rest, _)) => Ok((rest, inner)),
                    Err(_) => fail(ws(rest), unexpected(ws(rest), "')'")),
                }
            }
            Some('{') => {
                let (rest, log) = self.log_expr(start)?;
                Ok((rest, Expr::Log(log)))
            }
            Some('+' | '-') => {
                let negative = start.starts_with('-');
                let (rest, v) = match number(&start[1..]) {
                    Ok(ok) => ok,
                    Err(nom::Err::Error(_)) => {
                        return fail(
                            ws(&start[1..]),
                            unexpected(ws(&start[1..]), "a number after the sign"),
                        );
                    }
                    Err(e) => return Err(e),
                };
                let v = if negative { -v } else { v };
                Ok((rest, Expr::Literal(Number(v), self.span(start, rest))))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let (rest, v) = number(start)?;
                Ok((rest, Expr::Literal(Number(v), self.span(start, rest))))
            }
            _ => match word(start) {
                Some((after, name)) => self.function(start, name, after),
                None => backtrack(start, unexpected(start, "an expression")),
            },
        }
    }

    /// A selector and its pipeline; `unwrap` is refused here, outside range aggregations.
    fn log_expr<'a>(&self, i: &'a str) -> PResult<'a, LogExpr> {
        let start = ws(i);
        let (rest, matchers) = self.selector(start)?;
        let (rest, (pipeline, unwrap)) = self.pipeline(rest, false)?;
        debug_assert!(unwrap.is_none());
        Ok((
            rest,
            LogExpr {
                matchers,
                pipeline,
                span: self.span(start, rest),
            },
        ))
    }

    /// `{label op "value", …}` with at least one `=` or `=~` matcher that does not match
    /// the empty string, as Loki requires.
    fn selector<'a>(&self, i: &'a str) -> PResult<'a, Vec<Matcher>> {
        let start = ws(i);
        if !start.starts_with('{') {
            return backtrack(start, unexpected(start, "a stream selector '{…}'"));
        }
        let (rest, sel) = series_matchers(start)?;
        let written = &start[..start.len() - rest.len()];
        let replaced = |s: &str| s.contains('\u{fffd}') && !written.contains('\u{fffd}');
        if sel
            .matchers
            .iter()
            .any(|m| replaced(&m.name) || replaced(&m.value))
        {
            return fail(start, "invalid UTF-8 encoding in a string");
        }
        if sel.name.is_some() {
            return fail(start, "a stream selector holds label matchers only, not a name");
        }
        if sel.matchers.is_empty() {
            return fail(start, "a stream selector needs at least one label matcher");
        }
        let selective = sel
            .matchers
            .iter()
            .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::RegexMatch) && !m.matches_empty());
        if !selective {
            return fail(
                start,
                "queries require at least one regexp or equality matcher that does not have an empty-compatible value, such as app=\"api\" or app=~\".+\"",
            );
        }
        Ok((rest, sel.matchers))
    }
}

/// Turns a soft "no expression here" error into a definite one at `at`.
fn expect_operand<'a>(e: nom::Err<PError<'a>>, at: &'a str) -> nom::Err<PError<'a>> {
    match e {
        nom::Err::Error(_) => nom::Err::Failure(PError::new(ws(at), unexpected(ws(at), "an expression"))),
        e => e,
    }
}
