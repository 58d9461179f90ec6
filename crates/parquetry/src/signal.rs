//! Which signal an input file holds, told from its content.

use crate::Error;
use parquetry_logs::ingest::LogFormat;
use parquetry_spans::otlp_proto::looks_binary;
use parquetry_store::IngestError;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The signals a store holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Metric samples.
    Metrics,
    /// Log entries.
    Logs,
    /// Spans.
    Spans,
}

impl Signal {
    /// `metrics`, `logs` or `spans`, or a message naming them.
    pub fn from_name(name: &str) -> Result<Signal, String> {
        match name {
            "metrics" => Ok(Signal::Metrics),
            "logs" => Ok(Signal::Logs),
            "spans" | "traces" => Ok(Signal::Spans),
            other => Err(format!(
                "unknown signal {other:?}: expected metrics, logs or spans"
            )),
        }
    }

    /// The signal of the file at `path` from its first non-empty line: Loki push bodies,
    /// OTLP logs and exported log entries are logs; OTLP traces are spans; everything
    /// else (OpenMetrics, Prometheus text, sample rows) is metrics. A binary file is
    /// taken for OTLP protobuf traces (the one protobuf input the store reads). Plain log files
    /// (JSON, logfmt, text) cannot be told from metrics by content: name the signal for
    /// them. OTLP metrics are refused with a clear error, as the store does not take
    /// them yet.
    pub fn detect(path: &Path) -> Result<Signal, Error> {
        let file = std::fs::File::open(path).map_err(|source| IngestError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let mut first = String::new();
        let mut reader = BufReader::new(file).take(1 << 20);
        if reader.fill_buf().is_ok_and(looks_binary) {
            return Ok(Signal::Spans);
        }
        let mut raw = Vec::new();
        while first.trim().is_empty() {
            raw.clear();
            if reader.read_until(b'\n', &mut raw).unwrap_or(0) == 0 {
                break;
            }
            first = String::from_utf8_lossy(&raw).into_owned();
        }
        let head = &first[..first.floor_char_boundary(256)];
        if head.contains("\"resourceSpans\"") {
            return Ok(Signal::Spans);
        }
        if head.contains("\"resourceMetrics\"") {
            return Err(IngestError::Syntax {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: "OTLP metrics cannot be ingested yet; this version stores metrics (text formats, rows), logs and spans".to_string(),
            }
            .into());
        }
        Ok(match LogFormat::detect(&first) {
            LogFormat::LokiPush | LogFormat::OtlpJson | LogFormat::Entries => Signal::Logs,
            _ => Signal::Metrics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Result<Signal, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in");
        std::fs::write(&path, text).unwrap();
        Signal::detect(&path)
    }

    #[test]
    fn tells_signals_from_content() {
        assert_eq!(detect("\n{\"streams\":[]}\n").unwrap(), Signal::Logs);
        assert_eq!(detect("{\"resourceLogs\":[]}").unwrap(), Signal::Logs);
        assert_eq!(
            detect("\n\u{12}\u{8}binary").unwrap(),
            Signal::Spans,
            "OTLP protobuf"
        );
        assert_eq!(detect("# TYPE up gauge\nup 1\n").unwrap(), Signal::Metrics);
        assert_eq!(
            detect("{\"metric\":\"up\",\"labels\":{},\"timestamp_ms\":1,\"value\":1}").unwrap(),
            Signal::Metrics
        );
        assert_eq!(detect("{\"resourceSpans\":[]}").unwrap(), Signal::Spans);
        let err = detect("{\"resourceMetrics\":[]}").unwrap_err().to_string();
        assert!(err.contains("OTLP metrics cannot be ingested yet"), "{err}");
    }
}
