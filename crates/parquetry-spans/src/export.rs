//! Writing spans back out as OTLP/JSON lines, one `TracesData` per trace (per trace and
//! file, when a trace was stored by several writes), which ingest reads back as they
//! were.

use crate::otlp_json::traces_data_json;
use crate::read::SpanStore;
use parquetry_table::error::{IngestError, Result, StoreError};
use std::io::Write;
use std::path::Path;

/// Writes every span starting in `[start_ns, end_ns)` to `out` (named `name` in errors)
/// as OTLP/JSON lines; returns how many spans.
pub fn export_spans(
    store: &SpanStore,
    start_ns: i64,
    end_ns: i64,
    out: &mut dyn Write,
    name: &Path,
) -> std::result::Result<u64, IngestError> {
    let mut count = 0u64;
    let io = |source| StoreError::Io {
        path: name.to_path_buf(),
        source,
    };
    store.for_each_group(start_ns, end_ns, &mut |spans| -> Result<()> {
        for trace in spans.chunk_by(|a, b| a.trace_id == b.trace_id) {
            serde_json::to_writer(&mut *out, &traces_data_json(trace)).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
            count += trace.len() as u64;
        }
        Ok(())
    })?;
    out.flush().map_err(io)?;
    Ok(count)
}
