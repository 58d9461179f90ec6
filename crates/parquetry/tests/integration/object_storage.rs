//! Stores in object storage, against the S3-compatible server that `scripts/test` starts
//! (its bucket in `PARQUETRY_TEST_S3`, its endpoint and credentials in the usual AWS
//! variables): the same answers as a local store, racing writers, snapshots that stay
//! put while a writer commits, and a writer killed between its data files and its commit.

use parquetry::maintenance::compact;
use parquetry::promql::eval::StepGrid;
use parquetry::store::{IngestOptions, SeriesSamples, Store, Writer};
use parquetry::table::Storage;
use parquetry::{Engine, QueryOptions};
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use parquetry_model::{Labels, Matcher};
use std::path::{Path, PathBuf};
use std::time::Duration;

const START: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;

/// A fresh prefix in the test bucket, or `None` (after saying so) when no S3 server was
/// started for this run; under CI the server must be there.
fn s3_store(test: &str) -> Option<PathBuf> {
    match std::env::var("PARQUETRY_TEST_S3") {
        Ok(bucket) => Some(PathBuf::from(format!(
            "{}/{test}-{}",
            bucket.trim_end_matches('/'),
            std::process::id()
        ))),
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "SKIPPED object storage ({test}): PARQUETRY_TEST_S3 is not set; scripts/test starts a server"
            );
            None
        }
        Err(_) => panic!("object storage ({test}): CI must run with PARQUETRY_TEST_S3 set"),
    }
}

fn demo_file(dir: &Path) -> PathBuf {
    let config = DemoConfig {
        duration_ms: 2 * HOUR,
        ..DemoConfig::with_series(200)
    };
    let path = dir.join("demo.om");
    Dataset::new(config)
        .write(OutputFormat::OpenMetrics, std::fs::File::create(&path).unwrap())
        .unwrap();
    path
}

fn range(engine: &Engine, query: &str) -> String {
    let grid = StepGrid {
        start: START + HOUR / 2,
        end: START + 2 * HOUR,
        step: 60_000,
    };
    format!(
        "{:?}",
        engine.query_range(query, grid, &QueryOptions::default()).unwrap()
    )
}

const QUERIES: [&str; 3] = [
    "sum by (job) (rate(http_requests_total[5m]))",
    r#"histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"#,
    "count(up == 1)",
];

#[test]
fn a_store_in_s3_answers_like_a_local_one() {
    let Some(url) = s3_store("answers") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path());
    let local = dir.path().join("local");
    // Batches of a fifth of the file, which the ingest then settles into one file.
    let options = IngestOptions {
        batch_samples: 20_000,
        ..IngestOptions::default()
    };
    for store in [&local, &url] {
        Engine::ingest(store, std::slice::from_ref(&file), &options, &mut |_| {}).unwrap();
        let manifest = Store::open(store).unwrap().manifest().clone();
        assert_eq!(manifest.segments[0].data_files.len(), 1, "{manifest:?}");
    }
    let (local, remote) = (Engine::open(&local).unwrap(), Engine::open(&url).unwrap());
    assert_eq!(local.series("up").unwrap(), remote.series("up").unwrap());
    for q in QUERIES {
        assert_eq!(range(&local, q), range(&remote, q), "{q}");
    }
    let sql = "SELECT labels['job'] AS job, count(*) AS n, sum(value) AS total FROM samples \
               WHERE metric = 'http_requests_total' GROUP BY 1 ORDER BY 1";
    let show = |e: &Engine| {
        let batches = e.sql(sql).unwrap();
        parquetry::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string()
    };
    assert_eq!(show(&local), show(&remote));
    // Compaction in object storage keeps the answers too.
    let before: Vec<String> = QUERIES.iter().map(|q| range(&remote, q)).collect();
    let mut writer = Writer::begin(&url).unwrap();
    writer.write(vec![series("extra", &[START + HOUR])]).unwrap();
    writer.commit().unwrap();
    let report = compact(&Storage::open(&url).unwrap(), Duration::ZERO).unwrap();
    assert_eq!(report.files.1, 1, "{report:?}");
    let remote = Engine::open(&url).unwrap();
    let after: Vec<String> = QUERIES.iter().map(|q| range(&remote, q)).collect();
    assert_eq!(before, after);
}

fn series(name: &str, ts: &[i64]) -> SeriesSamples {
    let mut s = SeriesSamples::new(Labels::from_pairs([("__name__", name)]));
    s.timestamps = ts.to_vec();
    s.values = ts.iter().map(|&t| t as f64).collect();
    s
}

fn samples(store: &Store, name: &str) -> Vec<i64> {
    let selection = store
        .select(&[Matcher::equal("__name__", name)], i64::MIN, i64::MAX)
        .unwrap();
    let batches = selection.read_all().unwrap();
    batches
        .iter()
        .flat_map(|b| b.timestamps.values().to_vec())
        .collect()
}

#[test]
fn racing_writers_in_s3_lose_nothing_and_double_nothing() {
    let Some(url) = s3_store("race") else {
        return;
    };
    Writer::begin(&url).unwrap().abort().unwrap();
    let (writers, commits) = (3, 9);
    std::thread::scope(|scope| {
        for w in 0..writers {
            let url = &url;
            scope.spawn(move || {
                for c in 0..commits {
                    let mut writer = Writer::begin(url).unwrap();
                    writer
                        .write(vec![series("race", &[START + (w * 100 + c) as i64])])
                        .unwrap();
                    writer.commit().unwrap();
                }
            });
        }
    });
    let store = Store::open(&url).unwrap();
    // Version 0 created the store; each commit added one.
    assert_eq!(store.manifest().version, (writers * commits) as u64);
    let mut got = samples(&store, "race");
    got.sort_unstable();
    let mut want: Vec<i64> = (0..writers)
        .flat_map(|w| (0..commits).map(move |c| START + (w * 100 + c) as i64))
        .collect();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn a_snapshot_in_s3_stays_put_while_a_writer_commits_and_a_killed_writer_leaves_nothing() {
    let Some(url) = s3_store("snapshot") else {
        return;
    };
    let mut writer = Writer::begin(&url).unwrap();
    writer.write(vec![series("a", &[START, START + 1])]).unwrap();
    writer.commit().unwrap();
    let snapshot = Store::open(&url).unwrap();

    let mut writer = Writer::begin(&url).unwrap();
    writer.write(vec![series("a", &[START + 2])]).unwrap();
    writer.commit().unwrap();
    // A writer killed after its data files, before its commit record.
    let mut killed = Writer::begin(&url).unwrap();
    killed
        .write(vec![series("a", &[START + 3]), series("b", &[START])])
        .unwrap();
    drop(killed);

    assert_eq!(
        samples(&snapshot, "a"),
        [START, START + 1],
        "the old snapshot is unchanged"
    );
    let now = Store::open(&url).unwrap();
    assert_eq!(samples(&now, "a"), [START, START + 1, START + 2]);
    assert!(
        samples(&now, "b").is_empty(),
        "nothing of the killed commit is visible"
    );

    // Vacuum (here with no grace period) deletes the killed writer's files.
    let storage = now.storage();
    let before = storage.list("samples").unwrap().len();
    let report = compact(&Storage::open(&url).unwrap(), Duration::ZERO).unwrap();
    let named: usize = Store::open(&url)
        .unwrap()
        .manifest()
        .segments
        .iter()
        .map(|s| s.data_files.len())
        .sum();
    assert_eq!(
        storage.list("samples").unwrap().len(),
        named,
        "{report:?} (had {before})"
    );
    assert_eq!(
        samples(&Store::open(&url).unwrap(), "a"),
        [START, START + 1, START + 2]
    );
}

#[test]
fn bad_locations_fail_in_one_line() {
    let Some(url) = s3_store("missing") else {
        return;
    };
    let missing_bucket = PathBuf::from(format!("s3://no-such-bucket-{}/x", std::process::id()));
    for (location, expect) in [
        (PathBuf::from("ftp://host/store"), "unknown URL scheme"),
        (missing_bucket, "no-such-bucket"),
        (url, "not a Parquetry store"),
    ] {
        let err = Engine::open(&location).unwrap_err().to_string();
        assert!(err.contains(expect), "{location:?}: {err}");
        assert!(!err.contains('\n'), "{location:?}: one line: {err}");
    }
}
