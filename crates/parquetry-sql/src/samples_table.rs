//! The `samples` table: every sample of the store, one row each, read in batches of
//! series with the WHERE clause's time range, metric names and label equality applied by
//! the store (see [`SamplesScan`]).

use crate::pushdown::{Narrowing, filter_support, samples_filter_is_exact};
use crate::sample_columns::SampleColumn;
use crate::samples_scan::SamplesScan;
use crate::schema::samples_schema;
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use parquetry_store::Store;
use std::sync::Arc;

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

#[async_trait]
impl TableProvider for SamplesTable {
    fn schema(&self) -> SchemaRef {
        samples_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filter_support(
            filters,
            |f| Narrowing::default().absorb(f),
            samples_filter_is_exact,
        ))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let columns: Vec<SampleColumn> = match projection {
            Some(p) => p.iter().filter_map(|&i| SampleColumn::of_table(i)).collect(),
            None => SampleColumn::table(),
        };
        let schema = match projection {
            Some(p) => Arc::new(samples_schema().project(p)?),
            None => samples_schema(),
        };
        Ok(Arc::new(SamplesScan::new(
            self.store.clone(),
            Narrowing::of(filters),
            columns,
            schema,
            state.config().target_partitions(),
        )))
    }
}
