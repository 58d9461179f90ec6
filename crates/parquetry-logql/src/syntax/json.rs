//! The tree as JSON, for tools and for `parquetry logql ast`: every expression node has
//! `type` and `span`; pipeline stages have `stage`.

use super::ast::*;
use parquetry_model::Matcher;
use serde_json::{Value, json};

fn span(s: Span) -> Value {
    json!({"start": s.start, "end": s.end})
}

fn matcher(m: &Matcher) -> Value {
    json!({"name": m.name, "op": m.op.as_str(), "value": m.value})
}

fn grouping(g: &Option<Grouping>) -> Value {
    match g {
        None => Value::Null,
        Some(Grouping::By(l)) => json!({"by": l}),
        Some(Grouping::Without(l)) => json!({"without": l}),
    }
}

fn extractions(fields: &[Extraction]) -> Value {
    fields
        .iter()
        .map(|e| json!({"label": e.label, "source": e.source}))
        .collect()
}

fn selections(items: &[LabelSelection]) -> Value {
    items
        .iter()
        .map(|s| match s {
            LabelSelection::Name(n) => json!({"name": n}),
            LabelSelection::Matcher(m) => matcher(m),
        })
        .collect()
}

/// A label filter as JSON.
pub fn label_filter(f: &LabelFilter) -> Value {
    match f {
        LabelFilter::And(l, r) => json!({"and": [label_filter(l), label_filter(r)]}),
        LabelFilter::Or(l, r) => json!({"or": [label_filter(l), label_filter(r)]}),
        LabelFilter::String(m) => json!({"string": matcher(m)}),
        LabelFilter::Ip {
            name,
            negated,
            pattern,
        } => json!({"ip": {"name": name, "op": if *negated { "!=" } else { "=" }, "pattern": pattern}}),
        LabelFilter::Number { name, op, value } => {
            json!({"number": {"name": name, "op": op.as_str(), "value": value.0}})
        }
        LabelFilter::Duration { name, op, nanos } => {
            json!({"duration": {"name": name, "op": op.as_str(), "nanos": nanos}})
        }
        LabelFilter::Bytes { name, op, bytes } => {
            json!({"bytes": {"name": name, "op": op.as_str(), "bytes": bytes}})
        }
    }
}

fn stage(s: &Stage) -> Value {
    match s {
        Stage::LineFilter(lf) => {
            let values: Vec<Value> = lf
                .values
                .iter()
                .map(|v| match v {
                    FilterValue::Text(t) => json!({"text": t}),
                    FilterValue::Ip(p) => json!({"ip": p}),
                })
                .collect();
            json!({"stage": "line_filter", "op": lf.op.as_str(), "values": values})
        }
        Stage::Json(fields) => json!({"stage": "json", "fields": extractions(fields)}),
        Stage::Logfmt(l) => json!({
            "stage": "logfmt", "strict": l.strict, "keep_empty": l.keep_empty,
            "fields": extractions(&l.fields),
        }),
        Stage::Regexp(r) => json!({"stage": "regexp", "regex": r}),
        Stage::Pattern(p) => json!({"stage": "pattern", "pattern": p}),
        Stage::Unpack => json!({"stage": "unpack"}),
        Stage::LabelFilter(f) => json!({"stage": "label_filter", "filter": label_filter(f)}),
        Stage::LineFormat(t) => json!({"stage": "line_format", "template": t}),
        Stage::LabelFormat(items) => {
            let items: Vec<Value> = items
                .iter()
                .map(|i| match i {
                    LabelFormat::Rename { dst, src } => json!({"dst": dst, "rename": src}),
                    LabelFormat::Template { dst, template } => json!({"dst": dst, "template": template}),
                })
                .collect();
            json!({"stage": "label_format", "items": items})
        }
        Stage::Decolorize => json!({"stage": "decolorize"}),
        Stage::Drop(items) => json!({"stage": "drop", "labels": selections(items)}),
        Stage::Keep(items) => json!({"stage": "keep", "labels": selections(items)}),
    }
}

fn log(l: &LogExpr) -> Value {
    let matchers: Vec<Value> = l.matchers.iter().map(matcher).collect();
    let pipeline: Vec<Value> = l.pipeline.iter().map(stage).collect();
    json!({"type": "log", "matchers": matchers, "pipeline": pipeline, "span": span(l.span)})
}

fn number(v: f64) -> Value {
    json!(v)
}

/// The expression as a JSON tree.
pub fn to_json(e: &Expr) -> Value {
    match e {
        Expr::Log(l) => log(l),
        Expr::Literal(n, s) => json!({"type": "literal", "value": number(n.0), "span": span(*s)}),
        Expr::Vector(n, s) => json!({"type": "vector", "value": number(n.0), "span": span(*s)}),
        Expr::RangeAggregation(a) => {
            let unwrap = a.range.unwrap.as_ref().map(|u| {
                let filters: Vec<Value> = u.filters.iter().map(label_filter).collect();
                json!({"label": u.label, "conversion": u.conversion.function(), "filters": filters})
            });
            json!({
                "type": "range_aggregation",
                "op": a.op.as_str(),
                "param": a.param.map(|p| number(p.0)),
                "log": log(&a.range.log),
                "unwrap": unwrap,
                "range_nanos": a.range.range_nanos,
                "offset_nanos": a.range.offset_nanos,
                "grouping": grouping(&a.grouping),
                "span": span(a.span),
            })
        }
        Expr::VectorAggregation(a) => json!({
            "type": "vector_aggregation",
            "op": a.op.as_str(),
            "param": a.param.map(|p| number(p.0)),
            "expr": to_json(&a.expr),
            "grouping": grouping(&a.grouping),
            "span": span(a.span),
        }),
        Expr::Binary(b) => {
            let card = match b.matching.card {
                Cardinality::OneToOne => "one-to-one",
                Cardinality::ManyToOne => "many-to-one",
                Cardinality::OneToMany => "one-to-many",
                Cardinality::ManyToMany => "many-to-many",
            };
            json!({
                "type": "binary",
                "op": b.op.as_str(),
                "bool": b.return_bool,
                "matching": {
                    "card": card,
                    "on": b.matching.on,
                    "labels": b.matching.labels,
                    "include": b.matching.include,
                },
                "lhs": to_json(&b.lhs),
                "rhs": to_json(&b.rhs),
                "span": span(b.span),
            })
        }
        Expr::LabelReplace(lr) => json!({
            "type": "label_replace",
            "expr": to_json(&lr.expr),
            "dst": lr.dst,
            "replacement": lr.replacement,
            "src": lr.src,
            "regex": lr.regex,
            "span": span(lr.span),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn nodes_have_types_and_spans() {
        let e = parse(r#"sum by (a) (rate({app="x"} |= "e" | json | unwrap v [5m]))"#).unwrap();
        let v = to_json(&e);
        assert_eq!(v["type"], "vector_aggregation");
        assert_eq!(v["expr"]["log"]["pipeline"][1]["stage"], "json");
        assert_eq!(v["expr"]["unwrap"]["label"], "v");
        assert_eq!(v["span"]["start"], 0);
    }
}
