//! `/api/v1/format_query` and `/api/v1/parse_query`: a query's text laid out as
//! Prometheus lays it out, and its syntax tree; nothing is evaluated.

use super::success;
use crate::api_error::{ApiError, parse_message};
use crate::params::Params;
use axum::response::Response;
use parquetry::promql::Expr;
use parquetry::promql::syntax::api_ast::to_api_ast;
use parquetry::promql::syntax::pretty::prettify;

/// The `query` parameter, parsed; a parse error names the parameter.
fn parsed_query(params: &Params) -> Result<Expr, ApiError> {
    parquetry::promql::parse(params.value("query"))
        .map_err(|e| ApiError::invalid_param("query", parse_message(&e)))
}

/// `/api/v1/format_query`: the query prettified, nodes over 100 characters split over
/// indented lines.
pub async fn format_query(params: Params) -> Result<Response, ApiError> {
    let expr = parsed_query(&params)?;
    Ok(success(serde_json::Value::String(prettify(&expr)), &[]))
}

/// `/api/v1/parse_query`: the query's syntax tree in Prometheus' JSON shape.
pub async fn parse_query(params: Params) -> Result<Response, ApiError> {
    let expr = parsed_query(&params)?;
    Ok(success(to_api_ast(&expr), &[]))
}
