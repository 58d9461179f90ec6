//! `PromqlResult`: a PromQL answer kept in Rust until Python asks for it as a table.

use crate::arrow_table::ArrowTable;
use parquetry::arrow::record_batch::RecordBatch;
use parquetry::promql::eval::QueryResult;
use parquetry::result_arrow::{long_table, result_series, wide_table};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A query's answer: its kind, its series' labels, and the long and wide tables.
#[pyclass(frozen, module = "parquetry._native")]
pub struct PromqlResult {
    result: QueryResult,
    range_query: bool,
}

impl PromqlResult {
    /// Wraps an evaluated result; `range_query` says whether it answers a range query.
    pub fn new(result: QueryResult, range_query: bool) -> PromqlResult {
        PromqlResult { result, range_query }
    }

    fn table(
        &self,
        py: Python<'_>,
        build: fn(&QueryResult) -> Result<RecordBatch, parquetry::arrow::error::ArrowError>,
    ) -> PyResult<ArrowTable> {
        let batch = py
            .detach(|| build(&self.result))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(ArrowTable::from_batch(batch))
    }
}

#[pymethods]
impl PromqlResult {
    /// `matrix` (range query, or instant query of a range selector), `vector`, `scalar` or
    /// `string`, as in Prometheus' HTTP API.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.result {
            QueryResult::Vector(_) if self.range_query => "matrix",
            QueryResult::Vector(_) => "vector",
            QueryResult::Range(_) => "matrix",
            QueryResult::Scalar(_) => "scalar",
            QueryResult::String(_) => "string",
        }
    }

    /// The number of series (1 for a scalar, 0 for a string).
    #[getter]
    fn num_series(&self) -> usize {
        result_series(&self.result).len()
    }

    /// The number of points over all series.
    #[getter]
    fn num_points(&self) -> usize {
        result_series(&self.result).iter().map(|s| s.points.len()).sum()
    }

    /// Each series' labels as a dict, in result order.
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        result_series(&self.result)
            .iter()
            .map(|s| {
                let d = PyDict::new(py);
                for l in s.labels.iter() {
                    d.set_item(l.name.as_str(), l.value.as_str())?;
                }
                Ok(d)
            })
            .collect()
    }

    /// One row per point: `timestamp`, `value`, `metric`, then a column per label.
    fn long(&self, py: Python<'_>) -> PyResult<ArrowTable> {
        self.table(py, long_table)
    }

    /// One row per timestamp and one column per series, named by its labels.
    fn wide(&self, py: Python<'_>) -> PyResult<ArrowTable> {
        self.table(py, wide_table)
    }
}
