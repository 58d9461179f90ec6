//! Query results as text: an aligned table, CSV or a JSON array of objects.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;

/// An aligned text table with a header.
pub fn table(batches: &[RecordBatch]) -> Result<String, ArrowError> {
    Ok(datafusion::arrow::util::pretty::pretty_format_batches(batches)?.to_string())
}

/// CSV with a header line.
pub fn csv(batches: &[RecordBatch]) -> Result<String, ArrowError> {
    let mut out = Vec::new();
    {
        let mut w = datafusion::arrow::csv::Writer::new(&mut out);
        for b in batches {
            w.write(b)?;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A JSON array with one object per row.
pub fn json(batches: &[RecordBatch]) -> Result<String, ArrowError> {
    let mut out = Vec::new();
    {
        let mut w = datafusion::arrow::json::ArrayWriter::new(&mut out);
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        w.write_batches(&refs)?;
        w.finish()?;
    }
    if out.is_empty() {
        return Ok("[]".into());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
