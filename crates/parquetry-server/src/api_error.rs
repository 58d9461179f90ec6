//! Errors as Prometheus' API gives them: `{"status":"error","errorType":…,"error":…}`
//! with the status code Prometheus pairs with each error type.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parquetry::Error;
use parquetry::promql::ParseError;
use parquetry::promql::eval::EvalError;

/// Prometheus' error types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// A parameter is missing or malformed (400).
    BadData,
    /// The query is valid but could not be evaluated (422).
    Execution,
    /// The query ran past its timeout (503).
    Timeout,
    /// The client went away before the answer (499, nginx's "client closed request").
    Canceled,
    /// The store could not be read (500).
    Internal,
    /// Nothing by that name (404).
    NotFound,
}

impl ErrorType {
    /// The `errorType` field.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Timeout => "timeout",
            ErrorType::Canceled => "canceled",
            ErrorType::Internal => "internal",
            ErrorType::NotFound => "not_found",
        }
    }

    /// The HTTP status Prometheus answers this error type with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::BadData => StatusCode::BAD_REQUEST,
            ErrorType::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Canceled => StatusCode::from_u16(499).expect("499 is a valid status"),
            ErrorType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

/// A failed API call: its type and message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct ApiError {
    /// What kind of failure.
    pub kind: ErrorType,
    /// The `error` field.
    pub message: String,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorType, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// A `bad_data` error.
    pub fn bad_data(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorType::BadData, message)
    }

    /// The `bad_data` error for a malformed parameter: `invalid parameter "name": why`.
    pub fn invalid_param(name: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::bad_data(format!("invalid parameter {name:?}: {why}"))
    }

    /// An engine error met while answering: parse errors of the text in parameter
    /// `param` are `bad_data`, a passed deadline `timeout`, a cancelled query
    /// `canceled`, an unreadable store `internal`, and the rest `execution`.
    pub fn from_engine(error: Error, param: &str) -> ApiError {
        match error {
            Error::Parse(e) => ApiError::invalid_param(param, parse_message(&e)),
            Error::Eval(e @ EvalError::RangeQueryType(_)) => ApiError::invalid_param(param, e),
            Error::Eval(EvalError::Timeout) => {
                ApiError::new(ErrorType::Timeout, "query timed out in expression evaluation")
            }
            Error::Eval(EvalError::Cancelled) => {
                ApiError::new(ErrorType::Canceled, "query was canceled in expression evaluation")
            }
            Error::Eval(EvalError::TooManySamples) => ApiError::new(
                ErrorType::Execution,
                "query processing would load too many samples into memory in query execution",
            ),
            Error::Eval(EvalError::Storage(e)) => ApiError::new(ErrorType::Internal, e),
            Error::Store(e) => ApiError::new(ErrorType::Internal, e.to_string()),
            Error::InvalidArgument(e) => ApiError::bad_data(e),
            other => ApiError::new(ErrorType::Execution, other.to_string()),
        }
    }
}

/// A parse error as Prometheus words it: `1:7: parse error: …`.
pub fn parse_message(e: &ParseError) -> String {
    format!("{}:{}: parse error: {}", e.line, e.column, e.message)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "status": "error",
            "errorType": self.kind.as_str(),
            "error": self.message,
        });
        (
            self.kind.status(),
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// The answer to a path no API serves: Go's `404 page not found`, as Prometheus gives it.
pub async fn not_found() -> Response {
    refuse(StatusCode::NOT_FOUND, "404 page not found")
}

/// A plain-text error as Go's `http.Error` writes it (the reason and a line break), as
/// Prometheus' remote write and remote read handlers answer.
pub fn refuse(status: StatusCode, reason: impl std::fmt::Display) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{reason}\n"),
    )
        .into_response()
}
