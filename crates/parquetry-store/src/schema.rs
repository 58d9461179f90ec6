//! The Arrow schema of the metrics table's samples files and the Parquet settings they
//! are written with (the series and directory tables are the table core's catalog
//! tables). `docs/storage-format.md` describes the same layout for readers outside Rust.

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use std::sync::{Arc, LazyLock};

/// Column names of the `samples` table, in file order.
pub mod samples {
    /// Metric name (dictionary encoded; files are sorted by it first).
    pub const METRIC: &str = "metric";
    /// Stable series id (see `parquetry_model::SeriesId`).
    pub const SERIES_ID: &str = "series_id";
    /// Sample time, int64 milliseconds since the epoch.
    pub const TIMESTAMP: &str = "timestamp";
    /// Sample value, float64 with NaN payloads kept bit-exactly.
    pub const VALUE: &str = "value";
    /// Index of the timestamp column.
    pub const TIMESTAMP_INDEX: usize = 2;
    /// Index of the value column.
    pub const VALUE_INDEX: usize = 3;
}

/// Schema of a samples file.
pub fn samples_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new(
                samples::METRIC,
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                false,
            ),
            Field::new(samples::SERIES_ID, DataType::UInt64, false),
            Field::new(samples::TIMESTAMP, DataType::Int64, false),
            Field::new(samples::VALUE, DataType::Float64, false),
        ]))
    });
    SCHEMA.clone()
}

/// Rows per data page in samples files. Compression works page by page, so large pages
/// compress values much better (1.46 against 1.63 bytes/sample at 8,192 rows on the demo
/// data), while the page index still lets a read of a few series skip all but one or two
/// pages per series.
pub const SAMPLES_PAGE_ROWS: usize = 65_536;

/// Rows per row group in samples files.
pub const SAMPLES_ROW_GROUP_ROWS: usize = 1 << 20;

/// zstd level of samples files: level 6 saves about 4% over level 3 on values and still
/// compresses far faster than ingest parses.
fn samples_zstd() -> Compression {
    Compression::ZSTD(ZstdLevel::try_new(6).expect("zstd level 6 is valid"))
}

/// Writer settings for samples files: delta-packed timestamps, byte-stream-split values,
/// run-length dictionaries for the sorted metric and series columns, zstd, and page-level
/// statistics so that readers get a page index.
pub fn samples_writer_properties() -> WriterProperties {
    let ts = ColumnPath::from(samples::TIMESTAMP);
    let value = ColumnPath::from(samples::VALUE);
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(samples_zstd())
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_data_page_row_count_limit(SAMPLES_PAGE_ROWS)
        .set_write_batch_size(SAMPLES_PAGE_ROWS)
        .set_data_page_size_limit(SAMPLES_PAGE_ROWS * 16)
        .set_max_row_group_row_count(Some(SAMPLES_ROW_GROUP_ROWS))
        .set_column_dictionary_enabled(ts.clone(), false)
        .set_column_encoding(ts, Encoding::DELTA_BINARY_PACKED)
        .set_column_dictionary_enabled(value.clone(), false)
        .set_column_encoding(value, Encoding::BYTE_STREAM_SPLIT)
        .build()
}
