//! Writing a new store version with spans: a spans segment staged through the table
//! core's [`TableWriter`], published with one commit record.

use parquetry_table::TableWriter;

/// A writer staging the spans of one commit (see [`TableWriter`]).
pub type SpansWriter = TableWriter<crate::segment::SpansSegment>;
