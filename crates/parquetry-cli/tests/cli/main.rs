//! The `parquetry` binary end to end: ingest, series, export, query, and clear errors for
//! malformed input that leave the store as it was. One test binary; a module per signal.

mod logs;
mod metrics;
mod spans;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary with `args`.
pub fn parquetry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parquetry"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// What the run printed.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What the run printed as errors.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GOOD: &str = "# TYPE up gauge\nup{job=\"api\",instance=\"a\"} 1 1767571200\nup{job=\"api\",instance=\"a\"} 0 1767571215\n# EOF\n";

/// A store in `dir` holding one `up` series of two samples.
pub fn store_with_good_data(dir: &Path) -> String {
    let input = dir.join("good.om");
    std::fs::write(&input, GOOD).unwrap();
    let store = dir.join("store").display().to_string();
    let o = parquetry(&["ingest", "--store", &store, input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 series, 2 samples"), "{}", stdout(&o));
    store
}
