//! Deterministic, realistic telemetry for the demo, the tests and the benchmarks.
//!
//! A [`Dataset`] is a fleet of instances scraped at a fixed interval: HTTP request
//! counters with error bursts and counter resets on restarts, a request-duration
//! histogram, CPU counters, filesystems filling up, container restarts, `up`, temperature
//! sensors that sometimes read NaN, and an SLA gauge that is ±Inf outside its window.
//! Every value is a pure function of the [`DemoConfig`], so the same config gives the same
//! bytes in every format. [`log_fleet`] writes the logs of a fleet of services the same
//! way ([`LogFleetConfig`]), with the spans of the same requests under the same trace
//! ids.

pub mod behavior;
pub mod catalog;
pub mod compliance;
pub mod config;
mod fleet_traces;
pub mod log_fleet;
mod noise;
pub mod output;

pub use catalog::SERIES_PER_INSTANCE;
pub use config::DemoConfig;
pub use log_fleet::LogFleetConfig;
pub use output::{Dataset, OutputFormat};
