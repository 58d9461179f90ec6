//! Binary operators and their modifiers: `bool`, `on`/`ignoring`,
//! `group_left`/`group_right`, and the experimental `fill` family.

use super::super::ast::*;
use super::super::error::{PResult, fail};
use super::super::lex::word;
use super::super::lex::{token, ws};
use super::super::literals::{Literal, number_or_duration};
use super::super::operators::vector_matching;
use super::Parser;

impl Parser<'_> {
    /// `bool`, `on(…)`/`ignoring(…)`, `group_left(…)`/`group_right(…)`, `fill…(v)`.
    pub(super) fn bin_modifiers<'a>(
        &self,
        i: &'a str,
        op: BinOp,
    ) -> PResult<'a, (bool, VectorMatching, Fill)> {
        let (mut i, (return_bool, matching)) = vector_matching(i, op)?;
        let mut fill = Fill::default();
        while let Some((rest, w)) = word(i) {
            let (left, right) = match w.to_ascii_lowercase().as_str() {
                "fill" => (true, true),
                "fill_left" => (true, false),
                "fill_right" => (false, true),
                _ => break,
            };
            if !ws(rest).starts_with('(') {
                break;
            }
            self.experimental(ws(i), "the fill modifier is experimental and not enabled")?;
            let (rest, _) = token("(")(rest)?;
            let at = ws(rest);
            let (negate, body) = match at.chars().next() {
                Some('-') => (true, &at[1..]),
                Some('+') => (false, &at[1..]),
                _ => (false, at),
            };
            let value = match number_or_duration(body) {
                Ok((r, Literal::Number(v))) => (r, if negate { -v } else { v }),
                _ => return fail(at, "expected a number in the fill modifier"),
            };
            let rest = match token(")")(value.0) {
                Ok((r, _)) => r,
                Err(_) => return fail(ws(value.0), "expected ')' to close the fill modifier"),
            };
            if left {
                fill.left = Some(Number(value.1));
            }
            if right {
                fill.right = Some(Number(value.1));
            }
            i = rest;
        }
        Ok((i, (return_bool, matching, fill)))
    }
}
