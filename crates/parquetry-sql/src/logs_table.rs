//! The `logs` table: every log entry of the store, one row each, read a data file at a
//! time with the WHERE clause's time range, label equality, `trace_id` and line
//! substrings applied by the store (which skips the row groups its filters rule out).

use crate::partitioned_scan::partitioned_scan;
use crate::pushdown::{Narrowing, filter_support};
use crate::schema::{LabelsBuilder, labels_type, nanosecond_timestamp_type};
use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use parquetry_logs::arrow_rows::stream_runs;
use parquetry_logs::entries_file::NANOS_PER_MS;
use parquetry_logs::read::{FileScan, LogQuery, LogStore, ScanCounts};
use parquetry_logs::schema::{index, metadata_type};
use std::sync::{Arc, LazyLock};

/// Column indexes of the `logs` table.
pub mod logs_columns {
    /// `timestamp`: nanoseconds, UTC.
    pub const TIMESTAMP: usize = 0;
    /// `line`.
    pub const LINE: usize = 1;
    /// `labels`: the stream's labels.
    pub const LABELS: usize = 2;
    /// `stream_id`.
    pub const STREAM_ID: usize = 3;
    /// `structured_metadata`.
    pub const STRUCTURED_METADATA: usize = 4;
    /// `trace_id`.
    pub const TRACE_ID: usize = 5;
    /// `span_id`.
    pub const SPAN_ID: usize = 6;
    /// `severity`.
    pub const SEVERITY: usize = 7;
    /// `severity_number`.
    pub const SEVERITY_NUMBER: usize = 8;
}

/// The `logs` table's schema.
pub fn logs_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new("timestamp", nanosecond_timestamp_type(), false),
            Field::new("line", DataType::Utf8, false),
            Field::new("labels", labels_type(), false),
            Field::new("stream_id", DataType::UInt64, false),
            Field::new("structured_metadata", metadata_type(), true),
            Field::new("trace_id", DataType::Utf8, true),
            Field::new("span_id", DataType::Utf8, true),
            Field::new("severity", DataType::Utf8, true),
            Field::new("severity_number", DataType::Int32, true),
        ]))
    });
    SCHEMA.clone()
}

/// The `logs` table over one snapshot's logs.
#[derive(Debug)]
pub struct LogsTable {
    logs: Arc<LogStore>,
}

impl LogsTable {
    /// The table over `logs`.
    pub fn new(logs: Arc<LogStore>) -> LogsTable {
        LogsTable { logs }
    }
}

fn storage(e: parquetry_store::StoreError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// What the store reads for a narrowing: times in nanoseconds, end exclusive.
fn query_of(n: &Narrowing) -> LogQuery {
    LogQuery {
        matchers: n.matchers.clone(),
        start: n.min_time.map_or(i64::MIN, |ms| ms.saturating_mul(NANOS_PER_MS)),
        end: n
            .max_time
            .map_or(i64::MAX, |ms| ms.saturating_add(1).saturating_mul(NANOS_PER_MS)),
        line_contains: n.line_contains.clone(),
        trace_id: n.trace_id.clone(),
        lines_only: false,
    }
}

/// One partition of a scan: every `of`-th planned file, from `index`.
#[derive(Clone, Debug)]
struct Partition {
    logs: Arc<LogStore>,
    query: LogQuery,
    files: Arc<Vec<FileScan>>,
    index: usize,
    of: usize,
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
}

impl Partition {
    fn read(&self, file: &FileScan) -> Result<Vec<RecordBatch>> {
        let mut counts = ScanCounts::default();
        let batches = self
            .logs
            .read_file(file, &self.query, &mut counts)
            .map_err(storage)?;
        batches.iter().map(|b| self.to_table(b)).collect()
    }

    /// A batch of entry columns as the table's (projected) columns.
    fn to_table(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        use logs_columns as col;
        let wanted: Vec<usize> = self.projection.clone().unwrap_or_else(|| (0..9).collect());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(wanted.len());
        for c in &wanted {
            let source = match *c {
                col::TIMESTAMP => index::TIMESTAMP,
                col::LINE => index::LINE,
                col::STREAM_ID => index::STREAM_ID,
                col::STRUCTURED_METADATA => index::STRUCTURED_METADATA,
                col::TRACE_ID => index::TRACE_ID,
                col::SPAN_ID => index::SPAN_ID,
                col::SEVERITY => index::SEVERITY,
                col::SEVERITY_NUMBER => index::SEVERITY_NUMBER,
                col::LABELS => {
                    arrays.push(self.labels_of(batch)?);
                    continue;
                }
                other => return Err(DataFusionError::Internal(format!("no logs column {other}"))),
            };
            arrays.push(batch.column(source).clone());
        }
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?)
    }

    /// The stream labels of every row, from runs of equal stream ids.
    fn labels_of(&self, batch: &RecordBatch) -> Result<ArrayRef> {
        let mut b = LabelsBuilder::new();
        for (id, rows) in stream_runs(batch) {
            let labels = self.logs.stream_labels(id).cloned().unwrap_or_default();
            b.append(&labels, rows.len());
        }
        Ok(b.finish()?)
    }
}

impl PartitionStream for Partition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let me = Arc::new(self.clone());
        let files: Vec<usize> = (self.index..self.files.len()).step_by(self.of).collect();
        let batches = files.into_iter().flat_map(move |i| match me.read(&me.files[i]) {
            Ok(batches) => batches.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

#[async_trait]
impl TableProvider for LogsTable {
    fn schema(&self) -> SchemaRef {
        logs_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filter_support(
            filters,
            |f| Narrowing::default().absorb(f),
            |_| false,
        ))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let narrowing = Narrowing::of(filters);
        let query = query_of(&narrowing);
        let files = Arc::new(self.logs.plan(&query).map_err(storage)?);
        partitioned_scan(state, logs_schema(), projection, |index, of, schema| {
            Arc::new(Partition {
                logs: self.logs.clone(),
                query: query.clone(),
                files: files.clone(),
                index,
                of,
                schema,
                projection: projection.cloned(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::SqlContext;
    use crate::test_support::logs_context;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    use parquetry_logs::{LogEntry, StreamEntries};
    use parquetry_model::Labels;

    const T0: i64 = 1_767_323_045_000_000_000; // 2026-01-02T03:04:05Z

    fn context(dir: &std::path::Path) -> SqlContext {
        let stream = |app: &str, n: i64| {
            let mut s = StreamEntries::new(Labels::from_pairs([("app", app), ("env", "prod")]));
            s.entries = (0..n)
                .map(|i| {
                    let mut e = LogEntry::new(T0 + i * 1_000_000_000, format!("GET /items/{i} status=200"));
                    e.trace_id = Some(format!("{:032x}", i));
                    e.metadata = vec![
                        ("trace_id".into(), format!("{:032x}", i)),
                        ("user".into(), "u1".into()),
                    ];
                    e
                })
                .collect();
            s
        };
        let mut rare = stream("api", 50_000);
        rare.entries[40_000].line = "payment failed: card declined".into();
        logs_context(dir, vec![rare, stream("worker", 10)])
    }

    fn count(ctx: &SqlContext, sql: &str) -> i64 {
        let batches = ctx.sql(sql).unwrap();
        batches[0].column(0).as_primitive::<Int64Type>().value(0)
    }

    #[test]
    fn filters_pushed_to_the_store_give_the_same_answers() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        assert_eq!(count(&ctx, "SELECT count(*) FROM logs"), 50_010);
        assert_eq!(
            count(&ctx, "SELECT count(*) FROM logs WHERE labels['app'] = 'worker'"),
            10
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM logs WHERE contains(line, 'card declined')"
            ),
            1
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM logs WHERE line LIKE '%payment%declined'"
            ),
            1
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM logs WHERE strpos(line, 'items/4999 ') > 0"
            ),
            1
        );
        let trace = format!("{:032x}", 7);
        assert_eq!(
            count(
                &ctx,
                &format!("SELECT count(*) FROM logs WHERE trace_id = '{trace}'")
            ),
            2
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM logs WHERE timestamp >= '2026-01-02T03:04:10Z' AND timestamp < '2026-01-02T03:04:15Z'"
            ),
            10
        );
    }

    #[test]
    fn rows_carry_labels_and_restored_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let batches = ctx
            .sql("SELECT labels['app'] AS app, structured_metadata['trace_id'] AS t, structured_metadata['user'] AS u, line FROM logs WHERE labels['app'] = 'worker' ORDER BY timestamp LIMIT 1")
            .unwrap();
        let b = &batches[0];
        let text = |c: usize| b.column(c).as_string::<i32>().value(0).to_string();
        assert_eq!(text(0), "worker");
        assert_eq!(text(1), format!("{:032x}", 0));
        assert_eq!(text(2), "u1");
        assert_eq!(text(3), "GET /items/0 status=200");
    }
}
