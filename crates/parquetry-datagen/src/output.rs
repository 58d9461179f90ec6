//! Writing a dataset in the ingest formats.

use crate::behavior::{Events, Sample, SeriesGen};
use crate::catalog::{FAMILIES, SeriesSpec};
use crate::config::DemoConfig;
use parquetry_model::labels::write_quoted;
use parquetry_model::value::{format_api_value, stale_nan};
use parquetry_model::{Labels, METRIC_NAME};
use parquetry_store::ingest::rows::{RowFormat, RowWriter};
use std::io::{self, Write};

/// The formats a dataset can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// OpenMetrics text, family by family, timestamps in seconds, `# EOF` last. Stale
    /// markers cannot be expressed and are left out.
    OpenMetrics,
    /// The JSONL row format, scrape by scrape, stale markers included.
    JsonLines,
    /// The CSV row format, scrape by scrape, stale markers included.
    Csv,
}

/// A generated dataset.
pub struct Dataset {
    config: DemoConfig,
    series: Vec<SeriesSpec>,
}

impl Dataset {
    /// The dataset `config` describes.
    pub fn new(config: DemoConfig) -> Dataset {
        let series = crate::catalog::all_series(config.instances);
        Dataset { config, series }
    }

    /// Its config.
    pub fn config(&self) -> &DemoConfig {
        &self.config
    }

    /// Its series, family by family.
    pub fn series(&self) -> &[SeriesSpec] {
        &self.series
    }

    /// Writes the dataset to `out`; returns the number of samples written.
    pub fn write(&self, format: OutputFormat, out: impl Write) -> io::Result<u64> {
        match format {
            OutputFormat::OpenMetrics => self.write_openmetrics(out),
            OutputFormat::JsonLines => self.write_rows(RowFormat::JsonLines, out),
            OutputFormat::Csv => self.write_rows(RowFormat::Csv, out),
        }
    }

    fn write_rows(&self, format: RowFormat, out: impl Write) -> io::Result<u64> {
        let ev = Events::new(&self.config);
        let mut gens: Vec<SeriesGen> = self.series.iter().map(|s| SeriesGen::new(s, &ev)).collect();
        let mut w = RowWriter::new(format, io::BufWriter::with_capacity(1 << 20, out))?;
        let mut written = 0;
        for step in 0..self.config.steps() {
            let t = self.config.time_of(step);
            for (spec, g) in self.series.iter().zip(&mut gens) {
                let value = match g.sample(&ev, step) {
                    Sample::Value(v) => v,
                    Sample::Stale => stale_nan(),
                    Sample::Absent => continue,
                };
                w.write(&spec.labels, t, value)?;
                written += 1;
            }
        }
        w.finish()?.flush()?;
        Ok(written)
    }

    fn write_openmetrics(&self, out: impl Write) -> io::Result<u64> {
        let ev = Events::new(&self.config);
        let mut out = io::BufWriter::with_capacity(1 << 20, out);
        let mut written = 0;
        let mut line = String::new();
        for (family_index, family) in FAMILIES.iter().enumerate() {
            writeln!(out, "# HELP {} {}", family.name, family.help)?;
            writeln!(out, "# TYPE {} {}", family.name, family.kind)?;
            let specs: Vec<&SeriesSpec> = self.series.iter().filter(|s| s.family == family_index).collect();
            let prefixes: Vec<String> = specs.iter().map(|s| openmetrics_series(&s.labels)).collect();
            let mut gens: Vec<SeriesGen> = specs.iter().map(|s| SeriesGen::new(s, &ev)).collect();
            for step in 0..self.config.steps() {
                let seconds = openmetrics_seconds(self.config.time_of(step));
                for (prefix, g) in prefixes.iter().zip(&mut gens) {
                    if let Sample::Value(v) = g.sample(&ev, step) {
                        line.clear();
                        line.push_str(prefix);
                        line.push(' ');
                        line.push_str(&format_api_value(v));
                        line.push(' ');
                        line.push_str(&seconds);
                        line.push('\n');
                        out.write_all(line.as_bytes())?;
                        written += 1;
                    }
                }
            }
        }
        out.write_all(b"# EOF\n")?;
        out.flush()?;
        Ok(written)
    }
}

/// `name{a="b",c="d"}` in OpenMetrics' compact form.
fn openmetrics_series(labels: &Labels) -> String {
    let mut s = labels.metric_name().unwrap_or("").to_string();
    let mut first = true;
    for l in labels.iter().filter(|l| l.name != METRIC_NAME) {
        s.push(if first { '{' } else { ',' });
        first = false;
        s.push_str(&l.name);
        s.push('=');
        write_quoted(&mut s, &l.value).expect("writing to a String cannot fail");
    }
    if !first {
        s.push('}');
    }
    s
}

/// Milliseconds as OpenMetrics seconds: `1767571200` or `1767571200.5`.
fn openmetrics_seconds(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    if frac == 0 {
        secs.to_string()
    } else {
        format!("{secs}.{frac:03}").trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Dataset {
        Dataset::new(DemoConfig {
            duration_ms: 3_600_000,
            instances: 4,
            ..DemoConfig::default()
        })
    }

    #[test]
    fn generation_is_deterministic() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        small().write(OutputFormat::JsonLines, &mut a).unwrap();
        small().write(OutputFormat::JsonLines, &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn openmetrics_holds_the_same_values_as_rows_but_stale_markers() {
        let d = small();
        let mut om = Vec::new();
        let mut rows = Vec::new();
        let om_n = d.write(OutputFormat::OpenMetrics, &mut om).unwrap();
        let row_n = d.write(OutputFormat::JsonLines, &mut rows).unwrap();
        let stale = String::from_utf8(rows).unwrap().matches("\"stale\"").count() as u64;
        assert_eq!(om_n + stale, row_n);
        let om = String::from_utf8(om).unwrap();
        assert!(om.ends_with("# EOF\n"));
        assert!(om.contains("# TYPE http_requests counter\n"));
        assert!(om.contains(r#"http_request_duration_seconds_bucket{handler="/",instance="api-000:9100",job="api",le="+Inf"} "#));
    }

    #[test]
    fn seconds_keep_millisecond_fractions() {
        assert_eq!(openmetrics_seconds(1_500), "1.5");
        assert_eq!(openmetrics_seconds(1_000), "1");
        assert_eq!(openmetrics_seconds(1_025), "1.025");
    }
}
