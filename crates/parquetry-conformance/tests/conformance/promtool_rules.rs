//! promtool's rule unit-test files, each run with the options of its `EXPECTED.tsv` row;
//! fails when fewer outcomes agree with promtool's than the recorded floor.

use parquetry_conformance::conformance_dir_or_skip;
use parquetry_conformance::floors::floor;
use parquetry_conformance::promtool_rules::{render, run_all};

#[test]
fn promtool_rule_tests_give_promtools_outcomes() {
    let Some(dir) = conformance_dir_or_skip("promtool's rule unit tests") else {
        return;
    };
    let results = run_all(&dir.join("promtool-rules")).unwrap();
    print!("{}", render(&results));
    let agree = results.iter().filter(|r| r.agrees()).count();
    assert!(
        agree >= floor("promtool_rules_outcomes").unwrap(),
        "{agree} of {} outcomes agree with promtool (below the floor)",
        results.len()
    );
    let checks: usize = results.iter().map(|r| r.report.counts().0).sum();
    assert!(
        checks >= floor("promtool_rules_checks").unwrap(),
        "{checks} passing checks (below the floor)"
    );
}
