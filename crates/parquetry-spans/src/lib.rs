//! Parquetry's spans store, on the shared table core.
//!
//! * [`span`] and [`any_value`]: the model — OTLP's span with its resource, scope,
//!   events and links, attribute values typed as OTLP types them.
//! * [`schema`], [`promoted`], [`span_rows`] and [`spans_file`]: the spans files — one
//!   row per span, whole traces together in trace id order (so a trace is found by the
//!   row groups' trace id statistics), each trace's tree as parent indexes and
//!   nested-set numbers ([`structure`]), hot semantic-convention attributes in columns
//!   of their own.
//! * [`segment`] and [`writer`]: staging spans and committing them atomically; each
//!   resource's labels (as the logs store gives them) go to the shared catalog.
//! * [`read`] and [`decode`]: a trace by id, and every span of a time range, decoding
//!   only the [`parts`] of each span a reader wants;
//!   [`traces`]: whole traces, slice by slice of the trace id space, decoding only the
//!   traces that meet a query's [`prefilter`] needs.
//! * [`newest`]: traces newest first, decoded batch by batch only as far as a search
//!   needs them.
//! * [`compact`]: rewriting a day into one file, every trace whole in it.
//! * [`span_metrics`]: RED metrics from spans under Tempo's metrics-generator names.
//! * [`table_view`]: spans as a table for people and SQL (hex ids, words, timestamps).
//! * [`otlp_json`], [`otlp_proto`], [`ingest`] and [`export`]: OTLP/JSON and OTLP
//!   protobuf in and out.

pub mod any_value;
pub mod compact;
pub mod decode;
pub mod export;
pub mod ingest;
pub mod newest;
pub mod otlp_json;
pub mod otlp_proto;
pub mod parts;
pub mod prefilter;
pub mod promoted;
pub mod read;
pub mod schema;
pub mod segment;
pub mod span;
pub mod span_metrics;
pub mod span_rows;
pub mod spans_file;
pub mod structure;
pub mod table_view;
#[cfg(test)]
mod test_support;
pub mod traces;
pub mod writer;

pub use any_value::{AnyValue, Attribute};
pub use parts::SpanParts;
pub use read::SpanStore;
pub use span::{Span, SpanId, SpanKind, StatusCode, TraceId};
pub use structure::TraceTree;
pub use writer::SpansWriter;
