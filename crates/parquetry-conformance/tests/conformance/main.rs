//! The conformance suites, in one test binary.

mod promqltest;
mod promtool_rules;
