//! Engine errors as the Python exceptions of `parquetry.errors`.
//!
//! The exception classes are plain Python (so they have readable constructors and
//! attributes); this module instantiates them with the details the Rust errors carry.

use parquetry::Error;
use parquetry::promql::eval::EvalError;
use parquetry::store::IngestError;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Instantiates `parquetry.errors.<class>(message, **details)` as a Python exception;
/// `details` fills the keyword arguments.
fn raise(class: &str, message: String, details: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let kwargs = PyDict::new(py);
            details(&kwargs)?;
            let class = py.import("parquetry.errors")?.getattr(class)?;
            Ok(PyErr::from_value(class.call((message.clone(),), Some(&kwargs))?))
        };
        // Without the Python package (the extension imported on its own), a plain error
        // still carries the message.
        build().unwrap_or_else(|_| PyRuntimeError::new_err(message.clone()))
    })
}

/// No keyword arguments.
fn none(_: &Bound<'_, PyDict>) -> PyResult<()> {
    Ok(())
}

/// The Python exception for an engine error.
pub fn to_py(error: Error) -> PyErr {
    match error {
        Error::Parse(e) => raise("QueryError", e.to_string(), |d| {
            d.set_item("line", e.line)?;
            d.set_item("column", e.column)?;
            d.set_item("offset", e.offset)
        }),
        Error::Eval(EvalError::Cancelled) => PyKeyboardInterrupt::new_err("query cancelled"),
        Error::Eval(e) => raise("QueryError", e.to_string(), none),
        Error::Logql(e) => raise("QueryError", e.to_string(), none),
        Error::Traceql(message) => raise("QueryError", message, none),
        Error::Sql(parquetry::sql::SqlError::Cancelled) => PyKeyboardInterrupt::new_err("query cancelled"),
        Error::Sql(e) => raise("QueryError", e.to_string(), none),
        Error::InvalidArgument(message) => pyo3::exceptions::PyValueError::new_err(message),
        Error::Ingest(IngestError::Cancelled { file }) => {
            PyKeyboardInterrupt::new_err(format!("{}: ingest cancelled", file.display()))
        }
        Error::Ingest(IngestError::Store(e)) | Error::Store(e) => raise("StoreError", e.to_string(), none),
        Error::Ingest(e) => {
            let message = e.to_string();
            raise("IngestError", message, |d| match e {
                IngestError::Syntax {
                    file, line, column, ..
                } => {
                    d.set_item("file", file)?;
                    d.set_item("line", line)?;
                    d.set_item("column", column)
                }
                IngestError::Io { file, .. } => d.set_item("file", file),
                _ => Ok(()),
            })
        }
    }
}
