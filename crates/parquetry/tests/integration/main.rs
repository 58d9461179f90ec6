//! The facade's integration tests, in one test binary (one link of DataFusion).

mod backtest;
mod compaction;
mod fused_aggregation;
mod object_storage;
mod round_trip;
mod store_lifecycle;
