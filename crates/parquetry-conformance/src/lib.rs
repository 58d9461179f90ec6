//! The conformance corpora and their bookkeeping.
//!
//! The corpora are not part of the repository: they are read from the `shared/conformance`
//! folder beside it (or from `$PARQUETRY_CONFORMANCE_DIR`). [`floors`] reads the pass-count
//! floors that CI enforces from `testdata/floors.txt`.

pub mod compliance;
pub mod floors;
pub mod location;
pub mod logql;
pub mod logql_engine;
pub mod logql_pipeline;
pub mod logql_runtime;
pub mod promqltest;
pub mod promqltest_queries;
pub mod promtool_rules;

pub use location::{conformance_dir, conformance_dir_or_skip, workspace_root};
