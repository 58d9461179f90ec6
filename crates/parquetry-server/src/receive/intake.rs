//! What the receivers accepted and the store does not hold yet: each request is logged
//! to the write-ahead log and buffered, and the buffer is committed as one version every
//! flush interval, or sooner when enough samples wait. On start, the log's requests are
//! replayed and committed before anything is served; on shutdown, the buffer is
//! committed.

use super::wal::{Record, Wal};
use parquetry::Database;
use parquetry::model::MetricMetadata;
use parquetry::store::ingest::buffer::{DuplicateCounts, SeriesBuffer};
use parquetry::store::ingest::remote_write::{self, Protocol, RemoteWrite};
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
    /// Samples waiting that start a commit before the interval ends.
    pub flush_samples: usize,
    /// Samples waiting beyond which requests are refused with 429 until a commit.
    pub max_pending_samples: usize,
}

impl ReceiveConfig {
    /// The defaults, with the log in `wal_dir`: a commit every 5 seconds or 1 million
    /// samples, refusals past 10 million waiting.
    pub fn new(wal_dir: PathBuf) -> ReceiveConfig {
        ReceiveConfig {
            wal_dir,
            flush_interval: Duration::from_secs(5),
            flush_samples: 1_000_000,
            max_pending_samples: 10_000_000,
        }
    }
}

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Too much waits for a commit: the sender should retry later (HTTP 429).
    #[error("{0} samples are waiting to be committed, past the limit of {1}: retry later")]
    Overloaded(usize, usize),
    /// The write-ahead log could not be written (HTTP 500, retried by senders).
    #[error("the write-ahead log could not be written: {0}")]
    Log(std::io::Error),
}

/// The log's kind byte of each request type.
const REMOTE_WRITE_V1: u8 = 1;
const REMOTE_WRITE_V2: u8 = 2;

/// The buffer of accepted data and its log.
struct Pending {
    wal: Wal,
    buffer: SeriesBuffer,
    metadata: Vec<MetricMetadata>,
    samples: usize,
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
        let intake = Arc::new(Intake {
            db,
            config,
            pending: Mutex::new(Pending {
                wal,
                buffer: SeriesBuffer::default(),
                metadata: Vec::new(),
                samples: 0,
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
        buffer_records(&mut self.lock(), records)?;
        self.flush()
            .map_err(|e| format!("committing the write-ahead log's data: {e}"))?;
        Ok(())
    }

    /// Logs a checked remote write request (its body as received) and buffers its data;
    /// once this returns `Ok`, the data survives a crash.
    pub fn accept_remote_write(
        &self,
        protocol: Protocol,
        body: &[u8],
        write: &RemoteWrite,
    ) -> Result<(), Refusal> {
        let mut pending = self.lock();
        let waiting = pending.samples + write.samples() as usize;
        if waiting > self.config.max_pending_samples && pending.samples > 0 {
            return Err(Refusal::Overloaded(waiting, self.config.max_pending_samples));
        }
        let kind = match protocol {
            Protocol::V1 => REMOTE_WRITE_V1,
            Protocol::V2 => REMOTE_WRITE_V2,
        };
        pending.wal.append(kind, body).map_err(Refusal::Log)?;
        pending.add(write);
        if pending.samples >= self.config.flush_samples {
            self.full.notify_one();
        }
        Ok(())
    }

    /// Commits everything buffered as one version, then deletes the log files it
    /// covers; returns the samples committed. On an error the data stays logged and is
    /// buffered again for the next commit.
    pub fn flush(&self) -> Result<usize, String> {
        let _one_at_a_time = self.committing.lock().unwrap_or_else(|e| e.into_inner());
        let (series, metadata, samples, covered) = {
            let mut pending = self.lock();
            if pending.samples == 0 {
                return Ok(0);
            }
            let covered = pending
                .wal
                .rotate()
                .map_err(|e| format!("starting a new write-ahead log file: {e}"))?;
            let series = pending.buffer.take_sorted(&mut DuplicateCounts::default());
            let metadata = std::mem::take(&mut pending.metadata);
            let samples = std::mem::take(&mut pending.samples);
            (series, metadata, samples, covered)
        };
        let dir = &self.config.wal_dir;
        match self.db.write_samples(series, metadata, "remote-write") {
            Ok(_) => {
                Wal::remove_through(dir, covered)
                    .map_err(|e| format!("deleting committed write-ahead log files: {e}"))?;
                Ok(samples)
            }
            Err(e) => {
                // What the commit took is in the log files it would have covered.
                let records = Wal::records_through(dir, covered)
                    .map_err(|io| format!("{e}; reading the write-ahead log back: {io}"))?;
                buffer_records(&mut self.lock(), records)?;
                Err(e.to_string())
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
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
    fn add(&mut self, write: &RemoteWrite) {
        for (labels, points) in write.series() {
            let at = self.buffer.intern_sorted_pairs(labels);
            for &(t, v) in points {
                self.buffer.push(at, t, v);
            }
        }
        let fresh = parquetry::model::metadata::new_entries(&self.metadata, write.metadata.clone());
        self.metadata.extend(fresh);
        self.samples += write.samples() as usize;
    }
}

/// Buffers the data of log records, which were checked before they were logged.
fn buffer_records(pending: &mut Pending, records: Vec<Record>) -> Result<(), String> {
    for record in records {
        let protocol = match record.kind {
            REMOTE_WRITE_V1 => Protocol::V1,
            REMOTE_WRITE_V2 => Protocol::V2,
            other => {
                return Err(format!(
                    "the write-ahead log holds a record of unknown kind {other}"
                ));
            }
        };
        let unreadable = |e: remote_write::RemoteWriteError| format!("reading the write-ahead log: {e}");
        let decoded = remote_write::decode(protocol, &record.body).map_err(unreadable)?;
        pending.add(&decoded.read().map_err(unreadable)?);
    }
    Ok(())
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
