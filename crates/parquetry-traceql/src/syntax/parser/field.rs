//! Field expressions, inside `{ … }` and in `by`, `select` and the metrics functions:
//! literals, attributes, intrinsics, and the operators between them.

use super::super::ast::*;
use super::Parser;
use parquetry_model::go_duration::parse_duration_nanos;
use parquetry_promql::syntax::error::{PResult, backtrack, fail};
use parquetry_promql::syntax::lex::{string_literal, unexpected, ws};
use parquetry_spans::{SpanKind, StatusCode};

/// True for the characters of an attribute name written without quotes.
pub(crate) fn is_attribute_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':' | '@' | '$')
}

/// The binary operator at the start of `i` (after blanks), with the rest.
pub(super) fn binary_op(i: &str) -> Option<(&str, BinaryOp)> {
    let i = ws(i);
    BinaryOp::ALL
        .iter()
        .find(|(t, _)| i.starts_with(t))
        .map(|(t, op)| (&i[t.len()..], *op))
}

/// The keywords that are literals, with their values.
fn keyword_static(word: &str) -> Option<Static> {
    Some(match word {
        "true" => Static::Bool(true),
        "false" => Static::Bool(false),
        "nil" => Static::Nil,
        _ => {
            if let Some(s) = StatusCode::ALL.into_iter().find(|s| s.name() == word) {
                Static::Status(s)
            } else {
                Static::Kind(SpanKind::ALL.into_iter().find(|k| k.name() == word)?)
            }
        }
    })
}

/// A number or a duration literal at the start of `i` (no sign, no blanks before it).
pub(super) fn numeric_literal(i: &str) -> PResult<'_, Static> {
    let starts = i.chars().next().is_some_and(|c| c.is_ascii_digit())
        || (i.starts_with('.') && i[1..].chars().next().is_some_and(|c| c.is_ascii_digit()));
    if !starts {
        return backtrack(i, "expected a number");
    }
    let len = i
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | 'µ' | 'μ')))
        .unwrap_or(i.len());
    let (text, rest) = i.split_at(len);
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(n) => Ok((rest, Static::Int(n))),
            Err(_) => fail(i, format!("integer {text} is out of range")),
        };
    }
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E'));
    if plain && let Ok(v) = text.parse::<f64>() {
        return Ok((rest, Static::Float(v)));
    }
    match parse_duration_nanos(text) {
        Ok(n) => Ok((rest, Static::Duration(n))),
        Err(e) => fail(i, format!("{e}: not a number or a duration (250ms, 1.5s, 1h)")),
    }
}

impl Parser<'_> {
    /// Field operands joined by operators binding at least as tightly as `min_prec`.
    pub(super) fn field<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, FieldExpr> {
        self.nested(ws(i), || {
            let (mut i, mut lhs) = self.field_operand(i)?;
            while let Some((after, op)) = binary_op(i) {
                if op.precedence() < min_prec {
                    break;
                }
                let next = if op.right_associative() {
                    op.precedence()
                } else {
                    op.precedence() + 1
                };
                let (rest, rhs) = self.field(after, next)?;
                if op.is_comparison()
                    && let FieldExpr::Binary(_, inner, _) = &lhs
                    && inner.is_comparison()
                {
                    return fail(
                        ws(after),
                        "comparisons cannot be chained; join them with && or ||",
                    );
                }
                lhs = FieldExpr::Binary(Box::new(lhs), op, Box::new(rhs));
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    /// One operand: parentheses, `!`, `-`, a literal, an attribute or an intrinsic.
    fn field_operand<'a>(&self, i: &'a str) -> PResult<'a, FieldExpr> {
        let i = ws(i);
        if let Some(body) = i.strip_prefix('(') {
            let (rest, e) = self.field(body, 0)?;
            let rest = ws(rest);
            return match rest.strip_prefix(')') {
                Some(rest) => Ok((rest, e)),
                None => fail(rest, unexpected(rest, "an operator or ')'")),
            };
        }
        if let Some(body) = i.strip_prefix('!')
            && !body.starts_with('=')
            && !body.starts_with('~')
        {
            let (rest, e) = self.nested(body, || self.field_operand(body))?;
            return Ok((rest, FieldExpr::Not(Box::new(e))));
        }
        if let Some(body) = i.strip_prefix('-') {
            if let Some(rest) = body.strip_prefix("9223372036854775808")
                && !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.')
            {
                return Ok((rest, FieldExpr::Static(Static::Int(i64::MIN))));
            }
            if let Ok((rest, s)) = numeric_literal(body) {
                return Ok((rest, FieldExpr::Static(negate(s))));
            }
            let (rest, e) = self.nested(body, || self.field_operand(body))?;
            return Ok((rest, FieldExpr::Negate(Box::new(e))));
        }
        if i.starts_with(['"', '`', '\'']) {
            let (rest, s) = string_literal(i)?;
            return Ok((rest, FieldExpr::Static(Static::String(s))));
        }
        if let Some(body) = i.strip_prefix('.')
            && !body.starts_with(|c: char| c.is_ascii_digit())
        {
            let (rest, name) = attribute_name(body)?;
            return Ok((rest, attribute(AttributeScope::Any, name)));
        }
        match numeric_literal(i) {
            Ok((rest, s)) => return Ok((rest, FieldExpr::Static(s))),
            Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
            Err(_) => {}
        }
        let len = i
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(i.len());
        let (word, rest) = i.split_at(len);
        if word.is_empty() {
            return fail(i, unexpected(i, "a value, an attribute or an intrinsic"));
        }
        if let Some(after_dot) = rest.strip_prefix('.')
            && let Some((_, scope)) = AttributeScope::NAMED.iter().find(|(p, _)| *p == word)
        {
            let (rest, name) = attribute_name(after_dot)?;
            return Ok((rest, attribute(*scope, name)));
        }
        if let Some((_, intrinsic)) = Intrinsic::SPELLINGS.iter().find(|(t, _)| *t == word) {
            return Ok((rest, FieldExpr::Intrinsic(*intrinsic)));
        }
        if let Some(s) = keyword_static(word) {
            return Ok((rest, FieldExpr::Static(s)));
        }
        fail(
            i,
            format!(
                "unknown intrinsic {word:?}: attributes are written span.{word}, resource.{word} or .{word}"
            ),
        )
    }
}

/// `-x` of a numeric literal, as a literal.
fn negate(s: Static) -> Static {
    match s {
        Static::Int(n) => Static::Int(n.wrapping_neg()),
        Static::Float(v) => Static::Float(-v),
        Static::Duration(n) => Static::Duration(-n),
        other => other,
    }
}

fn attribute(scope: AttributeScope, name: String) -> FieldExpr {
    FieldExpr::Attribute(Attribute { scope, name })
}

/// An attribute name after its scope's dot: a quoted string or a run of name characters.
fn attribute_name(i: &str) -> PResult<'_, String> {
    if i.starts_with('"') {
        let (rest, name) = string_literal(i)?;
        if name.is_empty() {
            return fail(i, "an attribute name cannot be empty");
        }
        return Ok((rest, name));
    }
    let len = i.find(|c: char| !is_attribute_char(c)).unwrap_or(i.len());
    if len == 0 {
        return fail(i, "expected an attribute name after the scope's '.'");
    }
    Ok((&i[len..], i[..len].to_string()))
}
