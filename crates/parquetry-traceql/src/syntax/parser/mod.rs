//! The grammar: spanset expressions by precedence climbing (`||` loosest, then `&&`,
//! then the structural operators), pipelines after `|`, and the metrics function that
//! may end a query. Field expressions inside `{ … }` are in `field`, the stages in
//! `stage`.

mod field;
pub(crate) use field::is_attribute_char as field_is_attribute_char;
mod stage;

use super::ast::*;
use parquetry_promql::syntax::error::{PResult, fail};
use parquetry_promql::syntax::lex::{token, unexpected, ws};
use parquetry_promql::syntax::nesting::Nesting;

pub use parquetry_promql::syntax::nesting::MAX_DEPTH;

/// The operators between spansets as written, longest texts first.
const SPANSET_OPERATORS: [(&str, SpansetOp); 17] = {
    use Relation::*;
    use SpansetOp::{And, Or, Structural as S};
    use StructuralForm::{Not, Right, Union};
    [
        ("&&", And),
        ("||", Or),
        ("!>>", S(Descendant, Not)),
        ("!<<", S(Ancestor, Not)),
        ("&>>", S(Descendant, Union)),
        ("&<<", S(Ancestor, Union)),
        ("!>", S(Child, Not)),
        ("!<", S(Parent, Not)),
        ("!~", S(Sibling, Not)),
        ("&>", S(Child, Union)),
        ("&<", S(Parent, Union)),
        ("&~", S(Sibling, Union)),
        (">>", S(Descendant, Right)),
        ("<<", S(Ancestor, Right)),
        (">", S(Child, Right)),
        ("<", S(Parent, Right)),
        ("~", S(Sibling, Right)),
    ]
};

impl SpansetOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        SPANSET_OPERATORS
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("", |(t, _)| t)
    }

    /// How tightly it binds: `||` loosest, then `&&`, then the structural operators.
    pub fn precedence(self) -> u8 {
        match self {
            SpansetOp::Or => 1,
            SpansetOp::And => 2,
            SpansetOp::Structural(..) => 3,
        }
    }
}

/// The spanset operator at the start of `i` (after blanks), with the rest.
fn spanset_op(i: &str) -> Option<(&str, SpansetOp)> {
    let i = ws(i);
    SPANSET_OPERATORS
        .iter()
        .find(|(t, _)| i.starts_with(t))
        .map(|(t, op)| (&i[t.len()..], *op))
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

    /// Runs `f` one nesting level deeper, refusing input nested beyond [`MAX_DEPTH`].
    fn nested<'a, T>(&self, at: &'a str, f: impl FnOnce() -> PResult<'a, T>) -> PResult<'a, T> {
        self.nesting.nested(at, f)
    }

    /// A whole query: spansets, their pipeline, an optional metrics function, and
    /// nothing after.
    pub(crate) fn query(&self) -> PResult<'s, Query> {
        let (rest, (spansets, metrics)) = self.pipeline(self.src, true)?;
        let (rest, hints) = self.hints(rest)?;
        let rest = ws(rest);
        if !rest.is_empty() {
            let expected = if hints.is_empty() {
                "an operator, '|', 'with (' or the end of the query"
            } else {
                "the end of the query"
            };
            return fail(rest, unexpected(rest, expected));
        }
        Ok((
            rest,
            Query {
                spansets,
                metrics,
                hints,
            },
        ))
    }

    /// `with (name = value, …)` at the start of `i`, if it is there.
    fn hints<'a>(&self, i: &'a str) -> PResult<'a, Vec<Hint>> {
        let Some(after) = ws(i).strip_prefix("with").filter(|a| ws(a).starts_with('(')) else {
            return Ok((i, Vec::new()));
        };
        let mut i = &ws(after)[1..];
        let mut hints = Vec::new();
        loop {
            let at = ws(i);
            let len = at
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(at.len());
            let (name, rest) = at.split_at(len);
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return fail(at, unexpected(at, "a hint's name"));
            }
            let rest = ws(rest);
            let Some(rest) = rest.strip_prefix('=') else {
                return fail(rest, unexpected(rest, "'=' after the hint's name"));
            };
            let value_at = ws(rest);
            let (rest, value) = self.field(value_at, u8::MAX)?;
            let FieldExpr::Static(value) = value else {
                return fail(value_at, "a hint's value must be a literal");
            };
            hints.push(Hint {
                name: name.to_string(),
                value,
            });
            let rest = ws(rest);
            if let Some(rest) = rest.strip_prefix(',') {
                i = rest;
            } else if let Some(rest) = rest.strip_prefix(')') {
                return Ok((rest, hints));
            } else {
                return fail(rest, unexpected(rest, "',' or ')'"));
            }
        }
    }

    /// A spanset expression and the stages after it; at the top level (`top`), a
    /// metrics function may end it.
    fn pipeline<'a>(&self, i: &'a str, top: bool) -> PResult<'a, (SpansetExpr, Option<MetricsStage>)> {
        let (mut i, first) = self.spansets(i, 0)?;
        let mut stages = Vec::new();
        let mut metrics = None;
        while let Ok((after, _)) = token("|")(i) {
            if ws(after).starts_with('|') {
                break;
            }
            if let Some(parsed) = self.metrics(after) {
                let (rest, m) = parsed?;
                if !top {
                    return fail(
                        ws(after),
                        "a metrics function must end the query, outside parentheses",
                    );
                }
                metrics = Some(m);
                i = rest;
                break;
            }
            let (rest, stage) = self.stage(after)?;
            stages.push(stage);
            i = rest;
        }
        let expr = if stages.is_empty() {
            first
        } else {
            SpansetExpr::Pipeline(Box::new(first), stages)
        };
        Ok((i, (expr, metrics)))
    }

    /// Spanset operands joined by operators binding at least as tightly as `min_prec`.
    fn spansets<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, SpansetExpr> {
        self.nested(ws(i), || {
            let (mut i, mut lhs) = self.spanset_operand(i)?;
            while let Some((after, op)) = spanset_op(i) {
                if op.precedence() < min_prec {
                    break;
                }
                let (rest, rhs) = self.spansets(after, op.precedence() + 1)?;
                lhs = SpansetExpr::Binary(Box::new(lhs), op, Box::new(rhs));
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    /// `{ condition }`, or a parenthesized pipeline.
    fn spanset_operand<'a>(&self, i: &'a str) -> PResult<'a, SpansetExpr> {
        let i = ws(i);
        if let Some(body) = i.strip_prefix('(') {
            let (rest, (expr, _)) = self.pipeline(body, false)?;
            return match token(")")(rest) {
                Ok((rest, _)) => Ok((rest, expr)),
                Err(_) => fail(ws(rest), unexpected(ws(rest), "')'")),
            };
        }
        if i.starts_with('{') {
            let (rest, condition) = self.braces(i)?;
            return Ok((rest, SpansetExpr::Filter(condition)));
        }
        fail(i, unexpected(i, "a span selector '{ … }' or '('"))
    }

    /// `{ condition }` or `{}` (every span), its condition.
    fn braces<'a>(&self, i: &'a str) -> PResult<'a, FieldExpr> {
        let Some(body) = ws(i).strip_prefix('{') else {
            return fail(ws(i), unexpected(ws(i), "'{'"));
        };
        if let Ok((rest, _)) = token("}")(body) {
            return Ok((rest, FieldExpr::Static(Static::Bool(true))));
        }
        let (rest, condition) = self.field(body, 0)?;
        match token("}")(rest) {
            Ok((rest, _)) => Ok((rest, condition)),
            Err(_) => fail(ws(rest), unexpected(ws(rest), "an operator or '}'")),
        }
    }
}
