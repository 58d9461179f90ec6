//! What the receivers accepted and the store does not hold yet: each request is logged
//! to the write-ahead log and buffered, and the buffer (samples, log entries and spans
//! together) is committed as one version every flush interval, or sooner when enough
//! waits. On start, the log's requests are replayed and committed before anything is
//! served; on shutdown, the buffer is committed.

use super::payload::{self, Contents, Payload};
use super::wal::{Record, Wal};
use parquetry::logs::ingest::LogIngestOptions;
use parquetry::logs::ingest::entry_batch::EntryBatch;
use parquetry::model::MetricMetadata;
use parquetry::spans::Span;
use parquetry::store::ingest::buffer::{DuplicateCounts, SeriesBuffer};
use parquetry::store::ingest::otlp_metrics::OtlpMetrics;
use parquetry::store::ingest::remote_write::RemoteWrite;
use parquetry::{Database, WriteBatch};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// How the receivers batch and bound what they accept.
#[derive(Clone, Debug)]
pub struct ReceiveConfig {
    /// The write-ahead log's folder (local disk).
    pub wal_dir: PathBuf,
    /// Longest time accepted data waits before its commit.
    pub flush_interval: Duration,
    /// Samples waiting that start a commit before the interval ends (a log entry or a
    /// span counts as one sample).
    pub flush_samples: usize,
    /// Samples waiting beyond which requests are refused with 429 until a commit (a log
    /// entry or a span counts as one sample).
    pub max_pending_samples: usize,
    /// Bytes of request bodies waiting (as logged: remote write compressed, the others
    /// decompressed) that start a commit before the interval ends. Decoded spans and
    /// log entries take a few times their bodies' bytes, so this bounds their memory
    /// where counting them as samples does not.
    pub flush_bytes: usize,
    /// Bytes of request bodies waiting beyond which requests are refused with 429 until
    /// a commit.
    pub max_pending_bytes: usize,
    /// How pushed logs are completed: `service_name` and `detected_level` as Loki 3
    /// adds them, when asked for.
    pub logs: LogIngestOptions,
}

impl ReceiveConfig {
    /// The defaults, with the log in `wal_dir`: a commit every 5 seconds, or sooner at 1
    /// million samples or 64 MiB of bodies waiting; refusals past 10 million samples or
    /// 512 MiB.
    pub fn new(wal_dir: PathBuf) -> ReceiveConfig {
        ReceiveConfig {
            wal_dir,
            flush_interval: Duration::from_secs(5),
            flush_samples: 1_000_000,
            max_pending_samples: 10_000_000,
            flush_bytes: 64 << 20,
            max_pending_bytes: 512 << 20,
            logs: LogIngestOptions::default(),
        }
    }
}

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The body is not valid: nothing of it is kept, and senders should not retry it
    /// (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// Too much waits for a commit (what, and the bound it passes): the sender should
    /// retry later (HTTP 429).
    #[error("{0} are waiting to be committed, past the limit of {1}: retry later")]
    Overloaded(String, usize),
    /// The write-ahead log could not be written (HTTP 500, retried by senders).
    #[error("the write-ahead log could not be written: {0}")]
    Log(std::io::Error),
}

/// What an accepted request carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Samples, log entries or spans buffered.
    pub items: usize,
    /// Native histogram samples left out (not stored yet).
    pub histograms: u64,
    /// Exemplars left out (not stored yet).
    pub exemplars: u64,
    /// OTLP points left out (delta temporality, exponential histograms).
    pub rejected: u64,
    /// Why they were, each reason once, joined with `; `.
    pub rejection: String,
}

/// The buffer of accepted data and its log.
struct Pending {
    wal: Wal,
    buffer: SeriesBuffer,
    metadata: Vec<MetricMetadata>,
    logs: EntryBatch,
    spans: Vec<Span>,
    /// Samples, entries and spans buffered.
    items: usize,
    /// Bytes of their logged bodies.
    bytes: usize,
}

/// Accepted data on its way into the store.
pub struct Intake {
    db: Arc<Database>,
    config: ReceiveConfig,
    pending: Mutex<Pending>,
    /// Held by a commit in progress, so that commits happen one at a time.
    committing: Mutex<()>,
    /// Wakes the flusher when enough samples wait.
    full: Arc<tokio::sync::Notify>,
}

impl Intake {
    /// Opens the log, commits what it holds from before, and starts the flusher on the
    /// current Tokio runtime.
    pub fn start(db: Arc<Database>, config: ReceiveConfig) -> Result<Arc<Intake>, String> {
        let (wal, records) = Wal::open(&config.wal_dir)
            .map_err(|e| format!("opening the write-ahead log in {}: {e}", config.wal_dir.display()))?;
        let logs = EntryBatch::new(&config.logs).map_err(|e| e.to_string())?;
        let intake = Arc::new(Intake {
            db,
            config,
            pending: Mutex::new(Pending {
                wal,
                buffer: SeriesBuffer::default(),
                metadata: Vec::new(),
                logs,
                spans: Vec::new(),
                items: 0,
                bytes: 0,
            }),
            committing: Mutex::new(()),
            full: Arc::new(tokio::sync::Notify::new()),
        });
        intake.replay(records)?;
        tokio::spawn(flusher(
            Arc::downgrade(&intake),
            intake.full.clone(),
            intake.config.flush_interval,
        ));
        Ok(intake)
    }

    /// Buffers the log's records and commits them.
    fn replay(&self, records: Vec<Record>) -> Result<(), String> {
        self.buffer_records(records)?;
        self.flush()
            .map_err(|e| format!("committing the write-ahead log's data: {e}"))?;
        Ok(())
    }

    /// Reads `body` as `payload` says, checks all of it, logs it and buffers its data;
    /// once this returns `Ok`, the data survives a crash. An invalid body is refused
    /// whole, and nothing of it is logged or buffered.
    pub fn accept(&self, payload: Payload, body: &[u8]) -> Result<Accepted, Refusal> {
        payload::read(payload, body, &self.config.logs, |contents| {
            let mut accepted = Accepted {
                items: contents.items(),
                ..Accepted::default()
            };
            match &contents {
                Contents::Samples(write) => {
                    accepted.histograms = write.histograms;
                    accepted.exemplars = write.exemplars;
                }
                Contents::Metrics(metrics) => {
                    accepted.rejected = metrics.rejected;
                    accepted.rejection = metrics.reasons.join("; ");
                }
                Contents::Logs(_) | Contents::Spans(_) => {}
            }
            let mut pending = self.lock();
            if pending.items > 0 {
                let (items, bytes) = (pending.items + accepted.items, pending.bytes + body.len());
                let (max_items, max_bytes) = (self.config.max_pending_samples, self.config.max_pending_bytes);
                if items > max_items {
                    let what = format!("{items} samples, log entries and spans");
                    return Err(Refusal::Overloaded(what, max_items));
                }
                if bytes > max_bytes {
                    return Err(Refusal::Overloaded(
                        format!("{bytes} bytes of requests"),
                        max_bytes,
                    ));
                }
            }
            pending.wal.append(payload.byte(), body).map_err(Refusal::Log)?;
            pending.add(contents, body.len());
            if pending.items >= self.config.flush_samples || pending.bytes >= self.config.flush_bytes {
                self.full.notify_one();
            }
            Ok(accepted)
        })
        .map_err(Refusal::Invalid)?
    }

    /// Commits everything buffered as one version, then deletes the log files it
    /// covers; returns the samples, entries and spans committed. On an error the data stays logged and is
    /// buffered again for the next commit.
    pub fn flush(&self) -> Result<usize, String> {
        let _one_at_a_time = self.committing.lock().unwrap_or_else(|e| e.into_inner());
        let (batch, items, covered) = {
            let mut pending = self.lock();
            if pending.items == 0 {
                return Ok(0);
            }
            let covered = pending
                .wal
                .rotate()
                .map_err(|e| format!("starting a new write-ahead log file: {e}"))?;
            let batch = WriteBatch {
                series: pending.buffer.take_sorted(&mut DuplicateCounts::default()),
                metadata: std::mem::take(&mut pending.metadata),
                streams: pending.logs.take(),
                spans: std::mem::take(&mut pending.spans),
            };
            pending.bytes = 0;
            (batch, std::mem::take(&mut pending.items), covered)
        };
        let dir = &self.config.wal_dir;
        match self.db.write_batch(batch, "receive") {
            Ok(_) => {
                Wal::remove_through(dir, covered)
                    .map_err(|e| format!("deleting committed write-ahead log files: {e}"))?;
                Ok(items)
            }
            Err(e) => {
                // What the commit took is in the log files it would have covered.
                let records = Wal::records_through(dir, covered)
                    .map_err(|io| format!("{e}; reading the write-ahead log back: {io}"))?;
                self.buffer_records(records)?;
                Err(e.to_string())
            }
        }
    }

    /// Buffers the data of log records, which were checked before they were logged.
    fn buffer_records(&self, records: Vec<Record>) -> Result<(), String> {
        for record in records {
            let payload = Payload::from_byte(record.kind).ok_or_else(|| {
                format!(
                    "the write-ahead log holds a record of unknown kind {}",
                    record.kind
                )
            })?;
            payload::read(payload, &record.body, &self.config.logs, |contents| {
                self.lock().add(contents, record.body.len())
            })
            .map_err(|e| format!("reading the write-ahead log: {e}"))?;
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends this intake as a crash ends the process: nothing more is committed or
    /// flushed, and the log's folder is free for the next start.
    #[cfg(test)]
    pub fn crash(self: Arc<Self>) {
        let unlocked = self.lock().wal.unlock_as_a_crash_would();
        unlocked.expect("unlocking the write-ahead log");
        std::mem::forget(self);
    }
}

impl Drop for Intake {
    /// Commits what is buffered when the server stops (the log holds it either way).
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            log_line(
                "commit at shutdown failed; the write-ahead log keeps the data",
                &e,
            );
        }
    }
}

impl Pending {
    /// Buffers `contents`, read from a logged body of `bytes`.
    fn add(&mut self, contents: Contents, bytes: usize) {
        self.items += contents.items();
        self.bytes += bytes;
        match contents {
            Contents::Samples(write) => self.add_samples(&write),
            Contents::Metrics(metrics) => self.add_metrics(metrics),
            Contents::Logs(batch) => self.logs.absorb(batch),
            Contents::Spans(spans) => self.spans.extend(spans),
        }
    }

    fn add_samples(&mut self, write: &RemoteWrite) {
        for (labels, points) in write.series() {
            let at = self.buffer.intern_sorted_pairs(labels);
            for &(t, v) in points {
                self.buffer.push(at, t, v);
            }
        }
        self.declare(write.metadata.clone());
    }

    fn add_metrics(&mut self, metrics: OtlpMetrics) {
        for (labels, points) in metrics.series {
            let at = self.buffer.intern(None, labels);
            for (t, v) in points {
                self.buffer.push(at, t, v);
            }
        }
        self.declare(metrics.metadata);
    }

    /// Keeps the declarations not buffered yet.
    fn declare(&mut self, metadata: Vec<MetricMetadata>) {
        let fresh = parquetry::model::metadata::new_entries(&self.metadata, metadata);
        self.metadata.extend(fresh);
    }
}

/// Commits every `interval`, or when `full` says enough waits, until the intake is
/// gone.
async fn flusher(intake: Weak<Intake>, full: Arc<tokio::sync::Notify>, interval: Duration) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = full.notified() => {}
        }
        let Some(strong) = intake.upgrade() else {
            return;
        };
        match tokio::task::spawn_blocking(move || strong.flush()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log_line("commit failed; retried at the next flush", &e),
            Err(e) => log_line("commit failed; retried at the next flush", &e.to_string()),
        }
    }
}

/// One JSON line on standard error, as the request log writes them: what happened and
/// the detail.
pub fn log_line(message: &str, detail: &str) {
    crate::request_log::write_line(&serde_json::json!({ "msg": message, "detail": detail }));
}
