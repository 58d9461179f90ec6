//! Parquetry's metrics store: samples in Parquet files, on the table core of
//! `parquetry-table`.
//!
//! The metrics table is made of segments: `samples` files partitioned by UTC day and
//! sorted by (metric, series id, time) (what), a `series` table (who) and a `directory`
//! table (where each series' rows are), named by the store's commit log. [`Writer`] stages
//! a segment and publishes it atomically; [`Store`] opens a version, indexes its labels
//! with roaring bitmaps, and reads only the rows of the series a [`Selection`] chose;
//! [`MetricsDays`] rewrites days for compaction and retention. `docs/storage-format.md` in the
//! repository specifies the layout.

pub mod batch;
pub mod commit;
pub mod compact;
pub mod export;
pub mod ingest;
pub mod read_stats;
mod samples_file;
pub mod schema;
pub mod segment;
pub mod select;
pub mod store;
#[cfg(test)]
mod test_files;

pub use parquetry_table::{Manifest, error, label_index};

pub use batch::{SelectedSeries, SeriesBatch, SeriesColumns, SeriesSamples};
pub use commit::Writer;
pub use compact::MetricsDays;
pub use error::{Result, StoreError};
pub use ingest::{Format, IngestError, IngestOptions, IngestReport, ingest_files};
pub use parquetry_table::CommitStep;
pub use read_stats::ReadCounts;
pub use select::Selection;
pub use store::{SeriesInfo, Store};
