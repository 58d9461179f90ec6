//! The expression grammar: precedence climbing over nom-style sub-parsers.

use super::ast::*;
use super::error::{PError, PResult, backtrack, fail};
use super::functions;
use super::lex::{is_ident_char, label_identifier, string_literal, token, ws};
use super::literals::{Literal, number_or_duration};
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

/// Deepest tree accepted (parentheses, calls and chains of binary operators all count);
/// deeper input is refused with an error, so that checking, printing and dropping a tree
/// stay well within any thread's stack.
pub const MAX_DEPTH: usize = 1000;

/// Stack that must remain before descending one more level; below it, recursion continues
/// on a fresh heap-allocated stack segment, so nesting never overflows the thread's stack.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Precedence of unary minus and plus: that of `*`, so `-a * b` is `(-a) * b` while
/// `-a ^ b` is `-(a ^ b)`, as in Prometheus.
const UNARY_PRECEDENCE: u8 = 6;

pub(crate) struct Parser<'s> {
    src: &'s str,
    opts: ParseOptions,
    depth: Cell<usize>,
}

/// Lower-cased identifier word at the start of `i` (after blanks), with the rest.
fn word(i: &str) -> Option<(&str, &str)> {
    let i = ws(i);
    let first = i.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_' || first == ':') {
        return None;
    }
    let n = i.find(|c: char| !is_ident_char(c)).unwrap_or(i.len());
    Some((&i[n..], &i[..n]))
}

/// The keyword `kw` (any case) as a whole word.
fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    word(i)
        .filter(|(_, w)| w.eq_ignore_ascii_case(kw))
        .map(|(rest, _)| rest)
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str, opts: ParseOptions) -> Self {
        Parser {
            src,
            opts,
            depth: Cell::new(0),
        }
    }

    fn pos(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    fn span(&self, start: &str, end: &str) -> Span {
        Span::new(self.pos(ws(start)), self.pos(end))
    }

    fn experimental<'a>(&self, at: &'a str, what: &str) -> PResult<'a, ()> {
        if self.opts.experimental {
            Ok((at, ()))
        } else {
            fail(at, format!("{what} is experimental and not enabled"))
        }
    }

    /// Runs `f` one nesting level deeper, refusing input nested beyond [`MAX_DEPTH`].
    fn nested<'a, T>(&self, at: &'a str, f: impl FnOnce() -> PResult<'a, T>) -> PResult<'a, T> {
        let d = self.depth.get() + 1;
        if d > MAX_DEPTH {
            return fail(at, format!("expression nested more than {MAX_DEPTH} levels deep"));
        }
        self.depth.set(d);
        let r = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, f);
        self.depth.set(d - 1);
        r
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
                if self.depth.get() + links > MAX_DEPTH {
                    return fail(
                        ws(i),
                        format!("expression nested more than {MAX_DEPTH} levels deep"),
                    );
                }
                let (after_mods, (return_bool, matching, fill)) = self.bin_modifiers(after_op, op)?;
                let next_min = if op.right_associative() {
                    op.precedence()
                } else {
                    op.precedence() + 1
                };
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

    /// A primary expression followed by ranges, subqueries and modifiers.
    fn postfix<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
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
                self.experimental(at, "the anchored/smoothed modifier")?;
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
    fn range_or_subquery<'a>(&self, start: &'a str, at: &'a str, e: Expr) -> PResult<'a, Expr> {
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

    fn with_modifier<'a>(
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
    fn at_time<'a>(&self, i: &'a str) -> PResult<'a, At> {
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

    /// The duration after `offset`: an optionally signed literal, parenthesised
    /// expression, `step()`, `range()`, `min_of(…)` or `max_of(…)` — no bare arithmetic,
    /// so `x offset 5m * 2` multiplies the offset selector.
    fn offset_duration<'a>(&self, i: &'a str) -> PResult<'a, DurationExpr> {
        let start = ws(i);
        match start.chars().next() {
            Some(c @ ('-' | '+')) => {
                let (rest, inner) = self.offset_duration(&start[1..])?;
                Ok((rest, signed(c == '-', inner, self.span(start, rest))))
            }
            _ => self.duration_atom(start),
        }
    }

    /// A full duration expression inside brackets (arithmetic is experimental).
    fn bracket_duration<'a>(&self, i: &'a str) -> PResult<'a, DurationExpr> {
        let start = ws(i);
        let (rest, d) = self.duration_expr(start, 0)?;
        if d.literal_ms().is_none() {
            self.experimental(start, "duration arithmetic")?;
        }
        Ok((rest, d))
    }

    fn duration_expr<'a>(&self, i: &'a str, min_prec: u8) -> PResult<'a, DurationExpr> {
        self.nested(i, || {
            let start = ws(i);
            let (mut i, mut lhs) = match start.chars().next() {
                Some(c @ ('-' | '+')) => {
                    let (rest, inner) = self.duration_expr(&start[1..], UNARY_PRECEDENCE)?;
                    (rest, signed(c == '-', inner, self.span(start, rest)))
                }
                _ => self.duration_atom(start)?,
            };
            while let Some((after, op)) = binop(i).filter(|(_, op)| {
                matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow
                )
            }) {
                if op.precedence() < min_prec {
                    break;
                }
                let next = if op.right_associative() {
                    op.precedence()
                } else {
                    op.precedence() + 1
                };
                let (rest, rhs) = self.duration_expr(after, next)?;
                lhs = DurationExpr::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                    span: self.span(start, rest),
                };
                i = rest;
            }
            Ok((i, lhs))
        })
    }

    fn duration_atom<'a>(&self, i: &'a str) -> PResult<'a, DurationExpr> {
        let start = ws(i);
        if let Some(inner) = start.strip_prefix('(') {
            let (rest, d) = self.duration_expr(inner, 0)?;
            let rest = match token(")")(rest) {
                Ok((r, _)) => r,
                Err(_) => return fail(ws(rest), "expected ')' to close the duration expression"),
            };
            return Ok((rest, DurationExpr::Paren(Box::new(d), self.span(start, rest))));
        }
        if let Some((after, w)) = word(start) {
            let lower = w.to_ascii_lowercase();
            if matches!(lower.as_str(), "step" | "range" | "min_of" | "max_of") && ws(after).starts_with('(')
            {
                self.experimental(start, "duration arithmetic")?;
                let (rest, _) = token("(")(after)?;
                if lower == "step" || lower == "range" {
                    let rest = match token(")")(rest) {
                        Ok((r, _)) => r,
                        Err(_) => {
                            return fail(ws(rest), format!("expected ')': {lower}() takes no arguments"));
                        }
                    };
                    let span = self.span(start, rest);
                    let d = if lower == "step" {
                        DurationExpr::Step(span)
                    } else {
                        DurationExpr::Range(span)
                    };
                    return Ok((rest, d));
                }
                let (rest, a) = self.duration_expr(rest, 0)?;
                let rest = match token(",")(rest) {
                    Ok((r, _)) => r,
                    Err(_) => return fail(ws(rest), format!("expected ',': {lower}() takes two durations")),
                };
                let (rest, b) = self.duration_expr(rest, 0)?;
                let rest = match token(")")(rest) {
                    Ok((r, _)) => r,
                    Err(_) => return fail(ws(rest), format!("expected ')' to close {lower}()")),
                };
                return Ok((
                    rest,
                    DurationExpr::MinMax {
                        max: lower == "max_of",
                        a: Box::new(a),
                        b: Box::new(b),
                        span: self.span(start, rest),
                    },
                ));
            }
        }
        match number_or_duration(start) {
            Ok((rest, Literal::Duration(ms))) => Ok((
                rest,
                DurationExpr::Literal {
                    ms,
                    as_number: false,
                    span: self.span(start, rest),
                },
            )),
            Ok((rest, Literal::Number(secs))) => {
                let ms = (secs * 1000.0).round();
                if !ms.is_finite() || ms.abs() > 9.2e18 {
                    return fail(start, "duration out of range");
                }
                Ok((
                    rest,
                    DurationExpr::Literal {
                        ms: ms as i64,
                        as_number: true,
                        span: self.span(start, rest),
                    },
                ))
            }
            Err(nom::Err::Error(_)) => backtrack(start, "expected a duration such as 5m"),
            Err(e) => Err(e),
        }
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
            check_not_empty_matching(start, &sel)?;
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

    fn call<'a>(&self, start: &'a str, name: &str, open: &'a str) -> PResult<'a, Expr> {
        let Some(func) = functions::lookup(name) else {
            return fail(start, format!("unknown function with name {name:?}"));
        };
        if func.experimental {
            self.experimental(start, &format!("function {name:?}"))?;
        }
        let (rest, args) = self.arguments(open)?;
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

    /// `(a, b, …)`; the cursor is on `(`.
    fn arguments<'a>(&self, open: &'a str) -> PResult<'a, Vec<Expr>> {
        let (mut i, _) = token("(")(open)?;
        let mut args = Vec::new();
        if let Ok((rest, _)) = token(")")(i) {
            return Ok((rest, args));
        }
        loop {
            let (rest, arg) = self.expr(i, 0).map_err(|e| expect_operand(e, i))?;
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

    fn aggregation<'a>(&self, start: &'a str, after_name: &'a str, op: AggOp) -> PResult<'a, Expr> {
        if op.experimental() {
            self.experimental(start, &format!("aggregation {:?}", op.as_str()))?;
        }
        let (mut i, mut grouping) = match self.grouping(after_name)? {
            (rest, Some(g)) => (rest, Some(g)),
            (_, None) => (after_name, None),
        };
        if !ws(i).starts_with('(') {
            return fail(ws(i), format!("expected '(' after aggregation {:?}", op.as_str()));
        }
        let (rest, mut args) = self.arguments(i)?;
        i = rest;
        if grouping.is_none() {
            let (rest, g) = self.grouping(i)?;
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

    /// An optional `by (…)` or `without (…)`.
    fn grouping<'a>(&self, i: &'a str) -> PResult<'a, Option<Grouping>> {
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

    /// `bool`, `on(…)`/`ignoring(…)`, `group_left(…)`/`group_right(…)`, `fill…(v)`.
    fn bin_modifiers<'a>(&self, i: &'a str, op: BinOp) -> PResult<'a, (bool, VectorMatching, Fill)> {
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
        loop {
            let Some((rest, w)) = word(i) else { break };
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
fn binop(i: &str) -> Option<(&str, BinOp)> {
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

/// `anchored` or `smoothed` as a whole word.
fn range_mode(i: &str) -> Option<(&str, RangeMode)> {
    if let Some(rest) = keyword(i, "anchored") {
        return Some((rest, RangeMode::Anchored));
    }
    keyword(i, "smoothed").map(|rest| (rest, RangeMode::Smoothed))
}

fn with_mode(at: &str, mut e: Expr, mode: RangeMode) -> Result<Expr, nom::Err<PError<'_>>> {
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

fn set_span(e: &mut Expr, span: Span) {
    match e {
        Expr::VectorSelector(v) => v.span = span,
        Expr::MatrixSelector(m) => m.span = span,
        Expr::Subquery(s) => s.span = span,
        _ => {}
    }
}

/// A sign applied to a duration; signs on literals fold into them.
fn signed(negate: bool, d: DurationExpr, span: Span) -> DurationExpr {
    match d {
        DurationExpr::Literal { ms, as_number, .. } => DurationExpr::Literal {
            ms: if negate { -ms } else { ms },
            as_number,
            span,
        },
        other => DurationExpr::Unary {
            negate,
            expr: Box::new(other),
            span,
        },
    }
}

fn close_bracket(i: &str) -> Result<&str, nom::Err<PError<'_>>> {
    match token("]")(i) {
        Ok((rest, _)) => Ok(rest),
        Err(_) => Err(nom::Err::Failure(PError::new(
            ws(i),
            unexpected(ws(i), "']' or ':'"),
        ))),
    }
}

/// `(a, "b", …)`: label names, optionally quoted, trailing comma allowed.
fn label_list(i: &str) -> PResult<'_, Vec<String>> {
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

/// "expected X, found Y" with a short description of what is at `at`.
fn unexpected(at: &str, expected: &str) -> String {
    let found = match at.chars().next() {
        None => "the end of the query".to_string(),
        Some(_) => {
            let token: String = at.chars().take_while(|c| !c.is_whitespace()).take(12).collect();
            format!("{token:?}")
        }
    };
    format!("expected {expected}, found {found}")
}

/// Turns a soft "no expression here" error into a definite one at `at`.
fn expect_operand<'a>(e: nom::Err<PError<'a>>, at: &'a str) -> nom::Err<PError<'a>> {
    match e {
        nom::Err::Error(_) => nom::Err::Failure(PError::new(ws(at), unexpected(ws(at), "an expression"))),
        e => e,
    }
}
