//! Export: the samples of a selection written back out in a row format.

use crate::error::{Result, io_err};
use crate::ingest::rows::{RowFormat, RowWriter};
use crate::select::Selection;
use std::io::Write;
use std::path::Path;

/// Writes every sample of `selection` to `out` in `format`, series by series in label
/// order, each series in time order. Returns the number of samples written. `name` labels
/// write errors.
pub fn export(mut selection: Selection<'_>, format: RowFormat, out: impl Write, name: &Path) -> Result<u64> {
    selection.sort_by_labels();
    let mut writer = RowWriter::new(format, out).map_err(io_err(name))?;
    let mut written = 0u64;
    for batch in selection.batches(crate::select::DEFAULT_BATCH_SERIES) {
        let batch = batch?;
        for (i, series) in batch.series.iter().enumerate() {
            let (ts, vs) = batch.samples(i);
            for (t, v) in ts.iter().zip(vs) {
                writer.write(&series.labels, *t, *v).map_err(io_err(name))?;
            }
            written += ts.len() as u64;
        }
    }
    writer.finish().map_err(io_err(name))?;
    Ok(written)
}
