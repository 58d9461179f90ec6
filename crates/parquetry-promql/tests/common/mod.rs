//! Locating the shared conformance corpora and the recorded floors.

use std::path::PathBuf;

/// Root of the workspace.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The conformance folder: `$PARQUETRY_CONFORMANCE_DIR`, or `../shared/conformance` beside
/// the repository. Panics with the places it looked when neither exists.
pub fn conformance_dir() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("PARQUETRY_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace_root().join("../shared/conformance")])
        .collect();
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!("conformance corpus not found; looked in {candidates:?} (set PARQUETRY_CONFORMANCE_DIR)")
        })
}

/// The floor recorded for `key` in `testdata/floors.txt`.
pub fn floor(key: &str) -> usize {
    let path = workspace_root().join("testdata/floors.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no floor {key:?} in {}", path.display()))
}
