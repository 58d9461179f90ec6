//! Log entries read but not yet staged, grouped by stream: what every logs input (a
//! file being ingested, a push request being received) fills before its entries are
//! written. Stream labels are checked and completed here, the same way for every input.

use super::fields::{self, FieldNames};
use super::loki_push::PushBody;
use super::otlp::{self, LogsData};
use super::{LogIngestOptions, discover};
use crate::entry::{LogEntry, StreamEntries};
use crate::logfmt;
use parquetry_model::labels::is_legacy_label_name;
use parquetry_model::{Labels, SeriesId};
use parquetry_table::error::IngestError;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// A pushed entry: time in nanoseconds, line, structured metadata in the sender's order.
pub type PushedEntry = (i64, String, Vec<(String, String)>);

/// Entries by stream, with the options that complete their labels and metadata.
pub struct EntryBatch {
    streams: FxHashMap<SeriesId, StreamEntries>,
    plain: Option<(SeriesId, Arc<Labels>)>,
    weight: usize,
    entries: usize,
    line_bytes: u64,
    fields: FieldNames,
    service_name: bool,
    detected_level: bool,
}

impl EntryBatch {
    /// An empty batch for inputs read with `options` (their stream labels for plain
    /// lines, fields, `service_name` and `detected_level`); fails when those labels are
    /// not valid.
    pub fn new(options: &LogIngestOptions) -> Result<EntryBatch, IngestError> {
        let mut batch = EntryBatch {
            streams: FxHashMap::default(),
            plain: None,
            weight: 0,
            entries: 0,
            line_bytes: 0,
            fields: options.fields.clone(),
            service_name: options.service_name,
            detected_level: options.detected_level,
        };
        if !options.labels.is_empty() {
            let labels = batch
                .stream_labels(options.labels.iter().cloned())
                .map_err(|e| parquetry_table::StoreError::InvalidInput(format!("--label: {e}")))?;
            batch.plain = Some((SeriesId::of(&labels), labels));
        }
        Ok(batch)
    }

    /// Bytes the entries held take in memory, about.
    pub fn weight(&self) -> usize {
        self.weight
    }

    /// Entries held.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Bytes of the lines added since the batch was made.
    pub fn line_bytes(&self) -> u64 {
        self.line_bytes
    }

    /// Checks and completes a stream's labels: at least one, every name valid.
    fn stream_labels(&self, pairs: impl Iterator<Item = (String, String)>) -> Result<Arc<Labels>, String> {
        let pairs: Vec<(String, String)> = pairs.collect();
        if let Some((name, _)) = pairs.iter().find(|(n, _)| !is_legacy_label_name(n)) {
            return Err(format!("{name:?} is not a valid label name"));
        }
        let mut labels = Labels::from_pairs(pairs);
        if self.service_name {
            labels = discover::with_service_name(labels);
        }
        if labels.is_empty() {
            return Err("a stream needs at least one label with a value".to_string());
        }
        Ok(Arc::new(labels))
    }

    fn add(&mut self, id: SeriesId, labels: &Arc<Labels>, mut entry: LogEntry) {
        if self.detected_level
            && !entry.metadata.iter().any(|(k, _)| k == "detected_level")
            && let Some(level) = discover::detected_level(&entry)
        {
            entry
                .metadata
                .push(("detected_level".to_string(), level.to_string()));
        }
        self.weight += entry.weight();
        self.entries += 1;
        self.line_bytes += entry.line.len() as u64;
        self.streams
            .entry(id)
            .or_insert_with(|| StreamEntries {
                id,
                labels: labels.clone(),
                entries: Vec::new(),
            })
            .entries
            .push(entry);
    }

    /// Adds an entry of a plain log file to the stream the options name; fails when
    /// they name none.
    pub fn add_plain(&mut self, entry: LogEntry) -> Result<(), String> {
        let Some((id, labels)) = self.plain.clone() else {
            return Err("plain log files need stream labels (--label name=value)".to_string());
        };
        self.add(id, &labels, entry);
        Ok(())
    }

    /// Adds the entries of a Loki push body in JSON (times as decimal strings of
    /// nanoseconds).
    pub fn add_push(&mut self, body: PushBody) -> Result<(), String> {
        for stream in body.streams {
            let mut entries = Vec::with_capacity(stream.values.len());
            for value in stream.values {
                entries.push((push_timestamp(&value.timestamp)?, value.line, value.metadata));
            }
            self.add_pushed_stream(stream.stream.into_iter(), entries)?;
        }
        Ok(())
    }

    /// Adds one pushed stream: its labels, and its entries as (time in nanoseconds,
    /// line, structured metadata). Trace ids, span ids and severities are taken from the
    /// metadata, or else from the line's fields when the line is JSON or logfmt.
    pub fn add_pushed_stream(
        &mut self,
        labels: impl Iterator<Item = (String, String)>,
        entries: Vec<PushedEntry>,
    ) -> Result<(), String> {
        let labels = self.stream_labels(labels)?;
        let id = SeriesId::of(&labels);
        for (timestamp, line, metadata) in entries {
            let mut entry = LogEntry {
                timestamp,
                line,
                metadata,
                ..LogEntry::default()
            };
            self.fill_context(&mut entry);
            self.add(id, &labels, entry);
        }
        Ok(())
    }

    /// Adds the records of an OTLP `LogsData`, mapped to streams as Loki maps them.
    pub fn add_otlp(&mut self, data: LogsData) -> Result<(), String> {
        for (labels, entry) in otlp::entries_of(data)? {
            let labels = self.stream_labels(labels.iter().map(|l| (l.name.clone(), l.value.clone())))?;
            self.add(SeriesId::of(&labels), &labels, entry);
        }
        Ok(())
    }

    /// Adds an entry as `parquetry export` wrote it, with its stream's labels.
    pub fn add_exported(&mut self, labels: Vec<(String, String)>, entry: LogEntry) -> Result<(), String> {
        let labels = self.stream_labels(labels.into_iter())?;
        self.add(SeriesId::of(&labels), &labels, entry);
        Ok(())
    }

    /// Moves every entry of `other` into this batch.
    pub fn absorb(&mut self, other: EntryBatch) {
        self.weight += other.weight;
        self.entries += other.entries;
        self.line_bytes += other.line_bytes;
        for (id, stream) in other.streams {
            match self.streams.entry(id) {
                std::collections::hash_map::Entry::Occupied(mut held) => {
                    held.get_mut().entries.extend(stream.entries);
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(stream);
                }
            }
        }
    }

    /// The trace id, span id and severity of a pushed entry: from its structured metadata
    /// when there, else from the line's fields when the line is JSON or logfmt.
    fn fill_context(&self, entry: &mut LogEntry) {
        let metadata = std::mem::take(&mut entry.metadata);
        let from_metadata = |key: &str| metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        entry.trace_id = from_metadata("trace_id");
        entry.span_id = from_metadata("span_id");
        self.fields.fill_context(&metadata, entry);
        entry.metadata = metadata;
        if entry.trace_id.is_some() && entry.severity.is_some() {
            return;
        }
        // The fields borrow the line while the entry takes what they hold.
        let whole = std::mem::take(&mut entry.line);
        let line = whole.trim_start();
        if line.starts_with('{') {
            if let Ok(object) = fields::JsonFields::parse(line) {
                self.fields.fill_context(&object, entry);
            }
        } else if logfmt::looks_like_logfmt(line) {
            self.fields.fill_context(&logfmt::pairs(line), entry);
        }
        entry.line = whole;
    }

    /// Takes the entries held, by stream, leaving the batch empty (its line bytes
    /// still counted).
    pub fn take(&mut self) -> Vec<StreamEntries> {
        self.weight = 0;
        self.entries = 0;
        std::mem::take(&mut self.streams).into_values().collect()
    }
}

/// A push entry's time: nanoseconds since the epoch as a decimal string.
pub fn push_timestamp(text: &str) -> Result<i64, String> {
    text.parse::<i64>().map_err(|_| {
        format!("{text:?} is not a timestamp in nanoseconds since the epoch (or is out of range)")
    })
}
