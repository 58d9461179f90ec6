//! The `samples` table: every sample of the store, one row each, read in batches of
//! series with the WHERE clause's time range, metric names and label equality applied by
//! the store.

use crate::partitioned_scan::partitioned_scan;
use crate::pushdown::{Narrowing, filter_support};
use crate::runs::StringColumn;
use crate::schema::{LabelsBuilder, samples_columns as col, samples_schema};
use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, Float64Array, RecordBatch, RecordBatchOptions, TimestampMillisecondArray, UInt64Builder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use parquetry_model::{METRIC_NAME, MatchOp, Matcher};
use parquetry_store::{SelectedSeries, SeriesBatch, Store};
use std::sync::Arc;

/// Series read per record batch.
const BATCH_SERIES: usize = 256;

/// The `samples` table over one store snapshot.
#[derive(Debug)]
pub struct SamplesTable {
    store: Arc<Store>,
}

impl SamplesTable {
    /// The table over `store`.
    pub fn new(store: Arc<Store>) -> SamplesTable {
        SamplesTable { store }
    }
}

fn storage(e: parquetry_store::StoreError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// One partition of a scan: every `of`-th batch of the selected series, from `index`.
#[derive(Clone, Debug)]
struct Partition {
    store: Arc<Store>,
    narrowing: Narrowing,
    index: usize,
    of: usize,
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
}

impl Partition {
    fn matchers(&self) -> Vec<Matcher> {
        let mut matchers = self.narrowing.matchers.clone();
        if matchers.iter().all(Matcher::matches_empty) {
            matchers.push(Matcher::new(MatchOp::RegexMatch, METRIC_NAME, ".+").expect("a valid regex"));
        }
        matchers
    }

    fn time_range(&self) -> (i64, i64) {
        (
            self.narrowing.min_time.unwrap_or(i64::MIN),
            self.narrowing.max_time.unwrap_or(i64::MAX),
        )
    }

    /// The selected series, in the batches of this partition.
    fn partition_batches(&self) -> Result<Vec<Vec<SelectedSeries>>> {
        let (min, max) = self.time_range();
        let selection = self.store.select(&self.matchers(), min, max).map_err(storage)?;
        Ok(selection
            .series()
            .chunks(BATCH_SERIES)
            .skip(self.index)
            .step_by(self.of)
            .map(<[SelectedSeries]>::to_vec)
            .collect())
    }

    /// Reads one batch of series.
    fn read(&self, series: Vec<SelectedSeries>) -> Result<RecordBatch> {
        let (min, max) = self.time_range();
        let n = series.len();
        let batch = self
            .store
            .selection_of(series, min, max)
            .read(0..n)
            .map_err(storage)?;
        self.to_record_batch(&batch)
    }

    fn wants(&self, column: usize) -> bool {
        self.projection.as_ref().is_none_or(|p| p.contains(&column))
    }

    fn to_record_batch(&self, batch: &SeriesBatch) -> Result<RecordBatch> {
        let rows = batch.timestamps.len();
        let mut columns: Vec<(usize, ArrayRef)> = Vec::new();
        if self.wants(col::TIMESTAMP) {
            let ts =
                TimestampMillisecondArray::new(batch.timestamps.values().clone(), None).with_timezone("UTC");
            columns.push((col::TIMESTAMP, Arc::new(ts)));
        }
        if self.wants(col::VALUE) {
            columns.push((
                col::VALUE,
                Arc::new(Float64Array::new(batch.values.values().clone(), None)),
            ));
        }
        if self.wants(col::METRIC) {
            let mut b = StringColumn::with_capacity(rows, rows * 16);
            for (i, s) in batch.series.iter().enumerate() {
                let name = s.labels.metric_name().unwrap_or("");
                b.append_repeated(&[name], batch.offsets[i + 1] - batch.offsets[i]);
            }
            columns.push((col::METRIC, Arc::new(b.finish()?)));
        }
        if self.wants(col::LABELS) {
            let mut b = LabelsBuilder::new();
            for (i, s) in batch.series.iter().enumerate() {
                b.append(&s.labels, batch.offsets[i + 1] - batch.offsets[i]);
            }
            columns.push((col::LABELS, b.finish()?));
        }
        if self.wants(col::SERIES_ID) {
            let mut b = UInt64Builder::with_capacity(rows);
            for (i, s) in batch.series.iter().enumerate() {
                b.append_value_n(s.id.0, batch.offsets[i + 1] - batch.offsets[i]);
            }
            columns.push((col::SERIES_ID, Arc::new(b.finish())));
        }
        let order: Vec<usize> = self.projection.clone().unwrap_or_else(|| (0..5).collect());
        let arrays: Vec<ArrayRef> = order
            .iter()
            .map(|c| columns.iter().find(|(i, _)| i == c).map(|(_, a)| a.clone()))
            .collect::<Option<_>>()
            .ok_or_else(|| DataFusionError::Internal("projected column missing".into()))?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?)
    }
}

impl PartitionStream for Partition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let me = Arc::new(self.clone());
        let batches: Box<dyn Iterator<Item = Result<RecordBatch>> + Send> = match self.partition_batches() {
            Ok(batches) => Box::new(batches.into_iter().map(move |series| me.read(series))),
            Err(e) => Box::new(std::iter::once(Err(e))),
        };
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

#[async_trait]
impl TableProvider for SamplesTable {
    fn schema(&self) -> SchemaRef {
        samples_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filter_support(filters, |f| Narrowing::default().absorb(f)))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let narrowing = Narrowing::of(filters);
        partitioned_scan(state, samples_schema(), projection, |index, of, schema| {
            Arc::new(Partition {
                store: self.store.clone(),
                narrowing: narrowing.clone(),
                index,
                of,
                schema,
                projection: projection.cloned(),
            })
        })
    }
}
