use super::*;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use parquetry_promql::eval::{QueryResult, ResultSeries, StepGrid};
use parquetry_store::{IngestOptions, ingest_files};

const START: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;

/// A store of the demo fleet over 30 hours, so it spans two daily files.
fn demo_store(dir: &std::path::Path) -> Arc<Store> {
    let config = DemoConfig {
        duration_ms: 30 * HOUR,
        interval_ms: 60_000,
        ..DemoConfig::with_series(300)
    };
    let input = dir.join("demo.om");
    let mut f = std::fs::File::create(&input).unwrap();
    Dataset::new(config)
        .write(OutputFormat::OpenMetrics, &mut f)
        .unwrap();
    let root = dir.join("store");
    ingest_files(&root, &[input], &IngestOptions::default(), &mut |_| {}).unwrap();
    Arc::new(Store::open(&root).unwrap())
}

fn fake_promql() -> PromqlEval {
    Arc::new(|expr: &str, grid: StepGrid, _instant: bool| {
        if expr == "bad(" {
            return Err("1:5: unexpected end of input".into());
        }
        let labels = parquetry_model::Labels::from_pairs([("job", "api"), ("instance", "a")]);
        Ok(QueryResult::Vector(vec![ResultSeries {
            labels,
            points: grid
                .times()
                .map(|t| (t, (t - grid.start) as f64 / 1000.0))
                .collect(),
        }]))
    })
}

fn scalar_i64(batches: &[RecordBatch]) -> i64 {
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[test]
fn narrow_queries_read_only_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    let sql = SqlContext::new(store.clone(), fake_promql()).unwrap();
    let (files, total_rows) = store.size();
    assert_eq!(files, 2, "30 hours from midnight span two daily files");
    let before = store.read_counts();
    let q = "SELECT count(*) FROM samples WHERE metric = 'up' AND labels['job'] = 'api' \
             AND timestamp >= TIMESTAMP '2026-01-05T01:00:00Z' AND timestamp < TIMESTAMP '2026-01-05T02:00:00Z'";
    let rows = scalar_i64(&sql.sql(q).unwrap());
    let read = store.read_counts();
    let (files_read, rows_read) = (
        read.files_read - before.files_read,
        read.rows_read - before.rows_read,
    );
    assert!(
        rows > 0 && rows % 60 == 0,
        "an hour of one-minute samples per series"
    );
    // Only the matching series' rows in the one daily file that holds the hour are read
    // (a series has 1,440 rows per file), a small fraction of the store.
    let series = rows as u64 / 60;
    assert_eq!(files_read, 1, "one daily file");
    assert!(
        rows_read <= series * 1440,
        "{rows_read} rows read for {series} series"
    );
    assert!(
        rows_read * 100 < total_rows,
        "{rows_read} of {total_rows} rows read"
    );
    // Without conditions every row is read.
    let all = scalar_i64(&sql.sql("SELECT count(*) FROM samples").unwrap());
    assert_eq!(all as u64, total_rows);
}

#[test]
fn pushed_down_filters_give_the_same_answers_as_unpushed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let sql = SqlContext::new(demo_store(dir.path()), fake_promql()).unwrap();
    // The same condition through an expression the store cannot apply (`||`).
    let pushed = "SELECT count(*), sum(value) FROM samples WHERE metric IN ('up', 'node_cpu_seconds_total') \
                  AND labels['job'] = 'api' AND timestamp BETWEEN TIMESTAMP '2026-01-05T23:00:00Z' AND TIMESTAMP '2026-01-06T01:00:00Z'";
    let opaque = "SELECT count(*), sum(value) FROM samples WHERE (metric || '') IN ('up', 'node_cpu_seconds_total') \
                  AND (labels['job'] || '') = 'api' AND date_trunc('millisecond', timestamp) BETWEEN TIMESTAMP '2026-01-05T23:00:00Z' AND TIMESTAMP '2026-01-06T01:00:00Z'";
    let a = sql.sql(pushed).unwrap();
    let b = sql.sql(opaque).unwrap();
    assert_eq!(
        a[0].column(0).as_primitive::<Int64Type>().value(0),
        b[0].column(0).as_primitive::<Int64Type>().value(0)
    );
    let (x, y) = (
        a[0].column(1).as_primitive::<Float64Type>().value(0),
        b[0].column(1).as_primitive::<Float64Type>().value(0),
    );
    assert!((x - y).abs() <= 1e-9 * x.abs(), "{x} vs {y}");
    assert!(a[0].column(0).as_primitive::<Int64Type>().value(0) > 0);
}

#[test]
fn series_table_group_by_labels_and_time_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    let sql = SqlContext::new(store.clone(), fake_promql()).unwrap();
    let n = scalar_i64(&sql.sql("SELECT count(*) FROM series").unwrap());
    assert_eq!(n as usize, store.series_count());
    let out = sql
        .sql(
            "SELECT labels['job'] AS job, date_bin(INTERVAL '1 hour', timestamp) AS hour, avg(value) AS up \
             FROM samples WHERE metric = 'up' GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .unwrap();
    let rows: usize = out.iter().map(|b| b.num_rows()).sum();
    assert!(rows >= 30, "{rows} job-hours");
    let joined = sql
        .sql("SELECT s.metric, count(*) FROM samples x JOIN series s ON x.series_id = s.series_id WHERE x.metric = 'up' GROUP BY 1")
        .unwrap();
    assert_eq!(joined[0].num_rows(), 1);
}

#[test]
fn promql_table_functions_return_rows_with_label_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sql = SqlContext::new(demo_store(dir.path()), fake_promql()).unwrap();
    let out = sql
        .sql("SELECT job, instance, max(value) FROM promql_range('up', '2026-01-05T00:00:00Z', 1767571800, '1m') GROUP BY 1, 2")
        .unwrap();
    assert_eq!(out[0].num_rows(), 1);
    assert_eq!(out[0].column(0).as_string::<i32>().value(0), "api");
    assert_eq!(out[0].column(2).as_primitive::<Float64Type>().value(0), 600.0);
    let instant = sql
        .sql("SELECT count(*) FROM promql_instant('up', TIMESTAMP '2026-01-05T00:00:00Z')")
        .unwrap();
    assert_eq!(scalar_i64(&instant), 1);
    let _ = START;
}

#[test]
fn errors_are_messages_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let sql = SqlContext::new(demo_store(dir.path()), fake_promql()).unwrap();
    let e = sql.sql("SELEC 1").unwrap_err().to_string();
    assert!(e.contains("SELEC"), "{e}");
    let e = sql.sql("SELECT * FROM nowhere").unwrap_err().to_string();
    assert!(e.contains("nowhere"), "{e}");
    let e = sql
        .sql("SELECT * FROM promql_range('up', 1, 2)")
        .unwrap_err()
        .to_string();
    assert!(e.contains("takes 4 arguments"), "{e}");
    let e = sql
        .sql("SELECT * FROM promql_instant('bad(', 0)")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unexpected end of input"), "{e}");
    let e = sql
        .sql("SELECT * FROM promql_range('up', 'yesterday', 2, '1m')")
        .unwrap_err()
        .to_string();
    assert!(e.contains("start"), "{e}");
    let e = sql
        .sql("SELECT * FROM promql_range('up', 1, 2, '0s')")
        .unwrap_err()
        .to_string();
    assert!(e.contains("step must be positive"), "{e}");
    assert!(
        sql.register_file("t", Path::new("/nonexistent/file.parquet"))
            .is_err()
    );
    let e = sql
        .register_file("t", Path::new("notes.txt"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("neither a .parquet or .csv file"), "{e}");
}

#[test]
fn user_csv_files_join_promql_results() {
    let dir = tempfile::tempdir().unwrap();
    let sql = SqlContext::new(demo_store(dir.path()), fake_promql()).unwrap();
    let owners = dir.path().join("owners.csv");
    std::fs::write(&owners, "job,team\napi,payments\nweb,frontend\n").unwrap();
    sql.register_file("owners", &owners).unwrap();
    let out = sql
        .sql("SELECT o.team, count(*) FROM promql_range('up', 0, 600, 60) p JOIN owners o ON p.job = o.job GROUP BY 1")
        .unwrap();
    assert_eq!(out[0].column(0).as_string::<i32>().value(0), "payments");
    assert_eq!(out[0].column(1).as_primitive::<Int64Type>().value(0), 11);
    let text = format::table(&out).unwrap();
    assert!(text.contains("payments"), "{text}");
    assert!(format::csv(&out).unwrap().starts_with("team,"));
    assert!(format::json(&out).unwrap().starts_with("[{"));
    let _: &dyn Array = out[0].column(0).as_ref();
}

#[test]
fn a_cancelled_query_stops_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    let ctx = SqlContext::new(store.clone(), fake_promql()).unwrap();
    let cancel = Cancel::new();
    cancel.cancel();
    let err = ctx
        .sql_with_cancel("SELECT count(*) FROM samples", &cancel)
        .unwrap_err();
    assert_eq!(err.to_string(), "query cancelled");
    // The same session answers later queries.
    let rows = ctx.sql("SELECT count(*) FROM series").unwrap();
    assert_eq!(scalar_i64(&rows) as usize, store.series_count());
}

#[test]
fn a_corrupt_file_met_by_a_query_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    for file in store.manifest().segments.iter().flat_map(|s| &s.data_files) {
        std::fs::write(store.storage().path(&file.path), b"not parquet").unwrap();
    }
    let sql = SqlContext::new(store, fake_promql()).unwrap();
    let err = sql.sql("SELECT count(*) FROM samples").unwrap_err();
    assert!(matches!(err, SqlError::Store(_)), "{err:?}");
}

/// Every row of `sql`'s answer, printed.
fn rows(sql: &SqlContext, query: &str) -> Vec<String> {
    let batches = sql.sql(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    text.lines().skip(3).map(str::to_string).collect()
}

#[test]
fn label_columns_and_exact_filters_answer_as_map_lookups_and_row_checks_do() {
    let dir = tempfile::tempdir().unwrap();
    let sql = SqlContext::new(demo_store(dir.path()), fake_promql()).unwrap();
    // Each query beside the same question written so that neither the scan's label
    // columns (`map_extract` instead of `labels['…']`) nor the store's filters
    // (`metric || ''`) can serve it.
    let pairs = [
        (
            "SELECT labels['job'] AS job, labels['instance'] AS i, labels['__name__'] AS n, labels['nope'] AS x, \
             count(*) AS c, sum(value) AS s FROM samples GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            "SELECT map_extract(labels, 'job')[1] AS job, map_extract(labels, 'instance')[1] AS i, \
             map_extract(labels, '__name__')[1] AS n, map_extract(labels, 'nope')[1] AS x, \
             count(*) AS c, sum(value) AS s FROM samples GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        ),
        (
            "SELECT upper(labels['job']) || metric AS k, labels, series_id, labels['job'] AS j, count(*) AS c \
             FROM samples WHERE metric != 'up' AND labels['job'] = 'api' GROUP BY 1, 2, 3, 4 ORDER BY 3",
            "SELECT upper(map_extract(labels, 'job')[1]) || metric AS k, labels, series_id, \
             map_extract(labels, 'job')[1] AS j, count(*) AS c FROM samples \
             WHERE (metric || '') != 'up' AND map_extract(labels, 'job')[1] = 'api' GROUP BY 1, 2, 3, 4 ORDER BY 3",
        ),
        (
            "SELECT metric, count(*) AS c, min(timestamp) AS a, max(timestamp) AS b FROM samples \
             WHERE metric IN ('up', 'node_cpu_seconds_total') AND timestamp > TIMESTAMP '2026-01-05T01:00:00.0005Z' \
             AND timestamp <= TIMESTAMP '2026-01-05T03:00:00Z' GROUP BY 1 ORDER BY 1",
            "SELECT metric, count(*) AS c, min(timestamp) AS a, max(timestamp) AS b FROM samples \
             WHERE (metric || '') IN ('up', 'node_cpu_seconds_total') \
             AND timestamp + INTERVAL '0 seconds' > TIMESTAMP '2026-01-05T01:00:00.0005Z' \
             AND timestamp + INTERVAL '0 seconds' <= TIMESTAMP '2026-01-05T03:00:00Z' GROUP BY 1 ORDER BY 1",
        ),
        (
            "SELECT count(*) AS c FROM samples WHERE labels['job'] = '' OR timestamp = TIMESTAMP '2026-01-05T01:00:00.5Z'",
            "SELECT count(*) AS c FROM samples WHERE map_extract(labels, 'job')[1] = '' \
             OR timestamp + INTERVAL '0 seconds' = TIMESTAMP '2026-01-05T01:00:00.5Z'",
        ),
        (
            "SELECT count(*) AS c FROM samples WHERE metric = 'up' \
             AND timestamp BETWEEN TIMESTAMP '2026-01-05T01:00:00Z' AND TIMESTAMP '2026-01-05T01:30:00Z'",
            "SELECT count(*) AS c FROM samples WHERE (metric || '') = 'up' \
             AND timestamp + INTERVAL '0 seconds' BETWEEN TIMESTAMP '2026-01-05T01:00:00Z' AND TIMESTAMP '2026-01-05T01:30:00Z'",
        ),
    ];
    for (served, plain) in pairs {
        let want = rows(&sql, plain);
        assert!(want.len() > 1, "{plain} gives rows");
        assert_eq!(rows(&sql, served), want, "{served}");
    }
}

#[test]
fn the_scan_produces_label_columns_and_applies_exact_filters_itself() {
    let dir = tempfile::tempdir().unwrap();
    let sql = SqlContext::new(demo_store(dir.path()), fake_promql()).unwrap();
    let plan = physical_plan(
        &sql,
        "EXPLAIN SELECT labels['job'] AS job, count(DISTINCT labels['instance']), min(value) FROM samples \
         WHERE metric = 'up' AND labels['env'] = 'prod' AND timestamp < TIMESTAMP '2026-01-05T02:00:00Z' GROUP BY 1",
    );
    assert!(
        plan.contains("SamplesScan: partitions=") && plan.contains("labels['job']") && plain_scan(&plan),
        "{plan}"
    );
    assert!(!plan.contains("FilterExec"), "{plan}");
    assert!(!plan.contains("get_field"), "{plan}");
    // A filter the store only narrows by is still checked row by row.
    let plan = physical_plan(
        &sql,
        "EXPLAIN SELECT count(*) FROM samples WHERE labels['job'] = ''",
    );
    assert!(plan.contains("FilterExec"), "{plan}");
}

/// The physical half of an `EXPLAIN`'s answer.
fn physical_plan(sql: &SqlContext, explain: &str) -> String {
    let all = rows(sql, explain).join("\n");
    let at = all.find("physical_plan").expect("a physical plan");
    all[at..].to_string()
}

/// Whether the plan's scan reads neither the `labels` map nor `metric`.
fn plain_scan(plan: &str) -> bool {
    plan.lines()
        .filter(|l| l.contains("SamplesScan"))
        .all(|l| !l.contains("metric") && !l.contains(" labels,") && !l.contains(" labels]"))
}
