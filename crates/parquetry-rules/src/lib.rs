//! Prometheus recording and alerting rules, evaluated over archived history.
//!
//! * [`file`]: rule files in Prometheus' YAML format, checked like `promtool check rules`.
//! * [`backtest`]: every group evaluated at its interval over a span of history, with
//!   recording-rule output visible to later rules and alerts stepping through
//!   pending/firing/resolved exactly as in Prometheus.
//! * [`timeline`]: the alert episodes as an Arrow table and a summary per alert.
//! * [`template`]: Prometheus' alert templates (Go `text/template` with its functions).
//! * [`unittest`]: `promtool test rules` files, with promtool's outcomes.
//!
//! ```
//! use parquetry_rules::{backtest, BacktestOptions, LoadOptions, MemoryStore, RuleSet};
//! use parquetry_model::Labels;
//! let rules = RuleSet::parse(
//!     "rules.yml",
//!     "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 2m\n",
//!     LoadOptions::default(),
//! )?;
//! let mut archive = MemoryStore::new();
//! let up = Labels::from_pairs([("__name__", "up"), ("job", "api")]);
//! for minute in 0..10 {
//!     archive.append(&up, minute * 60_000, if minute < 3 { 1.0 } else { 0.0 });
//! }
//! let result = backtest(&rules, &archive, &BacktestOptions::new(0, 9 * 60_000));
//! let episode = &result.episodes[0];
//! assert_eq!((episode.active_at, episode.fired_at), (180_000, Some(300_000)));
//! # Ok::<(), parquetry_rules::RuleFileErrors>(())
//! ```

pub mod alerting;
pub mod backtest;
mod expr_walk;
pub mod file;
mod locate;
pub mod source;
pub use parquetry_template as template;
pub mod timeline;
pub mod unittest;

pub use alerting::{ActiveAlert, AlertEpisode, FiringAlert};
pub use backtest::{
    Backtest, BacktestOptions, RuleError, RuleStatus, Strategy, backtest, backtest_with_logs,
};
pub use file::{
    Group, Language, LoadOptions, Rule, RuleExpr, RuleFileError, RuleFileErrors, RuleKind, RuleSet,
};
pub use source::{Layered, MemoryStore};
