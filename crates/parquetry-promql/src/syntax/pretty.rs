//! PromQL over several lines, as Prometheus' `/api/v1/format_query` and
//! `promtool promql format` lay it out.
//!
//! A node whose one-line text is longer than 100 bytes is split: its children go on
//! lines of their own, indented two spaces deeper than it. Shorter nodes stay on one
//! line in the printer's canonical text. Selectors, literals and number-like nodes are
//! never split, and a subquery is split only inside its expression.

use super::ast::Expr;
use super::printer::{AggregateHead, BinaryOperator, SubqueryTail};

/// Longest node text kept on one line.
const MAX_LINE: usize = 100;

/// `expr` laid out as Prometheus' prettifier lays it out.
pub fn prettify(expr: &Expr) -> String {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || pretty(expr, 0))
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

fn pretty(expr: &Expr, level: usize) -> String {
    let line = expr.to_string();
    let split = line.len() > MAX_LINE;
    let pad = indent(level);
    match expr {
        Expr::Aggregate(a) if split => {
            let mut out = format!("{pad}{}(\n", AggregateHead(a));
            if let Some(param) = &a.param {
                out += &format!("{},\n", deeper(param, level));
            }
            out + &format!("{}\n{pad})", deeper(&a.expr, level))
        }
        Expr::Binary(b) if split => format!(
            "{}\n{pad}{}\n{}",
            deeper(&b.lhs, level),
            BinaryOperator(b),
            deeper(&b.rhs, level)
        ),
        Expr::Call(c) if split => {
            let args: Vec<String> = c.args.iter().map(|a| deeper(a, level)).collect();
            format!("{pad}{}(\n{}\n{pad})", c.func.name, args.join(",\n"))
        }
        Expr::Paren { expr, .. } if split => format!("{pad}(\n{}\n{pad})", deeper(expr, level)),
        // Prometheus writes a subquery that fits without its indentation.
        Expr::Subquery(_) if !split => line,
        Expr::Subquery(s) => format!("{}{}", pretty(&s.expr, level), SubqueryTail(s)),
        Expr::Unary { negate, expr, .. } => {
            let sign = if *negate { "-" } else { "+" };
            format!("{pad}{sign}{}", pretty(expr, level).trim())
        }
        _ => pad + &line,
    }
}

fn deeper(expr: &Expr, level: usize) -> String {
    pretty(expr, level + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn pretty_text(query: &str) -> String {
        prettify(&parse(query).unwrap())
    }

    #[test]
    fn short_queries_stay_on_one_line() {
        assert_eq!(
            pretty_text("sum(rate(x[5m])) by (job)"),
            "sum by (job) (rate(x[5m]))"
        );
        assert_eq!(pretty_text("-x"), "-x");
    }

    #[test]
    fn long_nodes_split_with_their_children_indented() {
        let rate =
            "rate(http_requests_total{code=~\"5..\",handler=\"/api/v1/query_range\",method=\"GET\"}[5m])";
        let long = format!("sum by (job, instance) ({rate}) / on (job) sum by (job, instance) (rate(x[5m]))");
        assert_eq!(
            pretty_text(&long),
            format!(
                "  sum by (job, instance) (\n    {rate}\n  )\n/ on (job)\n  sum by (job, instance) (rate(x[5m]))"
            )
        );
    }

    #[test]
    fn calls_parens_and_parameters_split_one_child_per_line() {
        let selector = "a_very_long_metric_name_that_takes_up_most_of_the_lines{label_one=\"value\",label_two=\"value\"}";
        assert_eq!(
            pretty_text(&format!("topk(5, {selector})")),
            format!("topk(\n  5,\n  {selector}\n)")
        );
        assert_eq!(
            pretty_text(&format!("clamp(({selector}), 0, 1)")),
            format!("clamp(\n  ({selector}),\n  0,\n  1\n)")
        );
        assert_eq!(
            pretty_text(&format!("({selector} > 1000)")),
            format!("(\n  {selector} > 1000\n)")
        );
        assert_eq!(
            pretty_text(&format!("max_over_time(clamp_min({selector}, 0)[1h:5m])")),
            format!("max_over_time(\n  clamp_min(\n    {selector},\n    0\n  )[1h:5m]\n)")
        );
    }
}
