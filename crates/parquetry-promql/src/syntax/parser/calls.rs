//! Function calls and aggregations, with their argument and grouping lists.

use super::super::ast::*;
use super::super::error::{PResult, fail};
use super::super::functions;
use super::super::lex::{token, unexpected, ws};
use super::super::operators;
use super::{Parser, expect_operand};

impl Parser<'_> {
    pub(super) fn call<'a>(&self, start: &'a str, name: &str, open: &'a str) -> PResult<'a, Expr> {
        let Some(func) = functions::lookup(name) else {
            return fail(start, format!("unknown function with name {name:?}"));
        };
        if func.experimental {
            self.experimental(start, &format!("function {name:?} is not enabled"))?;
        }
        let (rest, args) = self.arguments(open, func.name == "info")?;
        if let Err(msg) = func.check_arity(args.len()) {
            return fail(start, msg);
        }
        Ok((
            rest,
            Expr::Call(Call {
                func,
                args,
                span: self.span(start, rest),
            }),
        ))
    }

    /// `(a, b, …)`; the cursor is on `(`. With `info_selector`, a selector given as the
    /// second argument may match the empty string with every matcher, as `info` allows.
    pub(super) fn arguments<'a>(&self, open: &'a str, info_selector: bool) -> PResult<'a, Vec<Expr>> {
        let (mut i, _) = token("(")(open)?;
        let mut args = Vec::new();
        if let Ok((rest, _)) = token(")")(i) {
            return Ok((rest, args));
        }
        loop {
            self.allow_empty_selector.set(info_selector && args.len() == 1);
            let parsed = self.expr(i, 0).map_err(|e| expect_operand(e, i));
            self.allow_empty_selector.set(false);
            let (rest, arg) = parsed?;
            args.push(arg);
            if let Ok((rest, _)) = token(",")(rest) {
                if token(")")(rest).is_ok() {
                    return fail(ws(rest), "trailing commas not allowed in function call args");
                }
                i = rest;
                continue;
            }
            return match token(")")(rest) {
                Ok((rest, _)) => Ok((rest, args)),
                Err(_) => fail(ws(rest), unexpected(ws(rest), "',' or ')' in the argument list")),
            };
        }
    }

    pub(super) fn aggregation<'a>(
        &self,
        start: &'a str,
        after_name: &'a str,
        op: AggOp,
    ) -> PResult<'a, Expr> {
        if op.experimental() {
            self.experimental(
                start,
                &format!(
                    "{}() is experimental and must be enabled with --enable-feature=promql-experimental-functions",
                    op.as_str()
                ),
            )?;
        }
        let (mut i, mut grouping) = match operators::grouping(after_name)? {
            (rest, Some(g)) => (rest, Some(g)),
            (_, None) => (after_name, None),
        };
        if !ws(i).starts_with('(') {
            return fail(ws(i), format!("expected '(' after aggregation {:?}", op.as_str()));
        }
        let (rest, mut args) = self.arguments(i, false)?;
        i = rest;
        if grouping.is_none() {
            let (rest, g) = operators::grouping(i)?;
            if g.is_some() {
                i = rest;
                grouping = g;
            }
        }
        let expected = if op.param_type().is_some() { 2 } else { 1 };
        if args.len() != expected {
            return fail(
                start,
                format!(
                    "wrong number of arguments for aggregate expression provided, expected {expected}, got {}",
                    args.len()
                ),
            );
        }
        let expr = Box::new(args.pop().expect("one argument at least"));
        let param = args.pop().map(Box::new);
        Ok((
            i,
            Expr::Aggregate(AggregateExpr {
                op,
                param,
                expr,
                grouping: grouping.unwrap_or_default(),
                span: self.span(start, i),
            }),
        ))
    }
}
