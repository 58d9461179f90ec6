//! The AST as JSON, for tools and for `parquetry promql ast`.

use super::ast::*;
use serde_json::{Value, json};

fn span(s: Span) -> Value {
    json!({"start": s.start, "end": s.end})
}

fn number(v: f64) -> Value {
    // JSON has no NaN or infinities; those become strings, as in Prometheus' API.
    if v.is_finite() {
        json!(v)
    } else {
        json!(parquetry_model::value::format_api_value(v))
    }
}

fn duration(d: &DurationExpr) -> Value {
    match d {
        DurationExpr::Literal { ms, span: s, .. } => json!({"type": "duration", "ms": ms, "span": span(*s)}),
        other => json!({"type": "durationExpr", "text": other.to_string(), "span": span(other.span())}),
    }
}

fn modifiers(m: &TimeModifiers) -> Value {
    let at = match &m.at {
        None => Value::Null,
        Some(At::Start) => json!("start()"),
        Some(At::End) => json!("end()"),
        Some(At::Timestamp(ms)) => json!(ms),
    };
    json!({"offset": m.offset.as_ref().map(duration), "at_ms": at})
}

fn selector(v: &VectorSelector) -> Value {
    let matchers: Vec<Value> = v
        .matchers
        .iter()
        .map(|m| json!({"name": m.name, "op": m.op.as_str(), "value": m.value}))
        .collect();
    json!({
        "name": v.name,
        "matchers": matchers,
        "modifiers": modifiers(&v.modifiers),
        "mode": format!("{:?}", v.mode).to_lowercase(),
    })
}

/// The expression as a JSON tree: every node has `type` and `span`.
pub fn to_json(e: &Expr) -> Value {
    match e {
        Expr::Number {
            value,
            duration,
            span: s,
        } => {
            json!({"type": "number", "value": number(value.0), "duration": duration, "span": span(*s)})
        }
        Expr::String { value, span: s } => json!({"type": "string", "value": value, "span": span(*s)}),
        Expr::VectorSelector(v) => {
            let mut o = selector(v);
            o["type"] = json!("vectorSelector");
            o["span"] = span(v.span);
            o
        }
        Expr::MatrixSelector(m) => json!({
            "type": "matrixSelector",
            "selector": selector(&m.selector),
            "range": duration(&m.range),
            "span": span(m.span),
        }),
        Expr::Subquery(s) => json!({
            "type": "subquery",
            "expr": to_json(&s.expr),
            "range": duration(&s.range),
            "step": s.step.as_ref().map(duration),
            "modifiers": modifiers(&s.modifiers),
            "span": span(s.span),
        }),
        Expr::Paren { expr, span: s } => json!({"type": "paren", "expr": to_json(expr), "span": span(*s)}),
        Expr::Unary {
            negate,
            expr,
            span: s,
        } => json!({
            "type": "unary",
            "op": if *negate { "-" } else { "+" },
            "expr": to_json(expr),
            "span": span(*s),
        }),
        Expr::Binary(b) => json!({
            "type": "binary",
            "op": b.op.as_str(),
            "lhs": to_json(&b.lhs),
            "rhs": to_json(&b.rhs),
            "bool": b.return_bool,
            "matching": {
                "card": format!("{:?}", b.matching.card),
                "on": b.matching.on,
                "labels": b.matching.labels,
                "include": b.matching.include,
            },
            "fill": {"left": b.fill.left.map(|n| number(n.0)), "right": b.fill.right.map(|n| number(n.0))},
            "span": span(b.span),
        }),
        Expr::Aggregate(a) => {
            let (kind, labels) = match &a.grouping {
                Grouping::By(l) => ("by", l),
                Grouping::Without(l) => ("without", l),
            };
            json!({
                "type": "aggregate",
                "op": a.op.as_str(),
                "param": a.param.as_deref().map(to_json),
                "expr": to_json(&a.expr),
                "grouping": {"kind": kind, "labels": labels},
                "span": span(a.span),
            })
        }
        Expr::Call(c) => json!({
            "type": "call",
            "func": c.func.name,
            "args": c.args.iter().map(to_json).collect::<Vec<_>>(),
            "span": span(c.span),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParseOptions, parse_with};

    #[test]
    fn nodes_have_types_and_spans() {
        let e = parse_with(
            r#"sum by (job) (rate(x{a="b"}[5m])) > bool 1"#,
            ParseOptions::default(),
        )
        .unwrap();
        let j = to_json(&e);
        assert_eq!(j["type"], "binary");
        assert_eq!(j["lhs"]["type"], "aggregate");
        assert_eq!(j["lhs"]["expr"]["args"][0]["range"]["ms"], 300_000);
        assert_eq!(
            j["lhs"]["expr"]["args"][0]["selector"]["matchers"][1]["value"],
            "b"
        );
        assert_eq!(j["rhs"]["value"], 1.0);
        assert_eq!(j["span"]["end"], 42);
    }
}
