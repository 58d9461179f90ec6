//! Binary operators and their modifiers: `bool`, `on`/`ignoring`,
//! `group_left`/`group_right`, and the experimental `fill` family.

use super::super::ast::*;
use super::super::error::{PResult, fail};
use super::super::lex::{token, ws};
use super::super::literals::{Literal, number_or_duration};
use super::calls::label_list;
use super::{Parser, keyword, word};

impl Parser<'_> {
    /// `bool`, `on(…)`/`ignoring(…)`, `group_left(…)`/`group_right(…)`, `fill…(v)`.
    pub(super) fn bin_modifiers<'a>(
        &self,
        i: &'a str,
        op: BinOp,
    ) -> PResult<'a, (bool, VectorMatching, Fill)> {
        let mut i = i;
        let mut return_bool = false;
        if let Some(rest) = keyword(i, "bool") {
            if !op.is_comparison() {
                return fail(ws(i), "bool modifier can only be used on comparison operators");
            }
            return_bool = true;
            i = rest;
        }
        let mut matching = VectorMatching {
            card: if op.is_set_operator() {
                Cardinality::ManyToMany
            } else {
                Cardinality::OneToOne
            },
            ..VectorMatching::default()
        };
        for (kw, on) in [("on", true), ("ignoring", false)] {
            if let Some(rest) = keyword(i, kw) {
                let (rest, labels) = label_list(rest)?;
                matching.on = on;
                matching.labels = labels;
                i = rest;
                for (gkw, card) in [
                    ("group_left", Cardinality::ManyToOne),
                    ("group_right", Cardinality::OneToMany),
                ] {
                    if let Some(rest) = keyword(i, gkw) {
                        if op.is_set_operator() {
                            return fail(
                                ws(i),
                                format!("no grouping allowed for {:?} operation", op.as_str()),
                            );
                        }
                        let (rest, include) = if ws(rest).starts_with('(') {
                            label_list(rest)?
                        } else {
                            (rest, Vec::new())
                        };
                        if let Some(l) = include
                            .iter()
                            .find(|l| matching.on && matching.labels.contains(l))
                        {
                            return fail(
                                ws(i),
                                format!("label {l:?} must not occur in ON and GROUP clause at once"),
                            );
                        }
                        matching.card = card;
                        matching.include = include;
                        i = rest;
                        break;
                    }
                }
                break;
            }
        }
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
            self.experimental(ws(i), "the fill modifier")?;
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

/// A binary operator at the start of `i` (after blanks).
pub(super) fn binop(i: &str) -> Option<(&str, BinOp)> {
    let i = ws(i);
    for (text, op) in BinOp::ALL {
        if text.as_bytes()[0].is_ascii_alphabetic() {
            if let Some(rest) = keyword(i, text) {
                return Some((rest, op));
            }
        } else if let Some(rest) = i.strip_prefix(text) {
            return Some((rest, op));
        }
    }
    None
}
