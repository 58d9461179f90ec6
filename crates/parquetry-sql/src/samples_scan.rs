//! The execution plan of a `samples` scan. It reads the selected series in batches, one
//! share of the batches per partition, and produces the columns the query reads. A
//! projection above it that reads `labels['name']` (which DataFusion moves next to the scan)
//! is taken into the scan: the label becomes a string column written once per series,
//! and the `labels` map is not built at all unless the query also reads it whole.

use crate::pushdown::Narrowing;
use crate::sample_columns::SampleColumn;
use datafusion::arrow::array::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use parquetry_model::{METRIC_NAME, MatchOp, Matcher};
use parquetry_store::{SelectedSeries, Store};
use std::fmt;
use std::sync::Arc;

/// Series read per record batch.
const BATCH_SERIES: usize = 256;

/// What every partition of a scan shares: where to read, what to keep, what to produce.
#[derive(Debug)]
struct Reader {
    store: Arc<Store>,
    narrowing: Narrowing,
    columns: Vec<SampleColumn>,
    schema: SchemaRef,
}

/// A scan of the `samples` table in `partitions` partitions.
#[derive(Debug)]
pub struct SamplesScan {
    reader: Arc<Reader>,
    partitions: usize,
    properties: Arc<PlanProperties>,
}

fn storage(e: parquetry_store::StoreError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl SamplesScan {
    /// A scan of `store` narrowed by `narrowing`, producing `columns` under `schema` (one
    /// field per column, of the column's type) in `partitions` partitions.
    pub fn new(
        store: Arc<Store>,
        narrowing: Narrowing,
        columns: Vec<SampleColumn>,
        schema: SchemaRef,
        partitions: usize,
    ) -> SamplesScan {
        let partitions = partitions.max(1);
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        SamplesScan {
            reader: Arc::new(Reader {
                store,
                narrowing,
                columns,
                schema,
            }),
            partitions,
            properties: Arc::new(properties),
        }
    }

    /// The same scan producing other columns.
    fn producing(&self, columns: Vec<SampleColumn>, schema: SchemaRef) -> SamplesScan {
        SamplesScan::new(
            self.reader.store.clone(),
            self.reader.narrowing.clone(),
            columns,
            schema,
            self.partitions,
        )
    }

    /// The columns the scan produces, in order.
    pub fn columns(&self) -> &[SampleColumn] {
        &self.reader.columns
    }

    /// `get_field(labels, 'name')` over this scan's `labels` column: the name.
    fn label_access(&self, expr: &Arc<dyn PhysicalExpr>) -> Option<String> {
        let f = expr.downcast_ref::<ScalarFunctionExpr>()?;
        let [base, key] = f.args() else { return None };
        let base = base.downcast_ref::<Column>()?;
        let key = key.downcast_ref::<Literal>()?;
        let reads_labels = self.columns().get(base.index()) == Some(&SampleColumn::Labels);
        match key.value().try_as_str() {
            Some(Some(name)) if f.name() == "get_field" && reads_labels => Some(name.to_string()),
            _ => None,
        }
    }
}

impl Reader {
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

    /// The selected series in the batches of partition `index` of `of`: every `of`-th
    /// batch from the `index`-th.
    fn partition_batches(&self, index: usize, of: usize) -> Result<Vec<Vec<SelectedSeries>>> {
        let (min, max) = self.time_range();
        let selection = self.store.select(&self.matchers(), min, max).map_err(storage)?;
        Ok(selection
            .series()
            .chunks(BATCH_SERIES)
            .skip(index)
            .step_by(of)
            .map(<[SelectedSeries]>::to_vec)
            .collect())
    }

    /// Reads one batch of series into the scan's columns.
    fn read(&self, series: Vec<SelectedSeries>) -> Result<RecordBatch> {
        let (min, max) = self.time_range();
        let n = series.len();
        let batch = self
            .store
            .selection_of(series, min, max)
            .read(0..n)
            .map_err(storage)?;
        let arrays = self
            .columns
            .iter()
            .map(|c| c.build(&batch))
            .collect::<Result<Vec<_>, _>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(batch.timestamps.len()));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?)
    }
}

impl DisplayAs for SamplesScan {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let columns: Vec<String> = self.columns().iter().map(ToString::to_string).collect();
        write!(
            f,
            "SamplesScan: partitions={}, columns=[{}]",
            self.partitions,
            columns.join(", ")
        )
    }
}

/// `expr` with every column reference renumbered by `to`, named after `schema`'s field.
fn renumber(expr: &Arc<dyn PhysicalExpr>, to: &[usize], schema: &Schema) -> Result<Arc<dyn PhysicalExpr>> {
    Ok(expr
        .clone()
        .transform(|e| match e.downcast_ref::<Column>() {
            Some(c) => {
                let at = to[c.index()];
                Ok(Transformed::yes(
                    Arc::new(Column::new(schema.field(at).name(), at)) as Arc<dyn PhysicalExpr>,
                ))
            }
            None => Ok(Transformed::no(e)),
        })?
        .data)
}

impl ExecutionPlan for SamplesScan {
    fn name(&self) -> &str {
        "SamplesScan"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal("a samples scan has no children".into()))
        }
    }

    fn execute(&self, partition: usize, _ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let reader = self.reader.clone();
        let batches: Box<dyn Iterator<Item = Result<RecordBatch>> + Send> =
            match reader.partition_batches(partition, self.partitions) {
                Ok(batches) => Box::new(batches.into_iter().map(move |series| reader.read(series))),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.reader.schema.clone(),
            futures::stream::iter(batches),
        )))
    }

    /// Takes in a projection of plain columns and `labels['name']` lookups, producing
    /// exactly its output; under a projection that also computes other expressions, takes
    /// in its label lookups and keeps the rest of it above the scan.
    fn try_swapping_with_projection(
        &self,
        projection: &ProjectionExec,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let mut columns = self.columns().to_vec();
        let mut exprs = Vec::with_capacity(projection.expr().len());
        let mut took_labels = false;
        for p in projection.expr() {
            let Some(name) = self.label_access(&p.expr) else {
                exprs.push(p.clone());
                continue;
            };
            let label = SampleColumn::Label(name);
            let at = match columns.iter().position(|c| *c == label) {
                Some(at) => at,
                None => {
                    columns.push(label.clone());
                    columns.len() - 1
                }
            };
            let expr: Arc<dyn PhysicalExpr> = Arc::new(Column::new(&label.to_string(), at));
            exprs.push(ProjectionExpr::new(expr, p.alias.clone()));
            took_labels = true;
        }
        let output = projection.schema();
        let plain: Option<Vec<SampleColumn>> = exprs
            .iter()
            .zip(output.fields())
            .map(|(p, field)| {
                let column = columns[p.expr.downcast_ref::<Column>()?.index()].clone();
                (column.field().data_type() == field.data_type()).then_some(column)
            })
            .collect();
        if let Some(plain) = plain {
            return Ok(Some(Arc::new(self.producing(plain, output))));
        }
        if !took_labels {
            return Ok(None);
        }
        // Keep the columns the remaining expressions read, in the scan's order.
        let mut read = vec![false; columns.len()];
        for p in &exprs {
            p.expr.apply(|e| {
                if let Some(c) = e.downcast_ref::<Column>() {
                    read[c.index()] = true;
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        let mut to = vec![usize::MAX; columns.len()];
        let mut kept = Vec::new();
        for (i, c) in columns.into_iter().enumerate() {
            if read[i] {
                to[i] = kept.len();
                kept.push(c);
            }
        }
        let schema = Arc::new(Schema::new(
            kept.iter().map(SampleColumn::field).collect::<Vec<_>>(),
        ));
        let exprs = exprs
            .iter()
            .map(|p| {
                Ok(ProjectionExpr::new(
                    renumber(&p.expr, &to, &schema)?,
                    p.alias.clone(),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let scan = Arc::new(self.producing(kept, schema));
        Ok(Some(Arc::new(ProjectionExec::try_new(exprs, scan)?)))
    }
}
