//! Writing spans back out, one `TracesData` per trace (per trace and file, when a trace
//! was stored by several writes), as OTLP/JSON lines or length-prefixed OTLP protobuf
//! messages, which ingest reads back as they were.

use crate::otlp_json::traces_data_json;
use crate::otlp_proto::encode_frame;
use crate::parts::SpanParts;
use crate::read::SpanStore;
use parquetry_table::error::{IngestError, Result, StoreError};
use std::io::Write;
use std::path::Path;

/// How spans are written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanExportFormat {
    /// OTLP/JSON, one `TracesData` per line.
    OtlpJson,
    /// OTLP protobuf, each `TracesData` after its length (4 bytes, big-endian).
    OtlpProto,
}

impl SpanExportFormat {
    /// The format named `otlp-json` (or `jsonl`) or `otlp-proto`.
    pub fn from_name(name: &str) -> std::result::Result<SpanExportFormat, String> {
        match name {
            "otlp-json" | "jsonl" => Ok(SpanExportFormat::OtlpJson),
            "otlp-proto" => Ok(SpanExportFormat::OtlpProto),
            other => Err(format!(
                "unknown spans export format {other:?}: expected otlp-json or otlp-proto"
            )),
        }
    }
}

/// Writes every span starting in `[start_ns, end_ns)` to `out` (named `name` in errors)
/// in `format`; returns how many spans.
pub fn export_spans(
    store: &SpanStore,
    start_ns: i64,
    end_ns: i64,
    format: SpanExportFormat,
    out: &mut dyn Write,
    name: &Path,
) -> std::result::Result<u64, IngestError> {
    let mut count = 0u64;
    let io = |source| StoreError::Io {
        path: name.to_path_buf(),
        source,
    };
    store.for_each_group(
        (start_ns, end_ns),
        &SpanParts::whole(),
        &mut |spans| -> Result<()> {
            for trace in spans.chunk_by(|a, b| a.trace_id == b.trace_id) {
                match format {
                    SpanExportFormat::OtlpJson => {
                        serde_json::to_writer(&mut *out, &traces_data_json(trace))
                            .map_err(|e| io(e.into()))?;
                        out.write_all(b"\n").map_err(io)?;
                    }
                    SpanExportFormat::OtlpProto => out.write_all(&encode_frame(trace)).map_err(io)?,
                }
                count += trace.len() as u64;
            }
            Ok(())
        },
    )?;
    out.flush().map_err(io)?;
    Ok(count)
}
