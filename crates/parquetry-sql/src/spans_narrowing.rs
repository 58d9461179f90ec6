//! What a WHERE clause over the `spans` table lets the store narrow a scan to: a
//! `start_time` range (files outside it are skipped), one `trace_id` (only the row
//! groups whose statistics admit it are read), and conditions on the stored columns
//! behind `service_name`, `name`, `status_message`, `kind`, `status_code`, `duration_ns`
//! and the promoted attributes, tested on those columns before anything else is decoded
//! (see [`parquetry_spans::prefilter`]). Every narrowing is inexact: DataFusion still
//! checks each row read.

use crate::pushdown::{column_name, flip, narrow_time, string_literal, time_literal};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;
use parquetry_spans::prefilter::{IntComparison, SpanCondition, TraceNeeds};
use parquetry_spans::promoted::{PROMOTED, PromotedType};
use parquetry_spans::schema::columns;
use parquetry_spans::{SpanKind, StatusCode, TraceId};
use std::sync::Arc;

/// What the store can narrow a scan of spans to.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpanNarrowing {
    /// Earliest start wanted, ms.
    pub min_time: Option<i64>,
    /// Latest start wanted, ms.
    pub max_time: Option<i64>,
    /// The one trace wanted.
    pub trace_id: Option<TraceId>,
    /// Conditions every wanted span meets.
    pub needs: TraceNeeds,
}

impl SpanNarrowing {
    /// What the store can take from all of a scan's `filters`.
    pub fn of(filters: &[Expr]) -> SpanNarrowing {
        let mut n = SpanNarrowing::default();
        for f in filters {
            n.absorb(f);
        }
        n
    }

    /// Takes what it can from one conjunct; true when the store can apply it.
    pub fn absorb(&mut self, filter: &Expr) -> bool {
        if let Expr::InList(list) = filter
            && !list.negated
            && let Some(name) = column_name(&list.expr)
        {
            let values: Option<Vec<String>> = list.list.iter().map(string_literal).collect();
            return match values.and_then(|v| text_condition(name, v)) {
                Some(c) => {
                    self.needs.0.push(c);
                    true
                }
                None => false,
            };
        }
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = filter else {
            return false;
        };
        if *op == Operator::And {
            let a = self.absorb(left);
            let b = self.absorb(right);
            return a && b;
        }
        let (col, lit, op) = if column_name(left).is_some() {
            (left.as_ref(), right.as_ref(), *op)
        } else {
            (right.as_ref(), left.as_ref(), flip(*op))
        };
        let Some(name) = column_name(col) else {
            return false;
        };
        match name {
            "start_time" => time_literal(lit)
                .is_some_and(|bound| narrow_time(&mut self.min_time, &mut self.max_time, op, bound)),
            "trace_id" if op == Operator::Eq => {
                match string_literal(lit).and_then(|s| TraceId::parse(&s).ok()) {
                    Some(id) => {
                        self.trace_id = Some(id);
                        true
                    }
                    None => false,
                }
            }
            _ => {
                let condition = match (op, string_literal(lit), integer_literal(lit)) {
                    (Operator::Eq, Some(text), _) => text_condition(name, vec![text]),
                    (_, _, Some(n)) => number_condition(name, op, n),
                    _ => None,
                };
                match condition {
                    Some(c) => {
                        self.needs.0.push(c);
                        true
                    }
                    None => false,
                }
            }
        }
    }
}

/// An integer literal's value.
fn integer_literal(e: &Expr) -> Option<i64> {
    let Expr::Literal(v, _) = e else { return None };
    match v {
        ScalarValue::Int64(Some(n)) => Some(*n),
        ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt64(Some(n)) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// The condition on the stored column behind the table's text column `name` that
/// holds wherever the column equals one of `values`.
fn text_condition(name: &str, values: Vec<String>) -> Option<SpanCondition> {
    let one_of = move |v: &str| values.iter().any(|w| w == v);
    match name {
        // The table shows a span without a service as `unknown_service`, and a missing
        // name or message as empty.
        "service_name" => Some(SpanCondition::Text(
            PROMOTED.iter().find(|p| p.key == "service.name")?.column,
            Arc::new(move |v| one_of(v.unwrap_or("unknown_service"))),
        )),
        "name" => Some(SpanCondition::Text(
            columns::NAME,
            Arc::new(move |v| one_of(v.unwrap_or(""))),
        )),
        "status_message" => Some(SpanCondition::Text(
            columns::STATUS_MESSAGE,
            Arc::new(move |v| one_of(v.unwrap_or(""))),
        )),
        // Kinds and statuses are stored as OTLP's numbers and shown as words.
        "kind" => Some(SpanCondition::Number(
            columns::KIND,
            Arc::new(move |v| {
                v.and_then(SpanKind::from_number)
                    .is_some_and(|k| one_of(k.name()))
            }),
        )),
        "status_code" => Some(SpanCondition::Number(
            columns::STATUS_CODE,
            Arc::new(move |v| {
                v.and_then(StatusCode::from_number)
                    .is_some_and(|s| one_of(s.name()))
            }),
        )),
        _ => PROMOTED
            .iter()
            .find(|p| p.column == name && p.ty == PromotedType::String)
            .map(|p| SpanCondition::Text(p.column, Arc::new(move |v| v.is_some_and(&one_of)))),
    }
}

/// The condition on the stored integer column behind the table's column `name` that
/// holds wherever `name op n` does.
fn number_condition(name: &str, op: Operator, n: i64) -> Option<SpanCondition> {
    let column = match name {
        "duration_ns" => columns::DURATION_NS,
        _ => {
            PROMOTED
                .iter()
                .find(|p| p.column == name && p.ty == PromotedType::Int)?
                .column
        }
    };
    let op = match op {
        Operator::Eq => IntComparison::Eq,
        Operator::Lt => IntComparison::Lt,
        Operator::LtEq => IntComparison::Le,
        Operator::Gt => IntComparison::Gt,
        Operator::GtEq => IntComparison::Ge,
        _ => return None,
    };
    Some(SpanCondition::int_comparison(column, op, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, in_list, lit};

    #[test]
    fn conditions_on_stored_columns_are_taken() {
        for filter in [
            col("service_name").eq(lit("payment")),
            lit("payment").eq(col("service_name")),
            in_list(col("http_route"), vec![lit("/a"), lit("/b")], false),
            col("duration_ns").gt(lit(5_i64)),
            col("http_response_status_code").eq(lit(500_i64)),
            col("status_code").eq(lit("error")),
        ] {
            let mut n = SpanNarrowing::default();
            assert!(n.absorb(&filter), "{filter}");
            assert_eq!(n.needs.0.len(), 1, "{filter}");
        }
    }

    #[test]
    fn other_conditions_are_left_to_datafusion() {
        for filter in [
            col("service_name").not_eq(lit("payment")),
            in_list(col("service_name"), vec![lit("a")], true),
            col("http_route").gt(lit("/a")),
            col("db_system").eq(lit(5_i64)),
            col("span_id").eq(lit("00")),
        ] {
            let mut n = SpanNarrowing::default();
            assert!(!n.absorb(&filter), "{filter}");
            assert!(n.needs.is_empty(), "{filter}");
        }
    }
}
