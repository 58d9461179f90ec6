//! Label filters: string matchers, `ip(…)`, typed comparisons with numbers, durations
//! and byte sizes, joined by `and` (also `,` or nothing) and `or`, with parentheses. `and`
//! binds tighter than `or`.

use super::super::ast::*;
use super::super::literals::{FilterLiteral, filter_literal, string_literal};
use super::{Parser, is_reserved};
use parquetry_model::{MatchOp, Matcher};
use parquetry_promql::syntax::error::{PResult, backtrack, fail};
use parquetry_promql::syntax::lex::{keyword, label_identifier, token, unexpected, ws};

/// The operators a label filter may use, longest first.
const OPERATORS: [(&str, FilterOp); 9] = [
    ("==", FilterOp::Compare(CompareOp::Eq)),
    ("=~", FilterOp::Regex(MatchOp::RegexMatch)),
    ("!~", FilterOp::Regex(MatchOp::RegexNoMatch)),
    ("!=", FilterOp::Compare(CompareOp::Neq)),
    (">=", FilterOp::Compare(CompareOp::Gte)),
    ("<=", FilterOp::Compare(CompareOp::Lte)),
    (">", FilterOp::Compare(CompareOp::Gt)),
    ("<", FilterOp::Compare(CompareOp::Lt)),
    ("=", FilterOp::Single),
];

#[derive(Clone, Copy)]
enum FilterOp {
    /// `=`: string equality, or numeric equality before a number.
    Single,
    /// `=~`, `!~`.
    Regex(MatchOp),
    /// The comparisons; `!=` is also string inequality.
    Compare(CompareOp),
}

impl Parser<'_> {
    /// A whole label filter: `and`-groups joined by `or`.
    pub(super) fn label_filter<'a>(&self, i: &'a str) -> PResult<'a, LabelFilter> {
        self.nested(ws(i), || {
            let (mut i, mut lhs) = self.label_filter_and(i)?;
            while let Some(rest) = keyword(i, "or") {
                let (rest, rhs) = self.label_filter_and(rest).map_err(definite)?;
                lhs = LabelFilter::Or(Box::new(lhs), Box::new(rhs));
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    fn label_filter_and<'a>(&self, i: &'a str) -> PResult<'a, LabelFilter> {
        let (mut i, mut lhs) = self.label_filter_atom(i)?;
        loop {
            let explicit = keyword(i, "and").or_else(|| token(",")(i).ok().map(|(rest, _)| rest));
            let (rest, rhs) = match explicit {
                Some(rest) => self.label_filter_atom(rest).map_err(definite)?,
                None => match self.label_filter_atom(i) {
                    Ok(ok) => ok,
                    Err(nom::Err::Error(_)) => return Ok((i, lhs)),
                    Err(e) => return Err(e),
                },
            };
            lhs = LabelFilter::And(Box::new(lhs), Box::new(rhs));
            i = rest;
        }
    }

    fn label_filter_atom<'a>(&self, i: &'a str) -> PResult<'a, LabelFilter> {
        let start = ws(i);
        if let Some(inner) = start.strip_prefix('(') {
            let (rest, f) = self.label_filter(inner).map_err(definite)?;
            return match token(")")(rest) {
                Ok((rest, _)) => Ok((rest, f)),
                Err(_) => fail(ws(rest), unexpected(ws(rest), "')' closing the label filter")),
            };
        }
        let Ok((after_name, name)) = label_identifier(start) else {
            return backtrack(start, unexpected(start, "a label filter"));
        };
        if is_reserved(name) {
            return backtrack(start, unexpected(start, "a label filter"));
        }
        let name = name.to_string();
        let at = ws(after_name);
        let Some((rest, op)) = OPERATORS
            .iter()
            .find_map(|(text, op)| at.strip_prefix(text).map(|rest| (rest, *op)))
        else {
            return fail(at, unexpected(at, "a comparison operator after the label name"));
        };
        let value_at = ws(rest);
        // A string: the filter matches the label's text.
        match string_literal(value_at) {
            Ok((rest, value)) => {
                let match_op = match op {
                    FilterOp::Single => MatchOp::Equal,
                    FilterOp::Regex(m) => m,
                    FilterOp::Compare(CompareOp::Neq) => MatchOp::NotEqual,
                    FilterOp::Compare(_) => {
                        return fail(at, "a string can only be compared with =, !=, =~ or !~");
                    }
                };
                return match Matcher::new(match_op, name, value) {
                    Ok(m) => Ok((rest, LabelFilter::String(m))),
                    Err(e) => fail(value_at, e.to_string()),
                };
            }
            Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
            Err(_) => {}
        }
        let compare = match op {
            FilterOp::Single => CompareOp::Eq,
            FilterOp::Compare(c) => c,
            FilterOp::Regex(_) => return fail(value_at, unexpected(value_at, "a string after =~ or !~")),
        };
        if let Some(after) = keyword(value_at, "ip").filter(|r| ws(r).starts_with('(')) {
            let negated = match (op, compare) {
                (FilterOp::Single, _) => false,
                (_, CompareOp::Neq) => true,
                _ => return fail(value_at, "ip(…) can only be compared with = or !="),
            };
            let (rest, _) = token("(")(after)?;
            let (rest, pattern) = match string_literal(rest) {
                Ok(ok) => ok,
                Err(nom::Err::Error(_)) => return fail(ws(rest), unexpected(ws(rest), "a string in ip(…)")),
                Err(e) => return Err(e),
            };
            return match token(")")(rest) {
                Ok((rest, _)) => Ok((
                    rest,
                    LabelFilter::Ip {
                        name,
                        negated,
                        pattern,
                    },
                )),
                Err(_) => fail(ws(rest), unexpected(ws(rest), "')'")),
            };
        }
        // A sign belongs to the number or duration after it.
        let (negative, unsigned) = match value_at.chars().next() {
            Some('-') => (true, &value_at[1..]),
            Some('+') => (false, &value_at[1..]),
            _ => (false, value_at),
        };
        let (rest, literal) = match filter_literal(unsigned) {
            Ok(ok) => ok,
            Err(nom::Err::Error(_)) => {
                return fail(
                    value_at,
                    unexpected(value_at, "a string, a number, a duration, a byte size or ip(…)"),
                );
            }
            Err(e) => return Err(e),
        };
        let sign = if negative { -1 } else { 1 };
        let filter = match literal {
            FilterLiteral::Number(v) => LabelFilter::Number {
                name,
                op: compare,
                value: Number(v * f64::from(sign)),
            },
            FilterLiteral::Duration(nanos) => LabelFilter::Duration {
                name,
                op: compare,
                nanos: nanos * sign as i64,
            },
            FilterLiteral::Bytes(_) if negative => return fail(value_at, "a byte size cannot be negative"),
            FilterLiteral::Bytes(bytes) => LabelFilter::Bytes {
                name,
                op: compare,
                bytes,
            },
        };
        Ok((rest, filter))
    }
}

/// A soft error becomes definite: after `and`, `,`, `or` or `(` a filter must follow.
fn definite(
    e: nom::Err<parquetry_promql::syntax::error::PError<'_>>,
) -> nom::Err<parquetry_promql::syntax::error::PError<'_>> {
    match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        e => e,
    }
}
