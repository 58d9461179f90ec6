//! The pass-count floors recorded in `testdata/floors.txt`.

use crate::workspace_root;

/// The floor recorded for `key`; `key = value` lines, `#` comments.
pub fn floor(key: &str) -> Result<usize, String> {
    let path = workspace_root().join("testdata/floors.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .and_then(|(_, v)| v.trim().parse().ok())
        .ok_or_else(|| format!("no floor {key:?} in {}", path.display()))
}
