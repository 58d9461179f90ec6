//! Fixtures the tests of several tables share.

use crate::{PromqlEval, SqlContext};
use parquetry_logs::{LogStore, LogsWriter, StreamEntries};
use parquetry_store::Store;
use parquetry_table::Storage;
use std::sync::Arc;

/// A session over a store in `dir` holding `streams` as its logs, with no PromQL.
pub fn logs_context(dir: &std::path::Path, streams: Vec<StreamEntries>) -> SqlContext {
    let storage = Storage::local(dir);
    let mut w = LogsWriter::begin(&storage).unwrap();
    w.write(streams).unwrap();
    w.commit().unwrap();
    let store = Arc::new(Store::open(dir).unwrap());
    let promql: PromqlEval = Arc::new(|_, _, _| Err("no PromQL here".into()));
    let ctx = SqlContext::new(store, promql).unwrap();
    ctx.register_logs(Arc::new(LogStore::open(&storage).unwrap()))
        .unwrap();
    ctx
}
