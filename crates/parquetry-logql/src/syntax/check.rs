//! Loki's static checks, applied after parsing: which range functions need `unwrap`, which
//! take parameters and groupings, what may stand on either side of an operator, and that
//! regular expressions and patterns are usable.

use super::ast::*;
use super::pattern::{capture_names, parse_pattern};
use parquetry_model::labels::is_legacy_label_name;
use parquetry_promql::syntax::error::ParseError;
use regex::Regex;
use std::collections::HashSet;

/// Checks `expr`, parsed from `src`; the error points at the offending expression.
pub fn check(expr: &Expr, src: &str) -> Result<(), ParseError> {
    let err = |span: Span, message: String| Err(ParseError::at(src, span.start, message));
    match expr {
        Expr::Log(log) => check_log(&log.pipeline, log.span, src),
        Expr::Literal(..) | Expr::Vector(..) => Ok(()),
        Expr::RangeAggregation(agg) => {
            let name = agg.op.as_str();
            check_log(&agg.range.log.pipeline, agg.range.log.span, src)?;
            match (agg.op.needs_unwrap(), agg.range.unwrap.is_some()) {
                (Some(true), false) => {
                    return err(agg.span, format!("invalid aggregation {name} without unwrap"));
                }
                (Some(false), true) => {
                    return err(agg.span, format!("invalid aggregation {name} with unwrap"));
                }
                _ => {}
            }
            if agg.grouping.is_some() && !agg.op.allows_grouping() {
                return err(agg.span, format!("grouping not allowed for {name} aggregation"));
            }
            match (agg.op == RangeOp::QuantileOverTime, &agg.param) {
                (true, None) => err(agg.span, format!("parameter required for operation {name}")),
                (false, Some(p)) => err(
                    agg.span,
                    format!("parameter {} not supported for operation {name}", p.0),
                ),
                _ => Ok(()),
            }
        }
        Expr::VectorAggregation(agg) => {
            let name = agg.op.as_str();
            if agg.expr.is_log() {
                return err(
                    agg.expr.span(),
                    format!(
                        "{name} aggregates samples: wrap the log query in a range aggregation such as count_over_time(…[5m])"
                    ),
                );
            }
            check(&agg.expr, src)?;
            if agg.grouping.is_some() && !agg.op.allows_grouping() {
                return match agg.op {
                    VectorOp::Sort | VectorOp::SortDesc => {
                        err(agg.span, "sort and sort_desc doesn't allow grouping by".into())
                    }
                    _ => err(agg.span, format!("grouping not allowed for {name} aggregation")),
                };
            }
            match (agg.op.takes_k(), &agg.param) {
                (true, None) => err(agg.span, format!("parameter required for operation {name}")),
                (true, Some(k)) if k.0.fract() != 0.0 => err(
                    agg.span,
                    format!("invalid parameter {name}({}, …): k must be an integer", k.0),
                ),
                (true, Some(k)) if k.0 <= 0.0 => err(
                    agg.span,
                    format!("invalid parameter {name}({}, …) (must be greater than 0)", k.0),
                ),
                (false, Some(p)) => err(
                    agg.span,
                    format!("unsupported parameter for operation {name}({}, …)", p.0),
                ),
                _ => Ok(()),
            }
        }
        Expr::Binary(b) => {
            let op = b.op.as_str();
            for (side, leg) in [("left", &b.lhs), ("right", &b.rhs)] {
                if leg.is_log() {
                    return err(
                        leg.span(),
                        format!(
                            "unexpected log query for {side} leg of binary operation ({op}): only metric queries combine"
                        ),
                    );
                }
                if b.op.is_set_operator() && leg.is_number_only() {
                    return err(
                        leg.span(),
                        format!("unexpected literal for {side} leg of logical/set binary operation ({op})"),
                    );
                }
            }
            check(&b.lhs, src)?;
            check(&b.rhs, src)
        }
        Expr::LabelReplace(lr) => {
            if lr.expr.is_log() {
                return err(lr.expr.span(), "label_replace takes a metric query".into());
            }
            check(&lr.expr, src)?;
            if !is_legacy_label_name(&lr.dst) {
                return err(
                    lr.span,
                    format!("invalid destination label name in label_replace: {:?}", lr.dst),
                );
            }
            match Regex::new(&format!("^(?s:{})$", lr.regex)) {
                Ok(_) => Ok(()),
                Err(e) => err(lr.span, format!("invalid regex in label_replace: {e}")),
            }
        }
    }
}

fn check_log(pipeline: &[Stage], span: Span, src: &str) -> Result<(), ParseError> {
    let at = |message: String| ParseError::at(src, span.start, message);
    let err = |message: String| Err(at(message));
    for stage in pipeline {
        match stage {
            Stage::Regexp(re) => {
                let compiled = match Regex::new(re) {
                    Ok(r) => r,
                    Err(e) => return err(format!("invalid regexp stage: error parsing regexp: {e}")),
                };
                let mut names = HashSet::new();
                for name in compiled.capture_names().flatten() {
                    if !names.insert(name) {
                        return err(format!("duplicate extracted label name {name:?} in regexp stage"));
                    }
                }
                if names.is_empty() {
                    return err("at least one named capture must be supplied in a regexp stage".into());
                }
            }
            Stage::Pattern(p) => {
                let parts = parse_pattern(p).map_err(at)?;
                if capture_names(&parts).next().is_none() {
                    return err("at least one capture is required in a pattern stage".into());
                }
            }
            _ => {}
        }
    }
    Ok(())
}
