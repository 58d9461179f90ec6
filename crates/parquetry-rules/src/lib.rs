//! Prometheus recording and alerting rules, evaluated over archived history.
//!
//! * [`template`]: Prometheus' alert templates (Go `text/template` with its functions).

pub mod file;
mod locate;
pub mod template;

pub use file::{Group, LoadOptions, Rule, RuleFileError, RuleFileErrors, RuleKind, RuleSet};
