//! The expression grammar: precedence climbing over nom-style sub-parsers. The parts
//! that follow an expression (`postfix`), durations (`duration`), calls and aggregations
//! (`calls`) and binary-operator modifiers (`binary`) live in their own files.

mod binary;
mod calls;
mod duration;
mod postfix;

use super::ast::*;
use super::error::{PError, PResult, backtrack, fail};
use super::lex::{keyword, string_literal, token, unexpected, word, ws};
use super::literals::{Literal, number_or_duration};
use super::nesting::Nesting;
use super::operators::binop;
use super::selector::{check_not_empty_matching, series_matchers};
use std::cell::Cell;

/// Which optional parts of the language are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Experimental functions and aggregations, duration arithmetic, `anchored`/`smoothed`
    /// and `fill` modifiers, as Prometheus enables with its feature flags.
    pub experimental: bool,
}

impl ParseOptions {
    /// Everything enabled, as the Prometheus test suite runs.
    pub fn all() -> ParseOptions {
        ParseOptions { experimental: true }
    }
}

pub use super::nesting::MAX_DEPTH;

/// Precedence of unary minus and plus: that of `*`, so `-a * b` is `(-a) * b` while
/// `-a ^ b` is `-(a ^ b)`, as in Prometheus.
const UNARY_PRECEDENCE: u8 = 6;

pub(crate) struct Parser<'s> {
    src: &'s str,
    opts: ParseOptions,
    nesting: Nesting,
    /// Set while parsing the second argument of `info`, whose selector may consist of
    /// empty-matching matchers only.
    allow_empty_selector: Cell<bool>,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str, opts: ParseOptions) -> Self {
        Parser {
            src,
            opts,
            nesting: Nesting::default(),
            allow_empty_selector: Cell::new(false),
        }
    }

    fn pos(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    fn span(&self, start: &str, end: &str) -> Span {
        Span::new(self.pos(ws(start)), self.pos(end))
    }

    /// Accepts an experimental construct when experimental syntax is enabled; refuses
    /// it with `message` (Prometheus' words where Prometheus has the construct) otherwise.
    fn experimental<'a>(&self, at: &'a str, message: &str) -> PResult<'a, ()> {
        if self.opts.experimental {
            Ok((at, ()))
        } else {
            fail(at, message.to_string())
        }
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
            return fail(rest, unexpected(rest, "an operator or the end of the query"));
        }
        Ok((rest, e))
    }

    /// An expression whose binary operators all bind at least as tight as `min_prec`.
    pub(crate) fn expr<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, Expr> {
        self.nested(i, || {
            let start = i;
            let (mut i, mut lhs) = self.unary(i)?;
            // Each operator in a chain deepens the tree by one level.
            let mut links = 0;
            while let Some((after_op, op)) = binop(i) {
                if op.precedence() < min_prec {
                    break;
                }
                links += 1;
                if self.nesting.depth() + links > MAX_DEPTH {
                    return fail(
                        ws(i),
                        format!("expression nested more than {MAX_DEPTH} levels deep"),
                    );
                }
                let (after_mods, (return_bool, matching, fill)) = self.bin_modifiers(after_op, op)?;
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
                    fill,
                    span: self.span(start, rest),
                });
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    /// `-x`, `+x`, or a postfix expression. A sign directly on a number literal folds into
    /// it, as Prometheus does.
    fn unary<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let start = ws(i);
        let negate = match start.chars().next() {
            Some('-') => true,
            Some('+') => false,
            _ => return self.postfix(start),
        };
        let after = &start[1..];
        let (rest, operand) = self
            .expr(after, UNARY_PRECEDENCE)
            .map_err(|e| expect_operand(e, after))?;
        let span = self.span(start, rest);
        Ok((
            rest,
            match operand {
                Expr::Number { value, duration, .. } => Expr::Number {
                    value: Number(if negate { -value.0 } else { value.0 }),
                    duration,
                    span,
                },
                other => Expr::Unary {
                    negate,
                    expr: Box::new(other),
                    span,
                },
            },
        ))
    }

    /// Literals, parenthesised expressions, aggregations, calls and selectors.
    fn primary<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let start = ws(i);
        let Some(first) = start.chars().next() else {
            return backtrack(start, "expected an expression, found the end of the query");
        };
        if first == '"' || first == '\'' || first == '`' {
            let (rest, value) = string_literal(start)?;
            return Ok((
                rest,
                Expr::String {
                    value,
                    span: self.span(start, rest),
                },
            ));
        }
        if first == '(' {
            let (rest, inner) = self
                .expr(&start[1..], 0)
                .map_err(|e| expect_operand(e, &start[1..]))?;
            let rest = match token(")")(rest) {
                Ok((r, _)) => r,
                Err(_) => return fail(ws(rest), unexpected(ws(rest), "')'")),
            };
            return Ok((
                rest,
                Expr::Paren {
                    expr: Box::new(inner),
                    span: self.span(start, rest),
                },
            ));
        }
        match number_or_duration(start) {
            Ok((rest, lit)) => {
                let (value, duration) = match lit {
                    Literal::Number(v) => (v, false),
                    Literal::Duration(ms) => (ms as f64 / 1000.0, true),
                };
                return Ok((
                    rest,
                    Expr::Number {
                        value: Number(value),
                        duration,
                        span: self.span(start, rest),
                    },
                ));
            }
            Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
            Err(_) => {}
        }
        if let Some((after, w)) = word(start) {
            let next = ws(after);
            if let Some(op) = AggOp::from_name(w)
                && (next.starts_with('(')
                    || keyword(next, "by").is_some()
                    || keyword(next, "without").is_some())
            {
                return self.aggregation(start, after, op);
            }
            if next.starts_with('(') {
                return self.call(start, w, next);
            }
        }
        if first == '{' || first.is_ascii_alphabetic() || first == '_' || first == ':' {
            let (rest, sel) = series_matchers(start)?;
            if !self.allow_empty_selector.replace(false) {
                check_not_empty_matching(start, &sel)?;
            }
            return Ok((
                rest,
                Expr::VectorSelector(VectorSelector {
                    name: sel.name,
                    matchers: sel.matchers,
                    modifiers: TimeModifiers::default(),
                    mode: RangeMode::Default,
                    span: self.span(start, rest),
                }),
            ));
        }
        backtrack(start, unexpected(start, "an expression"))
    }
}

/// Turns a soft "no expression here" error into a definite one at `at`.
fn expect_operand<'a>(e: nom::Err<PError<'a>>, at: &'a str) -> nom::Err<PError<'a>> {
    match e {
        nom::Err::Error(_) => nom::Err::Failure(PError::new(ws(at), unexpected(ws(at), "an expression"))),
        e => e,
    }
}
