//! The `parquetry` binary end to end: ingest, series, export, query, serve, and clear
//! errors for malformed input that leave the store as it was. One test binary; a module per signal.

mod logs;
mod metrics;
mod serve;
mod spans;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

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

#[test]
fn output_into_a_pipe_closed_early_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.om");
    let mut text = String::from("# TYPE up gauge\n");
    for i in 0..20_000 {
        text += &format!("up{{job=\"api\",instance=\"a\"}} 1 {}\n", 1_767_571_200 + i * 15);
    }
    text += "# EOF\n";
    std::fs::write(&input, text).unwrap();
    let store = dir.path().join("store").display().to_string();
    assert!(
        parquetry(&["ingest", "--store", &store, input.to_str().unwrap()])
            .status
            .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_parquetry"))
        .args(["export", "--store", &store, "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        stderr(&o).is_empty(),
        "a reader that stops is no error: {}",
        stderr(&o)
    );
    assert_ne!(o.status.code(), Some(101), "no panic");
}
