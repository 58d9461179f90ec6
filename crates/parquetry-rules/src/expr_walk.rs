//! What a rule's expression reads and whether it looks past its evaluation time.

use parquetry_promql::Expr;
use parquetry_promql::syntax::ast::{TimeModifiers, VectorSelector};

/// Calls `f` on `expr` and every expression inside it.
fn walk<'a>(expr: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(expr);
    match expr {
        Expr::Number { .. } | Expr::String { .. } | Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {}
        Expr::Subquery(s) => walk(&s.expr, f),
        Expr::Paren { expr, .. } | Expr::Unary { expr, .. } => walk(expr, f),
        Expr::Binary(b) => {
            walk(&b.lhs, f);
            walk(&b.rhs, f);
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk(p, f);
            }
            walk(&a.expr, f);
        }
        Expr::Call(c) => c.args.iter().for_each(|a| walk(a, f)),
    }
}

/// Every series selector in the expression (those of range selectors included).
pub fn selectors(expr: &Expr) -> Vec<&VectorSelector> {
    let mut out = Vec::new();
    walk(expr, &mut |e| match e {
        Expr::VectorSelector(v) => out.push(v),
        Expr::MatrixSelector(m) => out.push(&m.selector),
        _ => {}
    });
    out
}

fn modifiers(expr: &Expr) -> Vec<&TimeModifiers> {
    let mut out = Vec::new();
    walk(expr, &mut |e| match e {
        Expr::VectorSelector(v) => out.push(&v.modifiers),
        Expr::MatrixSelector(m) => out.push(&m.selector.modifiers),
        Expr::Subquery(s) => out.push(&s.modifiers),
        _ => {}
    });
    out
}

/// True when the expression uses the `@` modifier.
pub fn uses_at(expr: &Expr) -> bool {
    modifiers(expr).iter().any(|m| m.at.is_some())
}

/// True when an `offset` may be negative (a computed offset counts as possibly negative).
pub fn uses_negative_offset(expr: &Expr) -> bool {
    modifiers(expr)
        .iter()
        .filter_map(|m| m.offset.as_ref())
        .any(|o| o.literal_ms().is_none_or(|ms| ms < 0))
}

/// True when the value at time t may depend on samples after t.
pub fn looks_ahead(expr: &Expr) -> bool {
    uses_at(expr) || uses_negative_offset(expr)
}

/// True when some selector of `expr` may select series named `name`.
pub fn may_read(expr: &Expr, name: &str) -> bool {
    selectors(expr).iter().any(|s| {
        s.matchers
            .iter()
            .filter(|m| m.name == parquetry_model::METRIC_NAME)
            .all(|m| m.matches(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_promql::{ParseOptions, parse_with};

    fn p(s: &str) -> Expr {
        parse_with(s, ParseOptions::all()).unwrap()
    }

    #[test]
    fn finds_reads_and_lookahead() {
        let e = p("sum(rate(a[5m])) / on() group_left b + max_over_time(c[1h:1m] offset 5m)");
        assert!(may_read(&e, "a") && may_read(&e, "b") && may_read(&e, "c"));
        assert!(!may_read(&e, "d"));
        assert!(may_read(&p(r#"{job="x"}"#), "anything"));
        assert!(may_read(&p(r#"{__name__=~"job:.*"}"#), "job:up"));
        assert!(!looks_ahead(&e));
        assert!(looks_ahead(&p("a @ 100")));
        assert!(looks_ahead(&p("a offset -5m")));
        assert!(looks_ahead(&p("rate(a[5m] @ end())")));
        assert!(!uses_negative_offset(&p("a offset 5m")));
    }
}
