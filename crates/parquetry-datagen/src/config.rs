//! What to generate.

/// Shape of a demo dataset. Every field changes the data deterministically; two datasets
/// with equal configs are identical.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// Time of the first scrape, milliseconds since the epoch.
    pub start_ms: i64,
    /// Length of the dataset in milliseconds.
    pub duration_ms: i64,
    /// Scrape interval in milliseconds.
    pub interval_ms: i64,
    /// Number of monitored instances; each has [`crate::SERIES_PER_INSTANCE`] series.
    pub instances: usize,
    /// Seed of every random draw.
    pub seed: u64,
}

/// 2026-01-05T00:00:00Z, a Monday: the default start of demo data.
pub const DEFAULT_START_MS: i64 = 1_767_571_200_000;

impl Default for DemoConfig {
    /// Six hours at 15 s for 20 instances: about 2,000 series and 2.9 million samples.
    fn default() -> Self {
        DemoConfig {
            start_ms: DEFAULT_START_MS,
            duration_ms: 6 * 3_600_000,
            interval_ms: 15_000,
            instances: 20,
            seed: 42,
        }
    }
}

impl DemoConfig {
    /// The default config resized to about `series` series.
    pub fn with_series(series: usize) -> DemoConfig {
        DemoConfig {
            instances: series.div_ceil(crate::SERIES_PER_INSTANCE).max(1),
            ..DemoConfig::default()
        }
    }

    /// Number of scrapes: one at the start and one every interval up to the end, inclusive
    /// of neither an extra one past the end.
    pub fn steps(&self) -> usize {
        (self.duration_ms / self.interval_ms).max(0) as usize
    }

    /// Time of scrape `step`.
    pub fn time_of(&self, step: usize) -> i64 {
        self.start_ms + step as i64 * self.interval_ms
    }

    /// Scrape interval in seconds.
    pub fn interval_secs(&self) -> f64 {
        self.interval_ms as f64 / 1000.0
    }
}
