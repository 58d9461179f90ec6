//! Which signal an input file holds, told from its content.

use crate::Error;
use parquetry_logs::ingest::LogFormat;
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
}

impl Signal {
    /// `metrics` or `logs`, or a message naming both.
    pub fn from_name(name: &str) -> Result<Signal, String> {
        match name {
            "metrics" => Ok(Signal::Metrics),
            "logs" => Ok(Signal::Logs),
            other => Err(format!("unknown signal {other:?}: expected metrics or logs")),
        }
    }

    /// The signal of the file at `path` from its first non-empty line: Loki push bodies,
    /// OTLP logs and exported log entries are logs; everything else (OpenMetrics,
    /// Prometheus text, sample rows) is metrics. Plain log files (JSON, logfmt, text)
    /// cannot be told from metrics by content: name the signal for them. OTLP spans and
    /// metrics are refused with a clear error, as the store does not take them yet.
    pub fn detect(path: &Path) -> Result<Signal, Error> {
        let file = std::fs::File::open(path).map_err(|source| IngestError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let mut first = String::new();
        let mut reader = BufReader::new(file).take(1 << 20);
        let mut raw = Vec::new();
        while first.trim().is_empty() {
            raw.clear();
            if reader.read_until(b'\n', &mut raw).unwrap_or(0) == 0 {
                break;
            }
            first = String::from_utf8_lossy(&raw).into_owned();
        }
        let head = &first[..first.floor_char_boundary(256)];
        for (key, what) in [
            ("\"resourceSpans\"", "OTLP spans"),
            ("\"resourceMetrics\"", "OTLP metrics"),
        ] {
            if head.contains(key) {
                return Err(IngestError::Syntax {
                    file: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: format!("{what} cannot be ingested yet; this version stores metrics (text formats, rows) and logs"),
                }
                .into());
            }
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
        assert_eq!(detect("# TYPE up gauge\nup 1\n").unwrap(), Signal::Metrics);
        assert_eq!(
            detect("{\"metric\":\"up\",\"labels\":{},\"timestamp_ms\":1,\"value\":1}").unwrap(),
            Signal::Metrics
        );
        let err = detect("{\"resourceSpans\":[]}").unwrap_err().to_string();
        assert!(err.contains("OTLP spans cannot be ingested yet"), "{err}");
    }
}
