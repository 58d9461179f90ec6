//! The execution plan of a built-in table's scan: as many partitions as the session
//! runs in parallel, each streaming its share of the table.

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use std::sync::Arc;

/// A scan of a table with schema `full`, keeping the `projection`'s columns, in the
/// session's number of partitions; `partition(index, of, schema)` makes partition
/// `index` of `of`, producing batches of the projected `schema`.
pub fn partitioned_scan(
    state: &dyn Session,
    full: SchemaRef,
    projection: Option<&Vec<usize>>,
    partition: impl Fn(usize, usize, SchemaRef) -> Arc<dyn PartitionStream>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = match projection {
        Some(p) => Arc::new(full.project(p)?),
        None => full,
    };
    let of = state.config().target_partitions().max(1);
    let partitions = (0..of)
        .map(|index| partition(index, of, schema.clone()))
        .collect();
    Ok(Arc::new(StreamingTableExec::try_new(
        schema,
        partitions,
        None,
        Vec::new(),
        false,
        None,
    )?))
}
