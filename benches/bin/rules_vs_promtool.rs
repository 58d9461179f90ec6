//! Compares a Parquetry backtest of recording rules with what `promtool tsdb
//! create-blocks-from rules` (Prometheus 3.5, querying a server over the same data) wrote
//! for the same rule file: identical series, identical evaluation times, values within the
//! compliance tester's tolerance. promtool writes no stale markers, so Parquetry's are left
//! out of the comparison.
//!
//! promtool evaluates each group at its own slot offset (a hash of the group), so each
//! group is backtested from the first time promtool wrote for it.
//!
//! Usage: rules-vs-promtool STORE RULES PROMTOOL_DUMP.om END_UNIX_SECONDS

use parquetry::Engine;
use parquetry::rules::{BacktestOptions, LoadOptions, RuleKind, RuleSet};
use parquetry::store::IngestOptions;
use parquetry_benches::compare::{Matrix, diff};
use parquetry_model::value::is_stale_nan;
use std::path::PathBuf;
use std::process::ExitCode;

fn promtool_series(engine: &Engine, name: &str) -> Result<Matrix, String> {
    let batches = engine
        .raw_samples(&format!("{{__name__={name:?}}}"), i64::MIN, i64::MAX)
        .map_err(|e| e.to_string())?;
    let mut out = Matrix::new();
    for b in batches {
        for i in 0..b.series.len() {
            let (ts, vs) = b.samples(i);
            let points = ts.iter().copied().zip(vs.iter().copied()).collect();
            out.push(((*b.series[i].labels).clone(), points));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, rules, dump, end] = args.as_slice() else {
        return Err("usage: rules-vs-promtool STORE RULES PROMTOOL_DUMP.om END_UNIX_SECONDS".into());
    };
    let end_ms = end.parse::<i64>().map_err(|e| e.to_string())? * 1000;
    let engine = Engine::open(store).map_err(|e| e.to_string())?;
    let rules = RuleSet::load(&[rules], LoadOptions::default()).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let reference_store = dir.path().join("promtool");
    Engine::ingest(
        &reference_store,
        &[PathBuf::from(dump)],
        &IngestOptions::default(),
        &mut |_| {},
    )
    .map_err(|e| e.to_string())?;
    let reference = Engine::open(&reference_store).map_err(|e| e.to_string())?;
    let (mut compared, mut points, mut failed) = (0, 0, 0);
    for group in &rules.groups {
        let mut reference_by_rule = Vec::new();
        for rule in &group.rules {
            let RuleKind::Record(name) = &rule.kind else {
                continue;
            };
            reference_by_rule.push((name.clone(), promtool_series(&reference, name)?));
        }
        let first = reference_by_rule
            .iter()
            .flat_map(|(_, m)| m.iter().filter_map(|(_, p)| p.first().map(|x| x.0)))
            .min();
        let Some(first) = first else {
            println!("group {}: promtool wrote nothing", group.name);
            failed += 1;
            continue;
        };
        let single = RuleSet {
            groups: vec![group.clone()],
        };
        let result = engine
            .backtest(&single, &BacktestOptions::new(first, end_ms))
            .map_err(|e| e.to_string())?;
        for (name, want) in reference_by_rule {
            let mut got: Matrix = result
                .outputs
                .series()
                .iter()
                .filter(|s| s.labels.metric_name() == Some(name.as_str()))
                .map(|s| {
                    let pts = s
                        .timestamps
                        .iter()
                        .zip(&s.values)
                        .filter(|(_, v)| !is_stale_nan(**v))
                        .map(|(t, v)| (*t, *v))
                        .collect();
                    (s.labels.clone(), pts)
                })
                .collect();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            compared += want.len();
            points += want.iter().map(|(_, p)| p.len()).sum::<usize>();
            match diff(&want, &got) {
                None => println!("ok    {name}: {} series", want.len()),
                Some(d) => {
                    failed += 1;
                    println!("DIFF  {name}: {d}");
                }
            }
        }
    }
    println!("{compared} series and {points} points compared; {failed} rules differ");
    Ok(failed == 0)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
