//! Parquetry's store: telemetry in Parquet files under one folder.
//!
//! A store holds a `series` table (who), `samples` files partitioned by UTC day and sorted
//! by (metric, series id, time) (what), and per-commit `directory` tables (where each
//! series' rows are), all named by a versioned manifest. [`Writer`] stages files and
//! publishes them atomically; [`Store`] opens a version, indexes its labels with roaring
//! bitmaps, and reads only the rows of the series a [`Selection`] chose.
//! `docs/storage-format.md` in the repository specifies the layout.

pub mod batch;
pub mod commit;
pub mod error;
pub mod export;
mod fsutil;
pub mod ingest;
pub mod label_index;
pub mod manifest;
mod metadata_tables;
pub mod read_stats;
mod samples_file;
pub mod schema;
pub mod select;
pub mod store;

pub use batch::{SelectedSeries, SeriesBatch, SeriesSamples};
pub use commit::{CommitStep, Writer};
pub use error::{Result, StoreError};
pub use ingest::{Format, IngestError, IngestOptions, IngestReport, ingest_files};
pub use manifest::Manifest;
pub use read_stats::ReadCounts;
pub use select::Selection;
pub use store::{SeriesInfo, Store};
