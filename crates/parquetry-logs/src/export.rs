//! Writing entries back out: as Loki push bodies (what Loki's push API carries: labels,
//! time, line, structured metadata) or as entry JSON lines (everything the store keeps,
//! trace id, span id and severity included). `ingest` reads either back to the same
//! entries.

use crate::entry::{LogEntry, StreamEntries};
use crate::read::{FileScan, LogQuery, LogStore};
use parquetry_table::error::{Result, io_err};
use parquetry_table::segment::PARTITION_MS;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Values per stream in one exported push body.
const PUSH_VALUES_PER_BODY: usize = 1000;

/// The export formats of logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogExportFormat {
    /// Loki push bodies, one per line.
    LokiPush,
    /// One entry per line with its stream's labels.
    Jsonl,
}

impl LogExportFormat {
    /// The format named `loki-push` or `jsonl`, or a message naming both.
    pub fn from_name(name: &str) -> std::result::Result<LogExportFormat, String> {
        match name {
            "loki-push" => Ok(LogExportFormat::LokiPush),
            "jsonl" => Ok(LogExportFormat::Jsonl),
            other => Err(format!(
                "unknown logs export format {other:?}: expected loki-push or jsonl"
            )),
        }
    }
}

/// Pairs serialized as a JSON object, in their order.
struct Pairs<'a>(&'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One exported entry line.
#[derive(Serialize)]
struct EntryLine<'a> {
    labels: Pairs<'a>,
    timestamp: String,
    line: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    structured_metadata: Pairs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity_number: Option<i32>,
}

fn is_empty(p: &Pairs<'_>) -> bool {
    p.0.is_empty()
}

/// Writes the entries `query` selects, a UTC day at a time (memory holds one day's
/// selected entries), and returns how many it wrote. `name` names `out` in errors.
pub fn export_logs(
    store: &LogStore,
    query: &LogQuery,
    format: LogExportFormat,
    mut out: impl Write,
    name: &Path,
) -> Result<u64> {
    let mut days: BTreeMap<i64, Vec<FileScan>> = BTreeMap::new();
    for file in store.plan(query)? {
        days.entry(file.file.min_time.div_euclid(PARTITION_MS))
            .or_default()
            .push(file);
    }
    let mut written = 0;
    for files in days.values() {
        for stream in store.read_streams(files, query)? {
            written += stream.entries.len() as u64;
            write_stream(&stream, format, &mut out).map_err(io_err(name))?;
        }
    }
    out.flush().map_err(io_err(name))?;
    Ok(written)
}

fn write_stream(
    stream: &StreamEntries,
    format: LogExportFormat,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let labels: Vec<(String, String)> = stream
        .labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    match format {
        LogExportFormat::Jsonl => {
            for e in &stream.entries {
                let line = EntryLine {
                    labels: Pairs(&labels),
                    timestamp: e.timestamp.to_string(),
                    line: &e.line,
                    structured_metadata: Pairs(&e.metadata),
                    trace_id: e.trace_id.as_deref(),
                    span_id: e.span_id.as_deref(),
                    severity: e.severity.as_deref(),
                    severity_number: e.severity_number,
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
        }
        LogExportFormat::LokiPush => {
            for chunk in stream.entries.chunks(PUSH_VALUES_PER_BODY) {
                let body = PushOut {
                    streams: [PushStreamOut {
                        stream: Pairs(&labels),
                        values: chunk.iter().map(PushValueOut).collect(),
                    }],
                };
                serde_json::to_writer(&mut *out, &body)?;
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(())
}

/// A push body of one stream.
#[derive(Serialize)]
struct PushOut<'a> {
    streams: [PushStreamOut<'a>; 1],
}

#[derive(Serialize)]
struct PushStreamOut<'a> {
    stream: Pairs<'a>,
    values: Vec<PushValueOut<'a>>,
}

/// `["<ns>", "<line>"]`, with the metadata object third when there is any.
struct PushValueOut<'a>(&'a LogEntry);

impl Serialize for PushValueOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let e = self.0;
        let mut seq = s.serialize_seq(Some(if e.metadata.is_empty() { 2 } else { 3 }))?;
        seq.serialize_element(&e.timestamp.to_string())?;
        seq.serialize_element(&e.line)?;
        if !e.metadata.is_empty() {
            seq.serialize_element(&Pairs(&e.metadata))?;
        }
        seq.end()
    }
}
