//! Prometheus' own PromQL test scripts, run against the store and the evaluator. Prints
//! per-file counts and every failure; fails when a count drops below its recorded floor.

use parquetry_conformance::conformance_dir_or_skip;
use parquetry_conformance::floors::floor;
use parquetry_conformance::promqltest::Category;
use parquetry_conformance::promqltest::report::run_dir;

#[test]
fn promqltest_scripts_pass_above_the_floors() {
    let Some(dir) = conformance_dir_or_skip("Prometheus' PromQL test scripts") else {
        return;
    };
    let report = run_dir(&dir.join("promqltest")).unwrap();
    print!("{}", report.render(true));
    let core = report.core();
    let float = report.total(Category::Float);
    assert!(
        core.passed >= floor("promqltest_core_float").unwrap(),
        "core stable float cases passing: {} (below the floor)",
        core.passed
    );
    assert!(
        float.passed >= floor("promqltest_float").unwrap(),
        "float cases passing: {} (below the floor)",
        float.passed
    );
}
