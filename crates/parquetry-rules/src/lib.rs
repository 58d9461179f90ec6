//! Prometheus recording and alerting rules, evaluated over archived history.
//!
//! * [`template`]: Prometheus' alert templates (Go `text/template` with its functions).

pub mod file;
mod locate;
pub mod template;

pub use file::{Group, LoadOptions, Rule, RuleFileError, RuleFileErrors, RuleKind, RuleSet};
pub mod alerting;
pub mod backtest;
mod expr_walk;
pub mod source;

pub use alerting::{AlertEpisode, FiringAlert};
pub use backtest::{Backtest, BacktestOptions, RuleError, Strategy, backtest};
pub use source::{Layered, MemoryStore};
