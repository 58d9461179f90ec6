//! Times dashboard and alert queries as 6 h range queries at a 60 s step on Prometheus (over
//! its HTTP API) and on Parquetry (through its Rust API), checks that both give the same
//! series, and prints a Markdown table of medians and ratios.
//!
//! Usage: promql-latency PROMETHEUS_URL STORE START_UNIX_S END_UNIX_S RUNS

use parquetry::promql::eval::{QueryResult, StepGrid};
use parquetry::{Engine, QueryOptions};
use std::time::Instant;

/// The query set: one per family of functions and operators a dashboard or alert uses.
const QUERIES: [&str; 10] = [
    "rate(http_requests_total[5m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    r#"sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum by (job) (rate(http_requests_total[5m]))"#,
    "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "topk(5, rate(node_cpu_seconds_total[5m]))",
    "predict_linear(node_filesystem_avail_bytes[1h], 4 * 3600)",
    "deriv(sum by (instance) (rate(node_cpu_seconds_total[5m]))[30m:1m])",
    "increase(http_requests_total[1h])",
    r#"sum by (host) (label_replace(up, "host", "$1", "instance", "(.*):.*"))"#,
    "quantile_over_time(0.9, node_hwmon_temp_celsius[10m])",
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn prometheus_series(url: &str, q: &str, start: i64, end: i64) -> Result<usize, String> {
    let mut response = ureq::get(format!("{url}/api/v1/query_range"))
        .query("query", q)
        .query("start", start.to_string())
        .query("end", end.to_string())
        .query("step", "60")
        .call()
        .map_err(|e| e.to_string())?;
    let body = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    Ok(json["data"]["result"].as_array().map_or(0, Vec::len))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, store, start, end, runs] = args.as_slice() else {
        eprintln!("usage: promql-latency PROMETHEUS_URL STORE START_UNIX_S END_UNIX_S RUNS");
        std::process::exit(2);
    };
    let (start, end): (i64, i64) = (start.parse().expect("start"), end.parse().expect("end"));
    let runs: usize = runs.parse().expect("runs");
    let engine = Engine::open(store).expect("the store opens");
    let grid = StepGrid {
        start: start * 1000,
        end: end * 1000,
        step: 60_000,
    };
    println!("| query | series | Prometheus | Parquetry | Parquetry/Prometheus |");
    println!("|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for q in QUERIES {
        let mut prom = Vec::new();
        let mut ours = Vec::new();
        let mut counts = (0, 0);
        for _ in 0..runs {
            let t = Instant::now();
            counts.0 = prometheus_series(url, q, start, end).expect("prometheus answers");
            prom.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let r = engine
                .query_range(q, grid, &QueryOptions::default())
                .expect("parquetry answers");
            ours.push(t.elapsed().as_secs_f64());
            counts.1 = match r {
                QueryResult::Vector(s) => s.len(),
                _ => 1,
            };
        }
        let (p, o) = (median(prom), median(ours));
        ratios.push(o / p);
        let same = if counts.0 == counts.1 {
            String::new()
        } else {
            format!(" (Prometheus {} series)", counts.0)
        };
        println!(
            "| `{}` | {}{same} | {:.0} ms | {:.0} ms | {:.2} |",
            q.replace('|', "\\|"),
            counts.1,
            p * 1000.0,
            o * 1000.0,
            o / p
        );
    }
    let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    println!(
        "\ngeometric mean of Parquetry/Prometheus: {geo:.2} ({:.1}x faster)",
        1.0 / geo
    );
}
