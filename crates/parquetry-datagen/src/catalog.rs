//! The metric families and series of the demo dataset.

use parquetry_model::Labels;

/// Jobs the instances are spread over.
pub const JOBS: [&str; 4] = ["api", "checkout", "search", "auth"];
/// HTTP handlers of every instance.
pub const HANDLERS: [&str; 4] = ["/", "/login", "/orders", "/search"];
/// HTTP methods.
pub const METHODS: [&str; 2] = ["GET", "POST"];
/// HTTP status codes.
pub const CODES: [&str; 3] = ["200", "404", "500"];
/// Histogram bucket bounds of the request-duration histogram, in seconds (`+Inf` last).
pub const BUCKETS: [f64; 12] = [
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    f64::INFINITY,
];
/// CPU modes.
pub const CPU_MODES: [&str; 4] = ["idle", "iowait", "system", "user"];
/// CPUs per instance.
pub const CPUS: usize = 2;
/// Mount points: (device, mountpoint, size in bytes).
pub const MOUNTS: [(&str, &str, f64); 3] = [
    ("sda1", "/", 100e9),
    ("sdb1", "/var/lib/data", 500e9),
    ("tmpfs", "/run", 2e9),
];
/// Containers per instance.
pub const CONTAINERS: [&str; 2] = ["app", "sidecar"];
/// Hardware temperature sensors per instance.
pub const CHIPS: [&str; 2] = ["cpu0", "nvme0"];

/// Series per instance: requests, histogram (buckets, sum, count), CPU, filesystem
/// (avail, size), restarts, up, temperature and SLA slack.
pub const SERIES_PER_INSTANCE: usize = HANDLERS.len() * METHODS.len() * CODES.len()
    + HANDLERS.len() * (BUCKETS.len() + 2)
    + CPUS * CPU_MODES.len()
    + MOUNTS.len() * 2
    + CONTAINERS.len()
    + 1
    + CHIPS.len()
    + 1;

/// OpenMetrics metadata of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// Family name (for counters, without `_total`).
    pub name: &'static str,
    /// OpenMetrics type.
    pub kind: &'static str,
    /// Help text.
    pub help: &'static str,
}

/// The families, in output order; entry `i` describes group `i` of the series.
pub const FAMILIES: [Family; 9] = [
    Family {
        name: "http_requests",
        kind: "counter",
        help: "HTTP requests served.",
    },
    Family {
        name: "http_request_duration_seconds",
        kind: "histogram",
        help: "HTTP request latency.",
    },
    Family {
        name: "node_cpu_seconds",
        kind: "counter",
        help: "CPU time spent per mode.",
    },
    Family {
        name: "node_filesystem_avail_bytes",
        kind: "gauge",
        help: "Filesystem space available.",
    },
    Family {
        name: "node_filesystem_size_bytes",
        kind: "gauge",
        help: "Filesystem size.",
    },
    Family {
        name: "kube_pod_container_status_restarts",
        kind: "counter",
        help: "Container restarts.",
    },
    Family {
        name: "up",
        kind: "gauge",
        help: "Whether the target was reachable.",
    },
    Family {
        name: "node_hwmon_temp_celsius",
        kind: "gauge",
        help: "Sensor temperature; NaN when unreadable.",
    },
    Family {
        name: "app_sla_slack_seconds",
        kind: "gauge",
        help: "Seconds left in the SLA window; +Inf outside one, -Inf once breached.",
    },
];

/// What a series measures; decides how its values evolve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// `http_requests_total` for (handler, method, code).
    Requests {
        handler: usize,
        method: usize,
        code: usize,
    },
    /// `http_request_duration_seconds_bucket` for (handler, bucket).
    Bucket { handler: usize, bucket: usize },
    /// `http_request_duration_seconds_sum` for a handler.
    DurationSum { handler: usize },
    /// `http_request_duration_seconds_count` for a handler.
    DurationCount { handler: usize },
    /// `node_cpu_seconds_total` for (cpu, mode).
    Cpu { cpu: usize, mode: usize },
    /// `node_filesystem_avail_bytes` for a mount.
    FsAvail { mount: usize },
    /// `node_filesystem_size_bytes` for a mount.
    FsSize { mount: usize },
    /// `kube_pod_container_status_restarts_total` for a container.
    Restarts { container: usize },
    /// `up`.
    Up,
    /// `node_hwmon_temp_celsius` for a chip.
    Temperature { chip: usize },
    /// `app_sla_slack_seconds`.
    SlaSlack,
}

/// One generated series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSpec {
    /// Labels, `__name__` included.
    pub labels: Labels,
    /// Index into [`FAMILIES`] of the family it is written under.
    pub family: usize,
    /// The instance it belongs to.
    pub instance: usize,
    /// How it behaves.
    pub kind: Kind,
}

/// Job of instance `i`.
pub fn job_of(instance: usize) -> usize {
    instance % JOBS.len()
}

/// Every series of `instances` instances, grouped by family, then instance.
pub fn all_series(instances: usize) -> Vec<SeriesSpec> {
    let mut out = Vec::with_capacity(instances * SERIES_PER_INSTANCE);
    for (family, kinds) in family_kinds().into_iter().enumerate() {
        for instance in 0..instances {
            for &kind in &kinds {
                out.push(SeriesSpec {
                    labels: labels_of(instance, kind),
                    family,
                    instance,
                    kind,
                });
            }
        }
    }
    out
}

/// The kinds of series each family holds, per instance, in the order of [`FAMILIES`].
fn family_kinds() -> Vec<Vec<Kind>> {
    let mut requests = Vec::new();
    for handler in 0..HANDLERS.len() {
        for method in 0..METHODS.len() {
            for code in 0..CODES.len() {
                requests.push(Kind::Requests {
                    handler,
                    method,
                    code,
                });
            }
        }
    }
    let mut histogram = Vec::new();
    for handler in 0..HANDLERS.len() {
        for bucket in 0..BUCKETS.len() {
            histogram.push(Kind::Bucket { handler, bucket });
        }
        histogram.push(Kind::DurationSum { handler });
        histogram.push(Kind::DurationCount { handler });
    }
    let cpu = (0..CPUS)
        .flat_map(|cpu| (0..CPU_MODES.len()).map(move |mode| Kind::Cpu { cpu, mode }))
        .collect();
    vec![
        requests,
        histogram,
        cpu,
        (0..MOUNTS.len()).map(|mount| Kind::FsAvail { mount }).collect(),
        (0..MOUNTS.len()).map(|mount| Kind::FsSize { mount }).collect(),
        (0..CONTAINERS.len())
            .map(|container| Kind::Restarts { container })
            .collect(),
        vec![Kind::Up],
        (0..CHIPS.len()).map(|chip| Kind::Temperature { chip }).collect(),
        vec![Kind::SlaSlack],
    ]
}

/// Formats a bucket bound as Prometheus clients do (`0.005`, `1.0`, `+Inf`).
pub fn format_le(le: f64) -> String {
    if le.is_infinite() {
        "+Inf".to_string()
    } else if le.fract() == 0.0 {
        format!("{le:.1}")
    } else {
        format!("{le}")
    }
}

fn labels_of(instance: usize, kind: Kind) -> Labels {
    let job = JOBS[job_of(instance)];
    let inst = format!("{job}-{instance:03}:9100");
    let mut pairs: Vec<(&str, String)> = vec![("job", job.to_string()), ("instance", inst)];
    let name = match kind {
        Kind::Requests {
            handler,
            method,
            code,
        } => {
            pairs.push(("handler", HANDLERS[handler].to_string()));
            pairs.push(("method", METHODS[method].to_string()));
            pairs.push(("code", CODES[code].to_string()));
            "http_requests_total"
        }
        Kind::Bucket { handler, bucket } => {
            pairs.push(("handler", HANDLERS[handler].to_string()));
            pairs.push(("le", format_le(BUCKETS[bucket])));
            "http_request_duration_seconds_bucket"
        }
        Kind::DurationSum { handler } => {
            pairs.push(("handler", HANDLERS[handler].to_string()));
            "http_request_duration_seconds_sum"
        }
        Kind::DurationCount { handler } => {
            pairs.push(("handler", HANDLERS[handler].to_string()));
            "http_request_duration_seconds_count"
        }
        Kind::Cpu { cpu, mode } => {
            pairs.push(("cpu", cpu.to_string()));
            pairs.push(("mode", CPU_MODES[mode].to_string()));
            "node_cpu_seconds_total"
        }
        Kind::FsAvail { mount } | Kind::FsSize { mount } => {
            pairs.push(("device", MOUNTS[mount].0.to_string()));
            pairs.push(("mountpoint", MOUNTS[mount].1.to_string()));
            if matches!(kind, Kind::FsAvail { .. }) {
                "node_filesystem_avail_bytes"
            } else {
                "node_filesystem_size_bytes"
            }
        }
        Kind::Restarts { container } => {
            pairs.push(("container", CONTAINERS[container].to_string()));
            "kube_pod_container_status_restarts_total"
        }
        Kind::Up => "up",
        Kind::Temperature { chip } => {
            pairs.push(("chip", CHIPS[chip].to_string()));
            "node_hwmon_temp_celsius"
        }
        Kind::SlaSlack => "app_sla_slack_seconds",
    };
    pairs.push(("__name__", name.to_string()));
    Labels::from_pairs(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_count_matches_the_constant_and_labels_are_unique() {
        let series = all_series(3);
        assert_eq!(series.len(), 3 * SERIES_PER_INSTANCE);
        let unique: std::collections::HashSet<_> = series.iter().map(|s| &s.labels).collect();
        assert_eq!(unique.len(), series.len());
    }

    #[test]
    fn bucket_bounds_print_like_client_libraries() {
        assert_eq!(format_le(1.0), "1.0");
        assert_eq!(format_le(0.025), "0.025");
        assert_eq!(format_le(f64::INFINITY), "+Inf");
    }
}
