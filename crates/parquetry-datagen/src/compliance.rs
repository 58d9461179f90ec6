//! The data the PromQL compliance queries expect: the `demo_*` metrics of three demo
//! service instances scraped every 5 s, as a deterministic OpenMetrics file.

use crate::noise::unit;
use parquetry_model::labels::write_quoted;
use parquetry_model::value::format_api_value;
use std::io::{self, Write};

/// The instances the compliance queries name.
pub const INSTANCES: [&str; 3] = [
    "demo.promlabs.com:10000",
    "demo.promlabs.com:10001",
    "demo.promlabs.com:10002",
];

/// Shape of the compliance dataset.
#[derive(Clone, Debug)]
pub struct ComplianceConfig {
    /// First scrape, milliseconds.
    pub start_ms: i64,
    /// Scrapes (every 5 s).
    pub steps: usize,
    /// Seed of the random walks.
    pub seed: u64,
}

impl Default for ComplianceConfig {
    /// Two hours from 2026-01-05T00:00:00Z.
    fn default() -> Self {
        ComplianceConfig {
            start_ms: crate::config::DEFAULT_START_MS,
            steps: 2 * 3600 / 5,
            seed: 7,
        }
    }
}

const INTERVAL_MS: i64 = 5_000;
const MEMORY_TYPES: [&str; 4] = ["buffers", "cached", "free", "used"];
const CPU_MODES: [&str; 3] = ["idle", "system", "user"];
const API_SERIES: [(&str, &str, &str); 9] = [
    ("GET", "/api/foo", "200"),
    ("GET", "/api/foo", "500"),
    ("GET", "/api/bar", "200"),
    ("GET", "/api/bar", "500"),
    ("POST", "/api/foo", "200"),
    ("POST", "/api/foo", "500"),
    ("POST", "/api/bar", "200"),
    ("GET", "/api/nonexistent", "404"),
    ("POST", "/api/nonexistent", "404"),
];

/// Histogram bounds: 25 exponential buckets from 0.1 ms by a factor of 1.5.
fn bounds() -> Vec<f64> {
    (0..25).map(|i| 0.0001 * 1.5f64.powi(i)).collect()
}

fn series(name: &str, labels: &[(&str, String)]) -> String {
    let mut s = name.to_string();
    s.push('{');
    for (i, (n, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(n);
        s.push('=');
        write_quoted(&mut s, v).expect("writing to a String cannot fail");
    }
    s.push('}');
    s
}

/// Writes the dataset as OpenMetrics (timestamps in seconds, `# EOF` last); returns the
/// number of samples.
pub fn write_openmetrics(config: &ComplianceConfig, out: impl Write) -> io::Result<u64> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    let mut n = 0u64;
    let seed = config.seed;
    let time = |k: usize| config.start_ms + k as i64 * INTERVAL_MS;
    let mut line = |out: &mut io::BufWriter<_>, s: &str, t: i64, v: f64| -> io::Result<()> {
        n += 1;
        writeln!(out, "{s} {} {}", format_api_value(v), t / 1000)
    };
    let base = |i: usize| {
        vec![
            ("instance", INSTANCES[i].to_string()),
            ("job", "demo".to_string()),
        ]
    };

    writeln!(out, "# TYPE demo_memory_usage_bytes gauge")?;
    for (i, _) in INSTANCES.iter().enumerate() {
        for (m, kind) in MEMORY_TYPES.iter().enumerate() {
            let mut labels = base(i);
            labels.push(("type", kind.to_string()));
            let s = series("demo_memory_usage_bytes", &labels);
            let mut v = 1e9 * (1.0 + m as f64);
            for k in 0..config.steps {
                v = (v + 2e7 * (unit(seed, &[1, i as u64, m as u64, k as u64]) - 0.5)).max(0.0);
                line(&mut out, &s, time(k), v.round())?;
            }
        }
    }
    writeln!(out, "# TYPE demo_cpu_usage_seconds counter")?;
    for (i, _) in INSTANCES.iter().enumerate() {
        for (m, mode) in CPU_MODES.iter().enumerate() {
            let mut labels = base(i);
            labels.push(("mode", mode.to_string()));
            let s = series("demo_cpu_usage_seconds_total", &labels);
            let mut v = 1000.0 * (i + 1) as f64;
            for k in 0..config.steps {
                v += (0.5 + m as f64) * 5.0 * unit(seed, &[2, i as u64, m as u64, k as u64]);
                line(&mut out, &s, time(k), (v * 1000.0).round() / 1000.0)?;
            }
        }
    }
    writeln!(out, "# TYPE demo_batch_last_success_timestamp_seconds gauge")?;
    for (i, _) in INSTANCES.iter().enumerate() {
        let s = series("demo_batch_last_success_timestamp_seconds", &base(i));
        let mut last = (config.start_ms / 1000) as f64 - 100.0;
        for k in 0..config.steps {
            if unit(seed, &[3, i as u64, k as u64]) < 0.02 {
                last = (time(k) / 1000) as f64;
            }
            line(&mut out, &s, time(k), last)?;
        }
    }
    writeln!(out, "# TYPE demo_num_cpus gauge")?;
    for (i, _) in INSTANCES.iter().enumerate() {
        let s = series("demo_num_cpus", &base(i));
        for k in 0..config.steps {
            line(&mut out, &s, time(k), 4.0 + i as f64)?;
        }
    }
    writeln!(out, "# TYPE demo_disk_usage_bytes gauge")?;
    for (i, _) in INSTANCES.iter().enumerate() {
        let s = series("demo_disk_usage_bytes", &base(i));
        let mut v = 5e10;
        for k in 0..config.steps {
            v += 1e5 * unit(seed, &[4, i as u64, k as u64]);
            line(&mut out, &s, time(k), v.round())?;
        }
    }
    writeln!(out, "# TYPE demo_intermittent_metric gauge")?;
    for (i, _) in INSTANCES.iter().enumerate() {
        let s = series("demo_intermittent_metric", &base(i));
        for k in 0..config.steps {
            // Exposed only in even minutes.
            if (time(k) / 60_000) % 2 == 0 {
                line(&mut out, &s, time(k), (k % 7) as f64)?;
            }
        }
    }
    writeln!(out, "# TYPE demo_api_request_duration_seconds histogram")?;
    let bounds = bounds();
    for (i, _) in INSTANCES.iter().enumerate() {
        for (a, (method, path, status)) in API_SERIES.iter().enumerate() {
            let mut labels = base(i);
            labels.push(("method", method.to_string()));
            labels.push(("path", path.to_string()));
            labels.push(("status", status.to_string()));
            let mut counts = vec![0.0; bounds.len() + 1];
            let mut sum = 0.0;
            let mut steps: Vec<(i64, Vec<f64>, f64)> = Vec::with_capacity(config.steps);
            for k in 0..config.steps {
                let requests = (20.0 * unit(seed, &[5, i as u64, a as u64, k as u64])).floor() as usize;
                for r in 0..requests {
                    let latency =
                        0.002 * (8.0 * unit(seed, &[6, i as u64, a as u64, k as u64, r as u64])).exp();
                    let b = bounds.partition_point(|&le| le < latency);
                    for c in &mut counts[b..] {
                        *c += 1.0;
                    }
                    sum += latency;
                }
                steps.push((time(k), counts.clone(), sum));
            }
            for (b, le) in bounds
                .iter()
                .map(|b| format!("{b}"))
                .chain(["+Inf".to_string()])
                .enumerate()
            {
                let mut l = labels.clone();
                l.push(("le", le));
                let s = series("demo_api_request_duration_seconds_bucket", &l);
                for (t, c, _) in &steps {
                    line(&mut out, &s, *t, c[b])?;
                }
            }
            let s = series("demo_api_request_duration_seconds_sum", &labels);
            for (t, _, total) in &steps {
                line(&mut out, &s, *t, *total)?;
            }
            let s = series("demo_api_request_duration_seconds_count", &labels);
            for (t, c, _) in &steps {
                line(&mut out, &s, *t, c[bounds.len()])?;
            }
        }
    }
    writeln!(out, "# EOF")?;
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_is_openmetrics_and_deterministic() {
        let config = ComplianceConfig {
            steps: 30,
            ..ComplianceConfig::default()
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        let n = write_openmetrics(&config, &mut a).unwrap();
        write_openmetrics(&config, &mut b).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert!(text.ends_with("# EOF\n"));
        assert!(n > 30 * 3 * 10);
        assert!(text.contains(r#"demo_api_request_duration_seconds_bucket{instance="demo.promlabs.com:10000",job="demo",method="GET",path="/api/foo",status="200",le="+Inf"}"#));
    }
}
