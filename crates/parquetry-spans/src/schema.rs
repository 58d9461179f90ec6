//! The spans files' Arrow and Parquet layout (specified for other readers in
//! `docs/storage-format.md`).

use crate::promoted::{PROMOTED, PromotedType};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use std::sync::{Arc, LazyLock};

/// Column names of the spans files (the promoted attributes' columns, named in
/// [`PROMOTED`], sit between `service_name`'s successors and `attributes`).
pub mod columns {
    /// The trace id, 16 bytes.
    pub const TRACE_ID: &str = "trace_id";
    /// The span id, 8 bytes.
    pub const SPAN_ID: &str = "span_id";
    /// The parent's row within the trace's rows of the file (0 is the trace's first
    /// row); null for a root or when the parent is not in the file.
    pub const PARENT_INDEX: &str = "parent_index";
    /// The parent's id when the parent is not in the file; else null.
    pub const PARENT_SPAN_ID: &str = "parent_span_id";
    /// Nested-set number on entering the span in a depth-first walk of its trace.
    pub const NESTED_SET_LEFT: &str = "nested_set_left";
    /// Nested-set number on leaving the span.
    pub const NESTED_SET_RIGHT: &str = "nested_set_right";
    /// Start, ns since the epoch (UTC timestamp).
    pub const START_TIME: &str = "start_time";
    /// Length in ns.
    pub const DURATION_NS: &str = "duration_ns";
    /// The operation's name.
    pub const NAME: &str = "name";
    /// OTLP's span kind number.
    pub const KIND: &str = "kind";
    /// OTLP's status code number.
    pub const STATUS_CODE: &str = "status_code";
    /// The status message.
    pub const STATUS_MESSAGE: &str = "status_message";
    /// W3C trace state.
    pub const TRACE_STATE: &str = "trace_state";
    /// Trace flags.
    pub const FLAGS: &str = "flags";
    /// Span attributes that are not promoted.
    pub const ATTRIBUTES: &str = "attributes";
    /// Resource attributes that are not promoted.
    pub const RESOURCE_ATTRIBUTES: &str = "resource_attributes";
    /// The scope's name.
    pub const SCOPE_NAME: &str = "scope_name";
    /// The scope's version.
    pub const SCOPE_VERSION: &str = "scope_version";
    /// The scope's attributes.
    pub const SCOPE_ATTRIBUTES: &str = "scope_attributes";
    /// The span's events, as an OTLP/JSON array; null when none.
    pub const EVENTS: &str = "events";
    /// The span's links, as an OTLP/JSON array; null when none.
    pub const LINKS: &str = "links";
    /// Attributes the sender dropped.
    pub const DROPPED_ATTRIBUTES_COUNT: &str = "dropped_attributes_count";
    /// Events the sender dropped.
    pub const DROPPED_EVENTS_COUNT: &str = "dropped_events_count";
    /// Links the sender dropped.
    pub const DROPPED_LINKS_COUNT: &str = "dropped_links_count";
    /// Resource attributes the sender dropped.
    pub const RESOURCE_DROPPED_ATTRIBUTES_COUNT: &str = "resource_dropped_attributes_count";
    /// Scope attributes the sender dropped.
    pub const SCOPE_DROPPED_ATTRIBUTES_COUNT: &str = "scope_dropped_attributes_count";
    /// The resource spans' schema URL.
    pub const RESOURCE_SCHEMA_URL: &str = "resource_schema_url";
    /// The scope spans' schema URL.
    pub const SCOPE_SCHEMA_URL: &str = "scope_schema_url";
}

/// The file metadata key listing, comma-separated, the promoted columns that do not hold
/// every value of their key in that file (see
/// [`crate::span_rows::SpanRows::unpromoted_columns`]); empty when every column does.
/// Files written without it are read as if no promoted column could be trusted alone.
pub const UNPROMOTED_METADATA: &str = "parquetry.spans.unpromoted";

/// Spans per row group at most; a trace is never split between row groups, so a group
/// may pass this by one trace's spans.
pub const ROW_GROUP_SPANS: usize = 64 * 1024;

/// Rows per data page: small pages let a trace lookup decode little beyond the trace.
pub const PAGE_ROWS: usize = 4096;

/// The fields of an attribute map's entries: the key and one typed value, exactly one
/// of `string`, `int`, `double`, `bool` and `json` set (`json` holds OTLP/JSON's
/// AnyValue for arrays, key-value lists, bytes and empty values).
pub fn attribute_entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Struct(attribute_value_fields()), true),
    ])
}

/// The typed value struct of an attribute map.
pub fn attribute_value_fields() -> Fields {
    Fields::from(vec![
        Field::new("string", DataType::Utf8, true),
        Field::new("int", DataType::Int64, true),
        Field::new("double", DataType::Float64, true),
        Field::new("bool", DataType::Boolean, true),
        Field::new("json", DataType::Utf8, true),
    ])
}

/// The type of an attribute map column.
pub fn attributes_type() -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(attribute_entry_fields()),
            false,
        )),
        false,
    )
}

/// The schema of a spans file.
pub fn spans_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        use columns::*;
        let utf8 = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
        let mut fields = vec![
            Field::new(TRACE_ID, DataType::FixedSizeBinary(16), false),
            Field::new(SPAN_ID, DataType::FixedSizeBinary(8), false),
            Field::new(PARENT_INDEX, DataType::Int32, true),
            Field::new(PARENT_SPAN_ID, DataType::FixedSizeBinary(8), true),
            Field::new(NESTED_SET_LEFT, DataType::Int32, false),
            Field::new(NESTED_SET_RIGHT, DataType::Int32, false),
            Field::new(
                START_TIME,
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                false,
            ),
            Field::new(DURATION_NS, DataType::Int64, false),
            utf8(NAME, false),
            Field::new(KIND, DataType::Int8, false),
            Field::new(STATUS_CODE, DataType::Int8, false),
            utf8(STATUS_MESSAGE, false),
            utf8(TRACE_STATE, false),
            Field::new(FLAGS, DataType::UInt32, false),
        ];
        for p in &PROMOTED {
            let ty = match p.ty {
                PromotedType::String => DataType::Utf8,
                PromotedType::Int => DataType::Int64,
            };
            fields.push(Field::new(p.column, ty, true));
        }
        fields.extend([
            Field::new(ATTRIBUTES, attributes_type(), false),
            Field::new(RESOURCE_ATTRIBUTES, attributes_type(), false),
            utf8(SCOPE_NAME, false),
            utf8(SCOPE_VERSION, false),
            Field::new(SCOPE_ATTRIBUTES, attributes_type(), false),
            utf8(EVENTS, true),
            utf8(LINKS, true),
            Field::new(DROPPED_ATTRIBUTES_COUNT, DataType::UInt32, false),
            Field::new(DROPPED_EVENTS_COUNT, DataType::UInt32, false),
            Field::new(DROPPED_LINKS_COUNT, DataType::UInt32, false),
            Field::new(RESOURCE_DROPPED_ATTRIBUTES_COUNT, DataType::UInt32, false),
            Field::new(SCOPE_DROPPED_ATTRIBUTES_COUNT, DataType::UInt32, false),
            utf8(RESOURCE_SCHEMA_URL, false),
            utf8(SCOPE_SCHEMA_URL, false),
        ]);
        Arc::new(Schema::new(fields))
    });
    SCHEMA.clone()
}

/// The place of column `name` in [`spans_schema`].
pub fn column_index(name: &str) -> usize {
    spans_schema()
        .index_of(name)
        .expect("a column of the spans schema")
}

/// The places of columns `names` in [`spans_schema`], ascending and each once, as a
/// projection of a read takes them.
pub fn projection<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let mut out: Vec<usize> = names.into_iter().map(column_index).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Parquet settings of spans files: zstd, page statistics (the trace id's page index
/// finds a trace's pages), small pages, and no dictionary for the random span ids.
pub fn spans_writer_properties() -> WriterProperties {
    use columns::*;
    let mut builder = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("a valid zstd level"),
        ))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_max_row_group_row_count(None);
    for random in [SPAN_ID, PARENT_SPAN_ID] {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(random), false);
    }
    for sequence in [
        START_TIME,
        DURATION_NS,
        NESTED_SET_LEFT,
        NESTED_SET_RIGHT,
        PARENT_INDEX,
    ] {
        let path = ColumnPath::from(sequence);
        builder = builder
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
    }
    builder.build()
}
