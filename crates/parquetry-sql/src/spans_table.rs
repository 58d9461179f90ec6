//! The `spans` table: every stored span, one row each, with the columns of
//! [`view_schema`] (hex ids, kinds and statuses as words, UTC times, attribute maps and
//! the promoted attributes). A WHERE clause's `start_time` range skips the files outside
//! it, and `trace_id = '…'` reads only the row groups whose trace id statistics admit the
//! trace, so a join on trace id from the logs does not scan the spans. Conditions on the
//! service, name, kind, status, duration and promoted attributes are tested on their
//! columns first, and only the traces with a span meeting them are decoded (see
//! [`SpanNarrowing`]); of those, only the columns the query reads.

use crate::partitioned_scan::partitioned_scan;
use crate::pushdown::filter_support;
use crate::spans_narrowing::SpanNarrowing;
use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use parquetry_spans::read::SpansFile;
use parquetry_spans::table_view::{view_batch, view_parts, view_schema};
use parquetry_spans::{SpanParts, SpanStore, TraceId};
use std::ops::Range;
use std::sync::Arc;

const NANOS_PER_MS: i64 = 1_000_000;

/// The `spans` table over one snapshot's spans.
#[derive(Debug)]
pub struct SpansTable {
    spans: Arc<SpanStore>,
}

impl SpansTable {
    /// The table over `spans`.
    pub fn new(spans: Arc<SpanStore>) -> SpansTable {
        SpansTable { spans }
    }
}

/// One partition of a scan: every `of`-th file that may hold wanted spans, from `index`.
#[derive(Clone, Debug)]
struct Partition {
    spans: Arc<SpanStore>,
    narrowing: SpanNarrowing,
    files: Arc<Vec<SpansFile>>,
    index: usize,
    of: usize,
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
    /// What of each span the projection shows.
    parts: SpanParts,
}

fn storage(e: parquetry_store::StoreError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl Partition {
    /// The row groups of `file` to read.
    fn groups(&self, file: &SpansFile) -> Result<Vec<Range<u64>>> {
        let (low, high) = match self.narrowing.trace_id {
            Some(id) => (id, id),
            None => (TraceId([0; 16]), TraceId([0xff; 16])),
        };
        self.spans.row_groups_between(file, low, high).map_err(storage)
    }

    /// The wanted spans of one row group as the table's (projected) columns.
    fn read(&self, file: &SpansFile, group: Range<u64>) -> Result<RecordBatch> {
        let n = &self.narrowing;
        let ranges = if n.needs.is_empty() {
            vec![group]
        } else {
            let bounds = n
                .trace_id
                .map_or((TraceId([0; 16]), TraceId([0xff; 16])), |id| (id, id));
            let mut met = self
                .spans
                .rows_meeting_in(&[file], &[vec![group]], bounds, &n.needs)
                .map_err(storage)?;
            met.pop().unwrap_or_default()
        };
        let mut spans = if ranges.is_empty() {
            Vec::new()
        } else {
            self.spans
                .read_rows(file, &ranges, &self.parts)
                .map_err(storage)?
        };
        let from = n.min_time.map_or(i64::MIN, |ms| ms.saturating_mul(NANOS_PER_MS));
        let to = n
            .max_time
            .map_or(i64::MAX, |ms| ms.saturating_add(1).saturating_mul(NANOS_PER_MS));
        spans.retain(|s| (from..to).contains(&s.start) && n.trace_id.is_none_or(|id| s.trace_id == id));
        let batch = view_batch(&spans)?;
        Ok(match &self.projection {
            Some(p) => batch.project(p)?,
            None => batch,
        })
    }
}

impl PartitionStream for Partition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let me = Arc::new(self.clone());
        let files: Vec<usize> = (self.index..self.files.len()).step_by(self.of).collect();
        let batches = files.into_iter().flat_map(move |i| {
            let me = me.clone();
            let file = me.files[i].clone();
            let groups = match me.groups(&file) {
                Ok(groups) => groups,
                Err(e) => return vec![Err(e)].into_iter(),
            };
            let batches: Vec<Result<RecordBatch>> = groups
                .into_iter()
                .map(|g| me.read(&file, g))
                .filter(|b| b.as_ref().map_or(true, |b| b.num_rows() > 0))
                .collect();
            batches.into_iter()
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

#[async_trait]
impl TableProvider for SpansTable {
    fn schema(&self) -> SchemaRef {
        view_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filter_support(
            filters,
            |f| SpanNarrowing::default().absorb(f),
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
        let narrowing = SpanNarrowing::of(filters);
        let files: Vec<SpansFile> = self
            .spans
            .files()
            .iter()
            .filter(|f| {
                narrowing.min_time.is_none_or(|t| f.max_time >= t)
                    && narrowing.max_time.is_none_or(|t| f.min_time <= t)
            })
            .cloned()
            .collect();
        let files = Arc::new(files);
        let parts = view_parts(projection.map(Vec::as_slice));
        partitioned_scan(state, view_schema(), projection, |index, of, schema| {
            Arc::new(Partition {
                spans: self.spans.clone(),
                narrowing: narrowing.clone(),
                files: files.clone(),
                index,
                of,
                schema,
                projection: projection.cloned(),
                parts: parts.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::SqlContext;
    use crate::test_support::logs_context;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    use parquetry_logs::{LogEntry, StreamEntries};
    use parquetry_model::Labels;
    use parquetry_spans::SpanStore;
    use parquetry_spans::ingest::{SpanIngestOptions, ingest_span_reader};
    use parquetry_table::Storage;
    use std::path::Path;
    use std::sync::Arc;

    const T0: i64 = 1_767_323_045_000_000_000; // 2026-01-02T03:04:05Z

    /// One OTLP/JSON line: span `span` of trace `trace` in `service`.
    fn line(trace: u32, span: u32, parent: Option<u32>, service: &str, status: u8, start_ms: i64) -> String {
        let parent = parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p:016x}","#));
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{trace:032x}","spanId":"{span:016x}",{parent}"name":"op{span}","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","status":{{"code":{status}}},"attributes":[{{"key":"http.route","value":{{"stringValue":"/r{span}"}}}}]}}]}}]}}]}}"#,
            T0 + start_ms * 1_000_000,
            T0 + (start_ms + 5) * 1_000_000,
        )
    }

    /// Logs of two traces, and 200 traces of spans (trace 7 failing in `payment`).
    fn context(dir: &Path) -> SqlContext {
        let mut stream = StreamEntries::new(Labels::from_pairs([("app", "shop")]));
        stream.entries = [7u32, 8]
            .iter()
            .map(|&t| {
                let mut e = LogEntry::new(T0 + 1_000_000, format!("handling trace {t}"));
                e.trace_id = Some(format!("{t:032x}"));
                e.span_id = Some(format!("{:016x}", t * 10 + 1));
                e
            })
            .collect();
        let ctx = logs_context(dir, vec![stream]);
        let mut text = String::new();
        for t in 1..=200u32 {
            let status = if t == 7 { 2 } else { 0 };
            text += &line(t, t * 10, None, "frontend", 0, i64::from(t));
            text.push('\n');
            text += &line(t, t * 10 + 1, Some(t * 10), "payment", status, i64::from(t) + 1);
            text.push('\n');
        }
        let storage = Storage::local(dir);
        ingest_span_reader(
            &storage,
            Path::new("spans.jsonl"),
            text.as_bytes(),
            &SpanIngestOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        ctx.register_spans(Arc::new(SpanStore::open(&storage).unwrap()))
            .unwrap();
        ctx
    }

    fn count(ctx: &SqlContext, sql: &str) -> i64 {
        let batches = ctx.sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        batches[0].column(0).as_primitive::<Int64Type>().value(0)
    }

    #[test]
    fn spans_read_with_their_filters_and_join_the_logs() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        assert_eq!(count(&ctx, "SELECT count(*) FROM spans"), 400);
        assert_eq!(
            count(&ctx, "SELECT count(*) FROM spans WHERE status_code = 'error'"),
            1
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM spans WHERE start_time >= '2026-01-02T03:04:05.100Z' AND start_time < '2026-01-02T03:04:05.110Z'"
            ),
            20
        );
        let trace = format!("{:032x}", 7);
        let batches = ctx
            .sql(&format!(
                "SELECT name, kind, service_name, parent_span_id, http_route, duration_ns FROM spans WHERE trace_id = '{trace}' ORDER BY start_time"
            ))
            .unwrap();
        let b = &batches[0];
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(0).as_string::<i32>().value(1), "op71");
        assert_eq!(b.column(1).as_string::<i32>().value(1), "server");
        assert_eq!(b.column(2).as_string::<i32>().value(1), "payment");
        assert!(b.column(3).is_null(0));
        assert_eq!(b.column(3).as_string::<i32>().value(1), format!("{:016x}", 70));
        assert_eq!(b.column(4).as_string::<i32>().value(1), "/r71");
        assert_eq!(b.column(5).as_primitive::<Int64Type>().value(1), 5_000_000);
        let joined = ctx
            .sql("SELECT l.line, s.name, s.status_code FROM logs l JOIN spans s ON l.trace_id = s.trace_id AND l.span_id = s.span_id ORDER BY l.line")
            .unwrap();
        let b = &joined[0];
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(1).as_string::<i32>().value(0), "op71");
        assert_eq!(b.column(2).as_string::<i32>().value(0), "error");
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM spans WHERE attributes['http.route'] = '/r71'"
            ),
            1
        );
    }

    #[test]
    fn narrowed_scans_find_what_full_scans_find() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        for (filter, want) in [
            ("service_name = 'payment'", 200),
            ("service_name IN ('payment', 'frontend')", 400),
            ("service_name = 'unknown_service'", 0),
            ("name = 'op71'", 1),
            ("kind = 'server'", 400),
            ("status_code = 'error'", 1),
            ("status_code = 'error' AND service_name = 'frontend'", 0),
            ("duration_ns > 4000000", 400),
            ("5000000 > duration_ns", 0),
            ("http_route = '/r71'", 1),
            ("http_route IN ('/r71', '/r80', '/none')", 2),
            ("status_message = ''", 400),
        ] {
            // A CASE over every row is not pushed down: the same rows, counted by
            // DataFusion alone.
            let full = count(
                &ctx,
                &format!("SELECT CAST(sum(CASE WHEN {filter} THEN 1 ELSE 0 END) AS BIGINT) FROM spans"),
            );
            let narrowed = count(&ctx, &format!("SELECT count(*) FROM spans WHERE {filter}"));
            assert_eq!((narrowed, full), (want, want), "{filter}");
        }
    }

    #[test]
    fn traceql_is_a_table_function() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let found = ctx
            .sql("SELECT trace_id, name, root_service_name FROM traceql('{ status = error }', '2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z')")
            .unwrap();
        let b = &found[0];
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.column(0).as_string::<i32>().value(0), format!("{:032x}", 7));
        assert_eq!(b.column(2).as_string::<i32>().value(0), "frontend");
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM traceql('{ resource.service.name = \"frontend\" } > {}', '2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z') t JOIN logs l ON l.trace_id = t.trace_id"
            ),
            2
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT CAST(sum(value) AS BIGINT) FROM traceql('{} | count_over_time() by (resource.service.name)', '2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z', '1m')"
            ),
            400
        );
        for (sql, message) in [
            (
                "SELECT * FROM traceql('{ status = }', 0, 10)",
                "traceql: 1:12: expected a value",
            ),
            ("SELECT * FROM traceql('{} | rate()', 0, 10)", "needs a step"),
            ("SELECT * FROM traceql('{}', 10, 0)", "end must be after start"),
        ] {
            let e = ctx.sql(sql).unwrap_err().to_string();
            assert!(e.contains(message), "{sql}: {e}");
        }
    }
}
