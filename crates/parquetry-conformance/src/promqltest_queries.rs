//! The queries of the promqltest `*.test` files, with their file and line.

use crate::conformance_dir;
use std::path::PathBuf;

/// One `eval` line's query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalQuery {
    /// The `.test` file.
    pub file: PathBuf,
    /// 1-based line of the `eval`.
    pub line: usize,
    /// The query text.
    pub query: String,
}

/// The query of an `eval` line: the rest of the line after the time specification
/// (`eval instant at <t> …`, `eval range from <t> to <t> step <d> …`, and the deprecated
/// `eval_fail`, `eval_warn`, `eval_info`, `eval_ordered` forms).
pub fn eval_query(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("eval")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '_');
    let words: Vec<&str> = rest.split_whitespace().collect();
    let skip = match *words.first()? {
        "instant" => 3,
        "range" => 7,
        _ => return None,
    };
    let mut idx = 0;
    for w in words.iter().take(skip) {
        idx = rest[idx..].find(w).map(|i| idx + i + w.len())?;
    }
    Some(rest[idx..].trim())
}

/// The `.test` files of the shared promqltest folder, sorted by name.
pub fn test_files() -> Result<Vec<PathBuf>, String> {
    test_files_in(&conformance_dir()?.join("promqltest"))
}

/// The `.test` files of `dir`, sorted by name.
pub fn test_files_in(dir: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every eval query of every `.test` file.
pub fn all() -> Result<Vec<EvalQuery>, String> {
    let mut out = Vec::new();
    for file in test_files()? {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            if let Some(q) = eval_query(line.trim()) {
                out.push(EvalQuery {
                    file: file.clone(),
                    line: n + 1,
                    query: q.to_string(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::eval_query;

    #[test]
    fn queries_follow_the_time_spec() {
        assert_eq!(eval_query("eval instant at 50m sum(x)"), Some("sum(x)"));
        assert_eq!(
            eval_query("eval range from 0 to 10m step 1m  rate(x[5m])"),
            Some("rate(x[5m])")
        );
        assert_eq!(eval_query("eval_fail instant at 0 a"), Some("a"));
        assert_eq!(eval_query("load 5m"), None);
    }
}
