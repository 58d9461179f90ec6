//! Where the corpora are.

use std::path::PathBuf;

/// Root of the Parquetry workspace.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The conformance folder: `$PARQUETRY_CONFORMANCE_DIR`, or `../shared/conformance` beside
/// the repository. The error lists the places that were tried.
pub fn conformance_dir() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = std::env::var_os("PARQUETRY_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace_root().join("../shared/conformance")])
        .collect();
    candidates.iter().find(|p| p.is_dir()).cloned().ok_or_else(|| {
        format!("conformance corpus not found; looked in {candidates:?} (set PARQUETRY_CONFORMANCE_DIR)")
    })
}

/// The conformance folder for a test, or `None` when it is absent on this machine (a
/// user's clone without `../shared`): the test then passes without checking anything,
/// after saying so on standard error, and `scripts/test` lists the skipped checks. Under
/// CI (`CI` set) the corpus must be there, and its absence fails the test.
pub fn conformance_dir_or_skip(check: &str) -> Option<PathBuf> {
    match conformance_dir() {
        Ok(dir) => Some(dir),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED {check}: {e}");
            None
        }
        Err(e) => panic!("{check}: {e} (CI must have the corpus)"),
    }
}
