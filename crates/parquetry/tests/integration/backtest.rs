//! Backtests over a store of the demo fleet: both evaluation strategies agree, and
//! writing the outputs back makes them queryable without changing a re-run.

use parquetry::Engine;
use parquetry::promql::eval::QueryResult;
use parquetry::rules::{Backtest, BacktestOptions, LoadOptions, RuleSet, Strategy};
use parquetry::store::IngestOptions;
use parquetry::{QueryOptions, promql::eval::StepGrid};
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use std::path::Path;

const START: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;

fn demo_engine(dir: &Path) -> Engine {
    let config = DemoConfig {
        duration_ms: 3 * HOUR,
        ..DemoConfig::with_series(400)
    };
    let input = dir.join("demo.om");
    let mut file = std::fs::File::create(&input).unwrap();
    Dataset::new(config)
        .write(OutputFormat::OpenMetrics, &mut file)
        .unwrap();
    let store = dir.join("store");
    Engine::ingest(&store, &[input], &IngestOptions::default(), &mut |_| {}).unwrap();
    Engine::open(&store).unwrap()
}

fn slo_rules() -> RuleSet {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules/slo-burn-rate.yml");
    RuleSet::load(&[path], LoadOptions::default()).unwrap()
}

fn outputs(b: &Backtest) -> Vec<(String, Vec<i64>, Vec<u64>)> {
    let mut out: Vec<_> = b
        .outputs
        .series()
        .iter()
        .map(|s| {
            (
                s.labels.to_string(),
                s.timestamps.clone(),
                s.values.iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn range_and_stepwise_backtests_agree_and_outputs_write_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = demo_engine(dir.path());
    let rules = slo_rules();
    let options = BacktestOptions::new(START, START + 3 * HOUR);
    let range = engine.backtest(&rules, &options).unwrap();
    assert_eq!(range.strategy, Strategy::Range);
    assert!(range.errors.is_empty(), "{:?}", range.errors);
    assert!(
        !range.episodes.is_empty(),
        "the demo data has error bursts that page"
    );
    let stepwise = engine
        .backtest(
            &rules,
            &BacktestOptions {
                force_stepwise: true,
                ..options.clone()
            },
        )
        .unwrap();
    assert_eq!(stepwise.strategy, Strategy::Stepwise);
    assert_eq!(range.episodes, stepwise.episodes);
    assert_eq!(outputs(&range), outputs(&stepwise));

    // Written back, the recorded series answer queries with the backtest's values.
    let written = engine.write_series(&range.outputs).unwrap();
    assert_eq!(written as usize, range.outputs.sample_count());
    let t = START + 2 * HOUR;
    let grid = StepGrid::instant(t);
    let QueryResult::Vector(got) = engine
        .query_range(
            "job:slo_errors_per_request:ratio_rate5m",
            grid,
            &QueryOptions::default(),
        )
        .unwrap()
    else {
        panic!("not a vector")
    };
    let recorded = range
        .outputs
        .series()
        .iter()
        .find(|s| s.labels == got[0].labels)
        .expect("the series the backtest recorded");
    let at = recorded.timestamps.iter().position(|x| *x == t).unwrap();
    assert_eq!(got[0].points[0].1, recorded.values[at]);

    // A second run over the store that now holds the outputs gives the same answers.
    let again = engine.backtest(&rules, &options).unwrap();
    assert_eq!(range.episodes, again.episodes);
    assert_eq!(outputs(&range), outputs(&again));
}
