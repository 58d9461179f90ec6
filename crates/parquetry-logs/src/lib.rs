//! Parquetry's logs store, on the shared table core.
//!
//! * [`entry`]: the model — a stream is a label set, as in Loki; an entry is a
//!   nanosecond timestamp, the line (kept exactly), structured metadata, and the trace
//!   id, span id and severity when the source carries them.
//! * [`schema`], [`entries_file`] and [`line_filter`]: the entries files — one per UTC
//!   day and segment, rows sorted by stream then time, zstd with the page index, and a
//!   filter per row group (trigrams and whole tokens of the lines, trace ids) that line
//!   substring and trace id searches skip row groups by.
//! * [`segment`] and [`writer`]: staging entries and committing them atomically; stream
//!   labels go to the shared catalog with its label index.
//! * [`read`]: selecting streams with Prometheus' matcher semantics and reading their
//!   entries, skipping row groups the filters rule out; [`read_pieces`] cuts a read in
//!   pieces of about a row group for parallel readers, which get [`stream_batch`]es:
//!   a stream's rows as Arrow columns.
//! * [`compact`] and [`day_pieces`]: rewriting a day into one file, for compaction and
//!   retention, in pieces of bounded size.
//! * [`ingest`]: Loki push bodies, OTLP/JSON logs and plain log files (JSON, logfmt,
//!   text); [`export`] writes entries back out as Loki push bodies or JSON lines.

pub mod arrow_rows;
pub mod compact;
pub mod day_pieces;
pub mod entries_file;
pub mod entry;
pub mod export;
pub mod ingest;
pub mod line_filter;
pub mod logfmt;
pub mod read;
pub mod read_pieces;
pub mod schema;
pub mod segment;
pub mod stream_batch;
pub mod writer;

pub use entry::{LogEntry, StreamEntries};
pub use read::{LogQuery, LogStore, ScanCounts};
pub use read_pieces::ReadPiece;
pub use stream_batch::{EntryColumns, StreamBatch};
pub use writer::LogsWriter;
