//! Counting outcomes per file and category, and printing them.

use super::{CaseResult, Category, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Passed, failed and skipped counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases not run.
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }
}

/// All results of a run, by file.
#[derive(Debug, Default)]
pub struct Report {
    /// Results per file name.
    pub files: BTreeMap<String, Vec<CaseResult>>,
}

impl Report {
    /// Counts over all files for one category.
    pub fn total(&self, category: Category) -> Counts {
        let mut c = Counts::default();
        for r in self.files.values().flatten().filter(|r| r.category == category) {
            c.add(&r.outcome);
        }
        c
    }

    /// Counts over the core stable float cases.
    pub fn core(&self) -> Counts {
        let mut c = Counts::default();
        for r in self.files.values().flatten().filter(|r| r.core) {
            c.add(&r.outcome);
        }
        c
    }

    /// The report as text: per file, then the failures and the skip reasons, then totals.
    /// The last line is `N passed, N failed, N skipped` over every case.
    pub fn render(&self, show_failures: bool) -> String {
        let mut out = String::new();
        for (name, results) in &self.files {
            let mut f = Counts::default();
            let mut h = Counts::default();
            let mut core = Counts::default();
            for r in results {
                match r.category {
                    Category::Float => f.add(&r.outcome),
                    Category::NativeHistogram => h.add(&r.outcome),
                }
                if r.core {
                    core.add(&r.outcome);
                }
            }
            let _ = writeln!(
                out,
                "{name}: float {} passed, {} failed, {} skipped (core {} of {}); native histograms {} passed, {} failed, {} skipped",
                f.passed,
                f.failed,
                f.skipped,
                core.passed,
                core.passed + core.failed + core.skipped,
                h.passed,
                h.failed,
                h.skipped
            );
        }
        if show_failures {
            for (name, results) in &self.files {
                for r in results {
                    if let Outcome::Failed(why) = &r.outcome {
                        let _ = writeln!(out, "FAIL {name}:{}: {}\n    {why}", r.line, r.query);
                    }
                }
            }
        }
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for r in self.files.values().flatten() {
            if let Outcome::Skipped(why) = &r.outcome {
                *reasons.entry(why).or_default() += 1;
            }
        }
        for (why, n) in reasons {
            let _ = writeln!(out, "skipped {n}: {why}");
        }
        let f = self.total(Category::Float);
        let h = self.total(Category::NativeHistogram);
        let all = Counts {
            passed: f.passed + h.passed,
            failed: f.failed + h.failed,
            skipped: f.skipped + h.skipped,
        };
        for (label, c) in [
            ("core stable float cases: ", self.core()),
            ("float samples: ", f),
            ("native histograms: ", h),
            ("", all),
        ] {
            let _ = writeln!(
                out,
                "{label}{} passed, {} failed, {} skipped",
                c.passed, c.failed, c.skipped
            );
        }
        out
    }
}

/// Runs every `*.test` file of `dir`.
pub fn run_dir(dir: &std::path::Path) -> Result<Report, String> {
    let mut report = Report::default();
    for f in crate::promqltest_queries::test_files_in(dir)? {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let results = super::run_file(&f)?;
        report.files.insert(name, results);
    }
    Ok(report)
}
