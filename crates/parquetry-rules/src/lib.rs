//! Prometheus recording and alerting rules, evaluated over archived history.
//!
//! * [`template`]: Prometheus' alert templates (Go `text/template` with its functions).

pub mod template;
