//! Evaluation of PromQL over the store.

pub mod grid;
pub mod lookback;

pub use grid::StepGrid;
