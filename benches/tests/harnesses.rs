//! The comparison harnesses refuse to run without their arguments and say how to call
//! them. (Building this test also builds the harness binaries, in the same build as every
//! other test, for the scripts in `benches/scripts/` to run.)

use std::process::Command;

#[test]
fn every_harness_prints_its_usage_without_arguments() {
    for (binary, name) in [
        (env!("CARGO_BIN_EXE_promql-compliance"), "promql-compliance"),
        (env!("CARGO_BIN_EXE_promql-latency"), "promql-latency"),
        (env!("CARGO_BIN_EXE_rules-vs-promtool"), "rules-vs-promtool"),
        (env!("CARGO_BIN_EXE_sql-latency"), "sql-latency"),
    ] {
        let out = Command::new(binary).output().expect("the harness runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} without arguments must fail");
        assert!(stderr.contains(&format!("usage: {name}")), "{name}: {stderr}");
    }
}
