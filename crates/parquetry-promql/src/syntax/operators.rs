//! Grammar that PromQL and LogQL share: label lists, `by`/`without` groupings, binary
//! operators and their `bool`/`on`/`ignoring`/`group_left`/`group_right` modifiers.

use super::ast::{BinOp, Cardinality, Grouping, VectorMatching};
use super::error::{PResult, fail};
use super::lex::{keyword, label_identifier, string_literal, token, unexpected, ws};

/// `(a, "b", …)`: label names, optionally quoted, trailing comma allowed.
pub fn label_list(i: &str) -> PResult<'_, Vec<String>> {
    let (mut i, _) = match token("(")(i) {
        Ok(ok) => ok,
        Err(_) => return fail(ws(i), "expected '(' and a list of label names"),
    };
    let mut labels = Vec::new();
    loop {
        if let Ok((rest, _)) = token(")")(i) {
            return Ok((rest, labels));
        }
        let label = match string_literal(i) {
            Ok((rest, s)) => (rest, s),
            Err(nom::Err::Error(_)) => match label_identifier(i) {
                Ok((rest, s)) => (rest, s.to_string()),
                Err(_) => return fail(ws(i), unexpected(ws(i), "a label name")),
            },
            Err(e) => return Err(e),
        };
        labels.push(label.1);
        i = label.0;
        match token(",")(i) {
            Ok((rest, _)) => i = rest,
            Err(_) => {
                return match token(")")(i) {
                    Ok((rest, _)) => Ok((rest, labels)),
                    Err(_) => fail(ws(i), unexpected(ws(i), "',' or ')' in the label list")),
                };
            }
        }
    }
}

/// An optional `by (…)` or `without (…)`; `None` when neither keyword is there.
pub fn grouping(i: &str) -> PResult<'_, Option<Grouping>> {
    for (kw, by) in [("by", true), ("without", false)] {
        if let Some(rest) = keyword(i, kw) {
            let (rest, labels) = label_list(rest)?;
            let g = if by {
                Grouping::By(labels)
            } else {
                Grouping::Without(labels)
            };
            return Ok((rest, Some(g)));
        }
    }
    Ok((i, None))
}

/// The binary operator among `ops` at the start of `i` (after blanks), with the rest.
/// `ops` lists texts longest first, as [`BinOp::ALL`] does, so that prefixes do not
/// shadow longer operators; word operators must stand as whole words.
pub fn binop_among<'a>(i: &'a str, ops: &[(&'static str, BinOp)]) -> Option<(&'a str, BinOp)> {
    let i = ws(i);
    for (text, op) in ops {
        if text.as_bytes()[0].is_ascii_alphabetic() {
            if let Some(rest) = keyword(i, text) {
                return Some((rest, *op));
            }
        } else if let Some(rest) = i.strip_prefix(text) {
            return Some((rest, *op));
        }
    }
    None
}

/// A PromQL binary operator at the start of `i` (after blanks), with the rest.
pub fn binop(i: &str) -> Option<(&str, BinOp)> {
    binop_among(i, &BinOp::ALL)
}

/// What may follow a binary operator: `bool`, then `on(…)`/`ignoring(…)` optionally
/// followed by `group_left[(…)]`/`group_right[(…)]`. Returns whether `bool` was written and
/// how series pair up; a misplaced modifier is a definite error.
pub fn vector_matching(i: &str, op: BinOp) -> PResult<'_, (bool, VectorMatching)> {
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
        let Some(rest) = keyword(i, kw) else { continue };
        let (rest, labels) = label_list(rest)?;
        matching.on = on;
        matching.labels = labels;
        i = rest;
        for (gkw, card) in [
            ("group_left", Cardinality::ManyToOne),
            ("group_right", Cardinality::OneToMany),
        ] {
            let Some(rest) = keyword(i, gkw) else { continue };
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
        break;
    }
    Ok((i, (return_bool, matching)))
}
