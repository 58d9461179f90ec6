//! Parquetry's table core: what every signal's store stands on.
//!
//! * [`storage`]: the one seam through which the store's files are read and written.
//! * [`manifest`]: a store version as typed tables of immutable segments.
//! * [`segment`]: staging one segment of a table (data files written by the signal
//!   crate, catalog and directory kept here); [`table_writer`] commits one.
//! * [`log`] and [`commit`]: versions as a log of small commit records, published with
//!   create-if-absent so that concurrent writers never lose a commit, and read back from
//!   the newest [`checkpoint`].
//! * [`checkpoint`]: checkpoints with merged catalogs, expiry of what they make
//!   unnecessary, and vacuum of unnamed files after a grace period.
//! * [`input`]: reading an ingest input line by line, for every signal.
//! * [`catalog`]: each table's label sets (metric series, log streams) with their
//!   roaring-bitmap [`label_index`] (Prometheus' matcher semantics) and the directory of
//!   where their rows are; [`scan`] reads those rows as Arrow record batches.
//!
//! `docs/storage-format.md` in the repository specifies the layout for readers in any
//! language.

pub mod catalog;
pub mod checkpoint;
pub mod commit;
pub mod error;
pub mod input;
pub mod label_index;
pub mod log;
pub mod maintenance;
pub mod manifest;
mod manifest_v1;
pub mod scan;
pub mod segment;
pub mod staged_parquet;
pub mod storage;
pub mod table_writer;

pub use catalog::{Catalog, CatalogEntry};
pub use error::{Result, StoreError};
pub use label_index::LabelIndex;
pub use log::{LogState, MergedCatalog};
pub use manifest::{Change, DataFile, Manifest, Segment, TableFolders, TableKind};
pub use segment::{CommitStep, RowsWritten, SegmentBuilder};
pub use storage::Storage;
pub use table_writer::{StagedSegment, TableWriter};

/// A new id that no other writer, here or on another machine, will draw: the time in
/// milliseconds (so ids sort roughly by age) and 64 random bits, in hex.
pub fn unique_id() -> String {
    let random = getrandom::u64().unwrap_or_else(|_| {
        // Without an entropy source, the clock's nanoseconds and the process id.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
        nanos ^ ((std::process::id() as u64) << 32)
    });
    format!("{:011x}{random:016x}", commit::now_ms())
}
