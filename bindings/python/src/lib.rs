//! `parquetry._native`: the compiled half of Parquetry's Python package.
//!
//! The Python package (`python/parquetry` in the repository) wraps these classes with the
//! notebook API — time parsing, pandas and polars conversion, plots, HTML display — and
//! defines the exception classes raised here.

mod arrow_table;
mod database;
mod demo_data;
mod errors;
mod interrupt;
mod promql_result;
mod traces;

use parquetry::model::time;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Milliseconds of a Prometheus duration such as `1h30m`.
#[pyfunction]
fn parse_duration(text: &str) -> PyResult<i64> {
    time::parse_duration(text).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Milliseconds since the epoch of an RFC 3339 time or Unix seconds.
#[pyfunction]
fn parse_timestamp(text: &str) -> PyResult<i64> {
    time::parse_timestamp(text).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The module: `Database`, `PromqlResult`, `ArrowTable`, the demo data generator and the
/// time parsers.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<database::Database>()?;
    m.add_class::<promql_result::PromqlResult>()?;
    m.add_class::<arrow_table::ArrowTable>()?;
    m.add_function(wrap_pyfunction!(demo_data::generate_demo, m)?)?;
    m.add_function(wrap_pyfunction!(parse_duration, m)?)?;
    m.add_function(wrap_pyfunction!(parse_timestamp, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
