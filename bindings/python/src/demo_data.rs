//! `generate_demo`: the deterministic demo fleet written to a file, for walkthroughs and
//! tests.

use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use std::io::BufWriter;
use std::path::PathBuf;

/// Writes about `series` series of the demo fleet, starting at `start_ms` and lasting
/// `duration_ms` at one scrape per `interval_ms`, to `path` as `openmetrics`, `jsonl` or
/// `csv`. Returns the number of samples written.
#[pyfunction]
#[pyo3(signature = (path, series, start_ms, duration_ms, interval_ms, format))]
pub fn generate_demo(
    py: Python<'_>,
    path: PathBuf,
    series: usize,
    start_ms: i64,
    duration_ms: i64,
    interval_ms: i64,
    format: &str,
) -> PyResult<u64> {
    let format = match format {
        "openmetrics" => OutputFormat::OpenMetrics,
        "jsonl" => OutputFormat::JsonLines,
        "csv" => OutputFormat::Csv,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown format {other:?}: expected openmetrics, jsonl or csv"
            )));
        }
    };
    if series == 0 || duration_ms <= 0 || interval_ms <= 0 {
        return Err(PyValueError::new_err(
            "series, duration and interval must be positive",
        ));
    }
    let config = DemoConfig {
        start_ms,
        duration_ms,
        interval_ms,
        ..DemoConfig::with_series(series)
    };
    crate::interrupt::run(py, |_| {
        let file = std::fs::File::create(&path)?;
        Dataset::new(config).write(format, BufWriter::with_capacity(1 << 20, file))
    })?
    .map_err(|e| PyOSError::new_err(format!("{}: {e}", path.display())))
}
