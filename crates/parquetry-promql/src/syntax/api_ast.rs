//! The AST in the JSON shape of Prometheus' `/api/v1/parse_query` (the tree its query
//! explainer draws): nodes typed `aggregation`, `binaryExpr`, `call`, `matrixSelector`,
//! `subquery`, `numberLiteral`, `parenExpr`, `stringLiteral`, `unaryExpr` and
//! `vectorSelector`, durations in milliseconds. The shape is Prometheus 3.5's, which has
//! no fields for the experimental selector modes and fill values.

use super::ast::*;
use parquetry_model::labels::is_legacy_metric_name;
use parquetry_model::value::format_api_value;
use parquetry_model::{METRIC_NAME, Matcher};
use serde_json::{Value, json};

/// `expr` as Prometheus' `parse_query` answers it.
pub fn to_api_ast(expr: &Expr) -> Value {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || node(expr))
}

fn node(expr: &Expr) -> Value {
    match expr {
        Expr::Aggregate(a) => json!({
            "type": "aggregation",
            "op": a.op.as_str(),
            "expr": node(&a.expr),
            "param": a.param.as_deref().map_or(Value::Null, node),
            "grouping": match &a.grouping {
                Grouping::By(labels) | Grouping::Without(labels) => labels,
            },
            "without": matches!(a.grouping, Grouping::Without(_)),
        }),
        Expr::Binary(b) => json!({
            "type": "binaryExpr",
            "op": b.op.as_str(),
            "lhs": node(&b.lhs),
            "rhs": node(&b.rhs),
            "matching": matching(b),
            "bool": b.return_bool,
        }),
        Expr::Call(c) => json!({
            "type": "call",
            "func": {
                "name": c.func.name,
                "argTypes": c.func.args.iter().map(|t| type_name(*t)).collect::<Vec<_>>(),
                "variadic": c.func.variadic,
                "returnType": type_name(c.func.returns),
            },
            "args": c.args.iter().map(node).collect::<Vec<_>>(),
        }),
        Expr::MatrixSelector(m) => {
            let mut out = selector("matrixSelector", &m.selector);
            out["range"] = json!(duration_ms(&m.range));
            out
        }
        Expr::VectorSelector(v) => selector("vectorSelector", v),
        Expr::Subquery(s) => {
            let mut out = json!({
                "type": "subquery",
                "expr": node(&s.expr),
                "range": duration_ms(&s.range),
                "step": s.step.as_ref().map_or(0, duration_ms),
            });
            add_modifiers(&mut out, &s.modifiers);
            out
        }
        // Go's `FormatFloat(v, 'f', -1, 64)`, as the query API writes sample values.
        Expr::Number { value, .. } => json!({"type": "numberLiteral", "val": format_api_value(value.0)}),
        Expr::String { value, .. } => json!({"type": "stringLiteral", "val": value}),
        Expr::Paren { expr, .. } => json!({"type": "parenExpr", "expr": node(expr)}),
        Expr::Unary { negate, expr, .. } => json!({
            "type": "unaryExpr",
            "op": if *negate { "-" } else { "+" },
            "expr": node(expr),
        }),
    }
}

/// The vector matching of an operation between two instant vectors; `null` when either
/// side is a scalar, as Prometheus' parser drops it then.
fn matching(b: &BinaryExpr) -> Value {
    let vectors = b.lhs.value_type() == ValueType::Vector && b.rhs.value_type() == ValueType::Vector;
    if !vectors {
        return Value::Null;
    }
    let card = match b.matching.card {
        _ if b.op.is_set_operator() => "many-to-many",
        Cardinality::OneToOne => "one-to-one",
        Cardinality::ManyToOne => "many-to-one",
        Cardinality::OneToMany => "one-to-many",
        Cardinality::ManyToMany => "many-to-many",
    };
    json!({
        "card": card,
        "labels": b.matching.labels,
        "on": b.matching.on,
        "include": b.matching.include,
    })
}

fn selector(kind: &str, v: &VectorSelector) -> Value {
    // Prometheus keeps a name written before the braces as the selector's name and its
    // matcher last; a name that must be quoted is written inside the braces, in place.
    let outside = v.name.as_deref().filter(|n| is_legacy_metric_name(n));
    let mut matchers: Vec<&Matcher> = v.matchers.iter().collect();
    if outside.is_some() && matchers.first().is_some_and(|m| m.name == METRIC_NAME) {
        let name = matchers.remove(0);
        matchers.push(name);
    }
    let mut out = json!({
        "type": kind,
        "name": outside.unwrap_or(""),
        "matchers": matchers
            .iter()
            .map(|m| json!({"name": m.name, "value": m.value, "type": m.op.as_str()}))
            .collect::<Vec<_>>(),
    });
    add_modifiers(&mut out, &v.modifiers);
    out
}

fn add_modifiers(out: &mut Value, m: &TimeModifiers) {
    out["offset"] = json!(m.offset.as_ref().map_or(0, duration_ms));
    let (timestamp, start_or_end) = match &m.at {
        None => (Value::Null, Value::Null),
        Some(At::Timestamp(ms)) => (json!(ms), Value::Null),
        Some(At::Start) => (Value::Null, json!("start")),
        Some(At::End) => (Value::Null, json!("end")),
    };
    out["timestamp"] = timestamp;
    out["startOrEnd"] = start_or_end;
}

/// A duration's milliseconds; an expression with `step()` or `range()` counts them as 0,
/// as they are only known when a query runs.
fn duration_ms(d: &DurationExpr) -> i64 {
    d.literal_ms().unwrap_or_else(|| d.eval_ms(0, 0).round() as i64)
}

/// Prometheus' names of value types in function signatures.
fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Scalar => "scalar",
        ValueType::Vector => "vector",
        ValueType::Matrix => "matrix",
        ValueType::String => "string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn ast(query: &str) -> Value {
        to_api_ast(&parse(query).unwrap())
    }

    #[test]
    fn selectors_keep_prometheus_matcher_order_and_modifiers() {
        assert_eq!(
            ast(r#"rate(http_requests_total{job="api"}[5m] offset 1m)"#)["args"][0],
            json!({"type": "matrixSelector", "name": "http_requests_total", "range": 300000,
                "offset": 60000, "timestamp": null, "startOrEnd": null,
                "matchers": [{"name": "job", "value": "api", "type": "="},
                    {"name": "__name__", "value": "http_requests_total", "type": "="}]})
        );
        let at = ast(r#"{"my.metric", a!~"b"} @ 10.5"#);
        assert_eq!(at["name"], "");
        assert_eq!(at["matchers"][0]["name"], "__name__");
        assert_eq!(at["timestamp"], 10500);
        assert_eq!(ast("x @ end()")["startOrEnd"], "end");
    }

    #[test]
    fn operations_calls_and_literals() {
        let sum = ast("sum without (instance) (x) / on (job) group_left (team) y");
        assert_eq!(sum["op"], "/");
        assert_eq!(
            sum["matching"],
            json!({"card": "many-to-one", "labels": ["job"], "on": true, "include": ["team"]})
        );
        assert_eq!(sum["lhs"]["type"], "aggregation");
        assert_eq!(sum["lhs"]["without"], true);
        assert_eq!(sum["lhs"]["param"], Value::Null);
        assert_eq!(ast("x and y")["matching"]["card"], "many-to-many");
        assert_eq!(ast("x > bool 1")["matching"], Value::Null);
        assert_eq!(ast("x > bool 1")["bool"], true);
        let call = ast("histogram_quantile(0.9, x)");
        assert_eq!(
            call["func"],
            json!({"name": "histogram_quantile", "argTypes": ["scalar", "vector"],
                "variadic": 0, "returnType": "vector"})
        );
        assert_eq!(call["args"][0], json!({"type": "numberLiteral", "val": "0.9"}));
        assert_eq!(ast("1e21")["val"], "1000000000000000000000");
        // A sign before a number is folded into it, as Prometheus' parser does.
        assert_eq!(ast("-Inf"), json!({"type": "numberLiteral", "val": "-Inf"}));
        assert_eq!(ast("-x")["type"], "unaryExpr");
        assert_eq!(ast(r#"x[1h:]"#)["step"], 0);
        assert_eq!(
            ast("((1))")["expr"]["expr"],
            json!({"type": "numberLiteral", "val": "1"})
        );
        assert_eq!(ast(r#""a""#), json!({"type": "stringLiteral", "val": "a"}));
    }
}
