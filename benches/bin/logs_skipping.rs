//! How much of a logs store needle-in-a-haystack searches read: one trace id, then each
//! given line substring (all judged by the line filters), each over every stream and all
//! time, against the bytes of all entries files.
//!
//! `logs-skipping STORE TRACE_ID [SUBSTRING...]` (benches/scripts/logs-compression.sh runs
//! it).

use parquetry::logs::{LogQuery, LogStore};
use parquetry::table::{Storage, TableKind, log};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, trace, needles @ ..] = args.as_slice() else {
        return Err("usage: logs-skipping STORE TRACE_ID [SUBSTRING...]".into());
    };
    let storage = Storage::open(std::path::Path::new(store))?;
    let total = log::read_latest(&storage)?.manifest.data_bytes(TableKind::Logs);
    let logs = LogStore::open(&storage)?;
    let mut searches = vec![(
        format!("trace_id = {trace}"),
        LogQuery {
            trace_id: Some(trace.clone()),
            ..LogQuery::default()
        },
    )];
    for needle in needles {
        searches.push((
            format!("line contains {needle}"),
            LogQuery {
                line_contains: vec![needle.clone()],
                ..LogQuery::default()
            },
        ));
    }
    for (what, query) in searches {
        let started = Instant::now();
        let (batches, counts) = logs.scan(&query)?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!(
            "{what}: {rows} matching entries; read {} of {} row groups, {} of {} bytes ({:.2} %), in {:.1} ms",
            counts.row_groups - counts.row_groups_skipped,
            counts.row_groups,
            counts.bytes_read,
            total,
            100.0 * counts.bytes_read as f64 / total.max(1) as f64,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
