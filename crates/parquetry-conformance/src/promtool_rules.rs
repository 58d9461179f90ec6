//! `promtool test rules` files and the outcomes promtool gives them (`EXPECTED.tsv`),
//! run through Parquetry's rule unit-test runner.

use parquetry_rules::unittest::{FileReport, TestOptions, run_file};
use std::path::{Path, PathBuf};

/// One row of `EXPECTED.tsv`: a file, the engine options and `--run` filter it is run
/// with, and promtool's exit code.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// The test file.
    pub file: PathBuf,
    /// The engine column as written (`defaults`, `@ enabled`, …).
    pub engine: String,
    /// The `--run` words, OR-ed into one regex; empty for no filter.
    pub run: Vec<String>,
    /// 0: every test passes; 1: at least one fails.
    pub exit: i32,
}

impl Expected {
    /// The runner options the row describes. `defaults` is the upstream test's engine:
    /// `@` and negative offsets off.
    pub fn options(&self) -> Result<TestOptions, String> {
        let mut o = TestOptions {
            at_modifier: false,
            negative_offset: false,
            ..TestOptions::default()
        };
        match self.engine.as_str() {
            "defaults" => {}
            "defaults (ignore unknown rule fields)" => o.ignore_unknown_fields = true,
            "@ enabled" => o.at_modifier = true,
            "@ disabled" => {}
            "negative offset enabled" => o.negative_offset = true,
            "negative offset disabled" => {}
            other => return Err(format!("unknown engine setting {other:?}")),
        }
        if !self.run.is_empty() {
            o.run = Some(regex::Regex::new(&self.run.join("|")).map_err(|e| e.to_string())?);
        }
        Ok(o)
    }
}

/// Reads `EXPECTED.tsv` from `dir`.
pub fn expected(dir: &Path) -> Result<Vec<Expected>, String> {
    let path = dir.join("EXPECTED.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("file\t") || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, engine, run, exit, ..] = cols.as_slice() else {
            return Err(format!(
                "{}:{}: expected 4 or more tab-separated columns",
                path.display(),
                n + 1
            ));
        };
        rows.push(Expected {
            file: dir.join(file),
            engine: engine.to_string(),
            run: if *run == "-" {
                Vec::new()
            } else {
                run.split(',').map(str::to_string).collect()
            },
            exit: exit
                .parse()
                .map_err(|_| format!("{}:{}: bad exit code {exit:?}", path.display(), n + 1))?,
        });
    }
    Ok(rows)
}

/// One row's result.
#[derive(Debug)]
pub struct RowResult {
    /// The row.
    pub expected: Expected,
    /// What the runner reported.
    pub report: FileReport,
    /// The exit code the runner's outcome means.
    pub exit: i32,
}

impl RowResult {
    /// True when the outcome equals promtool's.
    pub fn agrees(&self) -> bool {
        self.exit == self.expected.exit
    }
}

/// Runs every row of `EXPECTED.tsv` in `dir`.
pub fn run_all(dir: &Path) -> Result<Vec<RowResult>, String> {
    expected(dir)?
        .into_iter()
        .map(|row| {
            let report = run_file(&row.file, &row.options()?);
            let exit = if report.passed() { 0 } else { 1 };
            Ok(RowResult {
                expected: row,
                report,
                exit,
            })
        })
        .collect()
}

/// A table of the rows, then `N passed, N failed, N skipped` over rows and over checks.
pub fn render(results: &[RowResult]) -> String {
    let mut out = String::new();
    let (mut checks_passed, mut checks_failed, mut checks_skipped) = (0, 0, 0);
    for r in results {
        let (p, f, s) = r.report.counts();
        (checks_passed, checks_failed, checks_skipped) =
            (checks_passed + p, checks_failed + f, checks_skipped + s);
        let name = r.expected.file.file_name().unwrap_or_default().to_string_lossy();
        let run = if r.expected.run.is_empty() {
            "-".to_string()
        } else {
            r.expected.run.join(",")
        };
        out.push_str(&format!(
            "{} {name} [{}; run {run}]: exit {} (promtool {}); checks {p} passed, {f} failed, {s} skipped\n",
            if r.agrees() { "ok  " } else { "DIFF" },
            r.expected.engine,
            r.exit,
            r.expected.exit,
        ));
        for g in &r.report.groups {
            for c in &g.cases {
                if let parquetry_rules::unittest::Outcome::Skipped(why) = &c.outcome {
                    out.push_str(&format!("       skipped {}: {}: {why}\n", g.name, c.what));
                }
            }
        }
        if !r.agrees() {
            out.push_str(&r.report.render());
        }
    }
    let agree = results.iter().filter(|r| r.agrees()).count();
    out.push_str(&format!(
        "\nfiles: {agree} passed, {} failed, 0 skipped (outcome equal to promtool's)\n",
        results.len() - agree
    ));
    out.push_str(&format!(
        "checks: {checks_passed} passed, {checks_failed} failed, {checks_skipped} skipped\n"
    ));
    out
}
