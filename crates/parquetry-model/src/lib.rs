//! The shared vocabulary of Parquetry.
//!
//! Every other crate speaks in these types: [`Labels`] identify a series, [`SeriesId`] is
//! their stable hash, [`Matcher`] selects series with Prometheus semantics, the functions in
//! [`value`] keep NaN and stale markers bit-exact, and [`time`] parses the durations and
//! timestamps users type, [`otlp`] reads what OTLP/JSON inputs of every signal share, and
//! [`Cancel`] stops long operations at their caller's request; [`metadata`] is what a
//! metric family declares about itself.

pub mod cancel;
pub mod go_duration;
pub mod go_float;
pub mod go_string;
pub mod go_time;
pub mod labels;
pub mod matcher;
pub mod metadata;
pub mod otlp;
pub mod otlp_proto;
pub mod series_id;
pub mod time;
pub mod value;

pub use cancel::Cancel;
pub use labels::{Label, Labels, METRIC_NAME};
pub use matcher::{MatchOp, Matcher, MatcherError};
pub use metadata::{MetricMetadata, MetricType};
pub use series_id::SeriesId;
pub use time::TimeError;
