//! The columns of a log entries file and how they are encoded.

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use std::sync::{Arc, LazyLock};

/// Column names of a log entries file, in file order.
pub mod columns {
    /// `UInt64`: the stream's id; rows are sorted by stream (in label order), then time.
    pub const STREAM_ID: &str = "stream_id";
    /// `Timestamp(ns, UTC)`: the entry's time.
    pub const TIMESTAMP: &str = "timestamp";
    /// `Utf8`: the line, exactly as received.
    pub const LINE: &str = "line";
    /// `Map<Utf8, Utf8>`, null when empty: structured metadata.
    pub const STRUCTURED_METADATA: &str = "structured_metadata";
    /// `Utf8`, nullable: the trace id, unless [`TRACE_ID_IN_LINE`] locates it in the line
    /// (the line filter holds it either way).
    pub const TRACE_ID: &str = "trace_id";
    /// `Utf8`, nullable: the span id, unless [`SPAN_ID_IN_LINE`] locates it in the line.
    pub const SPAN_ID: &str = "span_id";
    /// `Utf8`, nullable: the severity as the source named it.
    pub const SEVERITY: &str = "severity";
    /// `Int32`, nullable: OpenTelemetry's severity number.
    pub const SEVERITY_NUMBER: &str = "severity_number";
    /// `Int64`, nullable: where the line holds the trace id, as `start · 2³² + length` in
    /// bytes; the trace id column is then null. An id a JSON or logfmt line carries is
    /// stored once, in the line.
    pub const TRACE_ID_IN_LINE: &str = "trace_id_in_line";
    /// `Int64`, nullable: where the line holds the span id, as for the trace id.
    pub const SPAN_ID_IN_LINE: &str = "span_id_in_line";
    /// `Binary`: the row group's line filter on the row group's first row, null on every
    /// other row (see `line_filter`).
    pub const LINE_FILTER: &str = "line_filter";
}

/// Index of each column in [`entries_schema`].
pub mod index {
    /// [`super::columns::STREAM_ID`].
    pub const STREAM_ID: usize = 0;
    /// [`super::columns::TIMESTAMP`].
    pub const TIMESTAMP: usize = 1;
    /// [`super::columns::LINE`].
    pub const LINE: usize = 2;
    /// [`super::columns::STRUCTURED_METADATA`].
    pub const STRUCTURED_METADATA: usize = 3;
    /// [`super::columns::TRACE_ID`].
    pub const TRACE_ID: usize = 4;
    /// [`super::columns::SPAN_ID`].
    pub const SPAN_ID: usize = 5;
    /// [`super::columns::SEVERITY`].
    pub const SEVERITY: usize = 6;
    /// [`super::columns::SEVERITY_NUMBER`].
    pub const SEVERITY_NUMBER: usize = 7;
    /// [`super::columns::TRACE_ID_IN_LINE`].
    pub const TRACE_ID_IN_LINE: usize = 8;
    /// [`super::columns::SPAN_ID_IN_LINE`].
    pub const SPAN_ID_IN_LINE: usize = 9;
    /// [`super::columns::LINE_FILTER`].
    pub const LINE_FILTER: usize = 10;
    /// The stored columns a reader of only times, lines and structured metadata reads.
    pub const LINE_COLUMNS: [usize; 4] = [0, 1, 2, 3];
    /// The stored columns that entries are read from (all but the filter).
    pub const STORED_ENTRY_COLUMNS: [usize; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    /// How many columns an entry batch has ([`super::entry_batch_schema`]): the first
    /// ones of the file, ids restored.
    pub const ENTRY_COLUMN_COUNT: usize = 8;
}

/// A row group closes after this many rows …
pub const ROW_GROUP_ROWS: usize = 32 * 1024;
/// … or once its lines hold this many bytes, whichever comes first: the unit that the
/// line filter lets a search skip.
pub const ROW_GROUP_LINE_BYTES: usize = 4 << 20;

/// The key and value fields of the structured metadata map.
pub fn metadata_entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ])
}

/// The Arrow type of the structured metadata column.
pub fn metadata_type() -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(metadata_entry_fields()),
            false,
        )),
        false,
    )
}

/// The schema of a log entries file.
pub fn entries_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new(columns::STREAM_ID, DataType::UInt64, false),
            Field::new(
                columns::TIMESTAMP,
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                false,
            ),
            Field::new(columns::LINE, DataType::Utf8, false),
            Field::new(columns::STRUCTURED_METADATA, metadata_type(), true),
            Field::new(columns::TRACE_ID, DataType::Utf8, true),
            Field::new(columns::SPAN_ID, DataType::Utf8, true),
            Field::new(columns::SEVERITY, DataType::Utf8, true),
            Field::new(columns::SEVERITY_NUMBER, DataType::Int32, true),
            Field::new(columns::TRACE_ID_IN_LINE, DataType::Int64, true),
            Field::new(columns::SPAN_ID_IN_LINE, DataType::Int64, true),
            Field::new(columns::LINE_FILTER, DataType::Binary, true),
        ]))
    });
    SCHEMA.clone()
}

/// The schema of the entry batches reads return: the file's first
/// [`index::ENTRY_COLUMN_COUNT`] columns, with every trace and span id in its column.
pub fn entry_batch_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let all: Vec<usize> = (0..index::ENTRY_COLUMN_COUNT).collect();
        Arc::new(entries_schema().project(&all).expect("the entry columns exist"))
    });
    SCHEMA.clone()
}

/// How log entries files are written: zstd level 3, page statistics and the page index,
/// times delta-encoded, lines without a dictionary or statistics (a line's prefix prunes
/// nothing; the line filter column prunes instead) and at zstd level 6, which stores
/// lines about a fifth smaller than level 3 for little ingest time (parsing dominates),
/// and the filters uncompressed (they are random bits).
pub fn entries_writer_properties() -> WriterProperties {
    let ts = ColumnPath::from(columns::TIMESTAMP);
    let line = ColumnPath::from(columns::LINE);
    let trace = ColumnPath::from(columns::TRACE_ID);
    let span = ColumnPath::from(columns::SPAN_ID);
    let filter = ColumnPath::from(columns::LINE_FILTER);
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("a valid zstd level"),
        ))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_column_dictionary_enabled(ts.clone(), false)
        .set_column_encoding(ts, Encoding::DELTA_BINARY_PACKED)
        .set_column_dictionary_enabled(line.clone(), false)
        .set_column_compression(
            line.clone(),
            Compression::ZSTD(ZstdLevel::try_new(6).expect("a valid zstd level")),
        )
        .set_column_statistics_enabled(line, EnabledStatistics::None)
        .set_column_dictionary_enabled(trace, false)
        .set_column_dictionary_enabled(span, false)
        .set_column_dictionary_enabled(filter.clone(), false)
        .set_column_compression(filter.clone(), Compression::UNCOMPRESSED)
        .set_column_statistics_enabled(filter, EnabledStatistics::None)
        .build()
}
