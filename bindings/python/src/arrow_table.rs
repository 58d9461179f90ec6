//! Arrow record batches handed to Python through the Arrow PyCapsule interface.
//!
//! [`ArrowTable`] implements `__arrow_c_stream__` and `__arrow_c_schema__`, so
//! `pyarrow.table(t)`, `polars.from_arrow(t)` and any other consumer of the interface take
//! the columns without copying them.

use parquetry::arrow::array::{RecordBatch, RecordBatchIterator};
use parquetry::arrow::datatypes::SchemaRef;
use parquetry::arrow::ffi::FFI_ArrowSchema;
use parquetry::arrow::ffi_stream::FFI_ArrowArrayStream;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// An immutable table of Arrow record batches that share one schema.
#[pyclass(frozen, module = "parquetry._native")]
pub struct ArrowTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl ArrowTable {
    /// A table of `batches`, all of which must have `schema`.
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> ArrowTable {
        ArrowTable { schema, batches }
    }

    /// A table of one batch.
    pub fn from_batch(batch: RecordBatch) -> ArrowTable {
        ArrowTable::new(batch.schema(), vec![batch])
    }
}

#[pymethods]
impl ArrowTable {
    /// Rows over all batches.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Column names in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The Arrow C stream of the batches in a capsule named `arrow_array_stream`. The
    /// requested schema is ignored, as the interface allows: the consumer casts if it must.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(self.batches.clone().into_iter().map(Ok), self.schema.clone());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The Arrow C schema of the table in a capsule named `arrow_schema`.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.schema.as_ref())
            .map_err(|e| PyValueError::new_err(format!("cannot export the schema: {e}")))?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "<ArrowTable {} rows × {} columns>",
            self.num_rows(),
            self.schema.fields().len()
        )
    }
}
