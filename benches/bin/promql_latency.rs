//! Times dashboard and alert queries as 6 h range queries at a 60 s step on Prometheus (over
//! its HTTP API), on Parquetry through its Rust API, and on Parquetry through its CLI
//! (`parquetry query --format json`, a process per run); checks that both engines give the
//! same answers; and prints a Markdown table of medians, ratios and per-query peak memory.
//!
//! Each query gets a freshly started Prometheus, so its peak resident memory is that
//! query's (on top of what the server holds after start-up), just as each CLI run is a
//! process of its own.
//!
//! Then the Rust API again, each query called many times in a row, so that no other
//! process runs between two calls (the interleaved runs above pause the engine for
//! Prometheus and the CLI, which on some machines makes a call much slower).
//!
//! Then HTTP against HTTP: one Prometheus and one `parquetry serve`, each started once,
//! answer the whole set through the same client, which keeps a connection to each open
//! (the queries interleaved, medians of the runs, the answers compared), first as range
//! queries and then as instant queries at the range's middle, and each server's peak
//! memory over both.
//!
//! Usage: promql-latency PROMETHEUS_BIN_DIR PROMETHEUS_TSDB STORE PARQUETRY_CLI START_UNIX_S END_UNIX_S RUNS

use parquetry::promql::eval::StepGrid;
use parquetry::{Engine, QueryOptions};
use parquetry_benches::compare::{diff, parquetry_range, prometheus_instant, prometheus_range};
use parquetry_benches::prometheus_server::{ParquetryServer, PrometheusServer};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
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

/// The command line.
struct Args<'a> {
    prometheus_bin: &'a Path,
    tsdb: &'a Path,
    store: &'a str,
    cli: &'a str,
    start_s: i64,
    end_s: i64,
    runs: usize,
}

/// One query's measurements.
struct Row {
    series: usize,
    prometheus_s: f64,
    api_s: f64,
    cli_s: f64,
    prometheus_peak_kib: u64,
    cli_peak_kib: u64,
    difference: Option<String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn geometric_mean(v: &[f64]) -> f64 {
    (v.iter().map(|r| r.ln()).sum::<f64>() / v.len() as f64).exp()
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// The wall time of one query over Prometheus' HTTP API (of Prometheus or of
/// `parquetry serve`): `GET url/path?params…` until the body's last byte arrives. The
/// bytes are read as they come and dropped, as `curl -o /dev/null` does: neither gathered
/// into one string nor checked as UTF-8 (that is the client's cost, not the server's; the
/// answers are compared on requests of their own). `client` keeps its connection to each
/// server open between requests, as Grafana's data sources do.
fn time_http(client: &ureq::Agent, url: &str, path: &str, params: &[(&str, String)]) -> Result<f64, String> {
    let t = Instant::now();
    let mut request = client.get(format!("{url}{path}"));
    for (name, value) in params {
        request = request.query(*name, value);
    }
    let response = request.call().map_err(|e| e.to_string())?;
    let mut body = response.into_body().into_with_config().limit(u64::MAX).reader();
    let bytes = std::io::copy(&mut body, &mut std::io::sink()).map_err(|e| e.to_string())?;
    if bytes == 0 {
        return Err(format!("an empty answer from {url}"));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// The parameters of `q` as a range query over the whole range at a 60 s step.
fn range_params(q: &str, args: &Args) -> Vec<(&'static str, String)> {
    vec![
        ("query", q.to_string()),
        ("start", args.start_s.to_string()),
        ("end", args.end_s.to_string()),
        ("step", "60".to_string()),
    ]
}

/// The parameters of `q` as an instant query at `time_s`.
fn instant_params(q: &str, time_s: i64) -> Vec<(&'static str, String)> {
    vec![("query", q.to_string()), ("time", time_s.to_string())]
}

/// The arguments of `parquetry query` answering `q` over the whole range as Prometheus'
/// JSON.
fn cli_query_args(q: &str, args: &Args) -> Vec<String> {
    let (start, end) = (args.start_s.to_string(), args.end_s.to_string());
    let list = [
        "query", "--store", args.store, "--step", "60s", "--format", "json", "--start", &start, "--end",
        &end, q,
    ];
    list.map(String::from).into()
}

/// Runs `command` with its output dropped; an error unless it ran and exited with 0.
fn run_quietly(command: &mut Command) -> Result<(), String> {
    let status = command
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("{command:?} failed: {status}")),
    }
}

/// The wall time of one `parquetry query` process, started directly: no wrapper whose
/// own start would be charged to it.
fn time_cli(q: &str, args: &Args) -> Result<f64, String> {
    let t = Instant::now();
    run_quietly(Command::new(args.cli).args(cli_query_args(q, args)))?;
    Ok(t.elapsed().as_secs_f64())
}

/// The peak resident memory (KiB) of one `parquetry query` process, from GNU time in a
/// run of its own that is not timed (starting GNU time first costs over a millisecond).
/// GNU time is a small process, so the peak it reports is the query's alone; a process
/// started straight from this harness would report the harness' own size instead.
fn cli_peak_kib(q: &str, args: &Args, scratch: &Path) -> Result<u64, String> {
    run_quietly(
        Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(scratch)
            .arg(args.cli)
            .args(cli_query_args(q, args)),
    )?;
    std::fs::read_to_string(scratch)
        .map_err(|e| e.to_string())?
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| "no peak memory from /usr/bin/time".to_string())
}

fn measure(q: &str, engine: &Engine, args: &Args, work: &Path) -> Result<Row, String> {
    let grid = grid(args);
    let server = PrometheusServer::start(args.prometheus_bin, args.tsdb, work)?;
    // The first answers of each engine are compared (and warm both caches).
    let reference = prometheus_range(server.url(), q, grid)?;
    let ours = parquetry_range(engine, q, grid)?;
    let difference = diff(&reference, &ours);
    let mut prometheus = Vec::new();
    let mut api = Vec::new();
    let mut cli = Vec::new();
    let client = ureq::Agent::new_with_defaults();
    for _ in 0..args.runs {
        prometheus.push(time_http(
            &client,
            server.url(),
            "/api/v1/query_range",
            &range_params(q, args),
        )?);
        let t = Instant::now();
        engine
            .query_range(q, grid, &QueryOptions::default())
            .map_err(|e| e.to_string())?;
        api.push(t.elapsed().as_secs_f64());
        cli.push(time_cli(q, args)?);
    }
    let cli_peak_kib = cli_peak_kib(q, args, &work.join("time.out"))?;
    Ok(Row {
        series: ours.len(),
        prometheus_s: median(prometheus),
        api_s: median(api),
        cli_s: median(cli),
        prometheus_peak_kib: server.peak_rss_kib().unwrap_or(0),
        cli_peak_kib,
        difference,
    })
}

/// Calls of the Rust API in a row, for each query, after the interleaved runs.
const BACK_TO_BACK_CALLS: usize = 20;

/// Times each query through the Rust API [`BACK_TO_BACK_CALLS`] times in a row (after one
/// call that is not timed) and prints the medians against Prometheus' medians from the
/// interleaved runs (`prometheus_s`, in the order of [`QUERIES`]). In the interleaved
/// runs each API call follows Prometheus and a CLI process; here none does, which shows
/// how much of a call's time is waking an idle machine rather than the query's work.
fn back_to_back(engine: &Engine, args: &Args, prometheus_s: &[f64]) -> Result<(), String> {
    let grid = grid(args);
    println!("\nThe Rust API, {BACK_TO_BACK_CALLS} calls of each query in a row\n");
    println!("| query | Parquetry API, back to back | API/Prometheus |");
    println!("|---|---|---|");
    let mut ratios = Vec::new();
    for (q, prometheus) in QUERIES.iter().zip(prometheus_s) {
        let mut times = Vec::with_capacity(BACK_TO_BACK_CALLS);
        for call in 0..=BACK_TO_BACK_CALLS {
            let t = Instant::now();
            engine
                .query_range(q, grid, &QueryOptions::default())
                .map_err(|e| e.to_string())?;
            if call > 0 {
                times.push(t.elapsed().as_secs_f64());
            }
        }
        let api = median(times);
        ratios.push(api / prometheus);
        println!(
            "| `{}` | {:.2} ms | {:.3} |",
            q.replace('|', "\\|"),
            api * 1000.0,
            api / prometheus
        );
    }
    let mean = geometric_mean(&ratios);
    println!(
        "\ngeometric mean of Parquetry back to back/Prometheus: {mean:.3} ({:.1}x faster)",
        1.0 / mean
    );
    Ok(())
}

/// The grid of every query: `[start, end]` at a 60 s step.
fn grid(args: &Args) -> StepGrid {
    StepGrid {
        start: args.start_s * 1000,
        end: args.end_s * 1000,
        step: 60_000,
    }
}

/// Times `GET path?params` on both servers, `args.runs` times each in turn, prints the
/// medians as a row for `q` and returns Prometheus' median over Parquetry's.
fn time_both(
    client: &ureq::Agent,
    prometheus: &PrometheusServer,
    parquetry: &ParquetryServer,
    path: &str,
    params: &[(&str, String)],
    q: &str,
    args: &Args,
) -> Result<f64, String> {
    let (mut theirs, mut served) = (Vec::new(), Vec::new());
    for _ in 0..args.runs {
        theirs.push(time_http(client, prometheus.url(), path, params)?);
        served.push(time_http(client, parquetry.url(), path, params)?);
    }
    let (theirs, served) = (median(theirs), median(served));
    println!(
        "| `{}` | {:.1} ms | {:.1} ms | {:.1}x |",
        q.replace('|', "\\|"),
        theirs * 1000.0,
        served * 1000.0,
        theirs / served
    );
    Ok(theirs / served)
}

/// How the set is asked over HTTP.
#[derive(Clone, Copy)]
enum Ask {
    /// Range queries over the whole range at a 60 s step.
    Range,
    /// Instant queries at this time (Unix seconds).
    Instant(i64),
}

/// Asks both servers every query of the set as `ask` says, compares their answers
/// (adding differences to `differences`), prints a table of medians and returns the
/// geometric mean of the speed-ups.
fn time_set(
    client: &ureq::Agent,
    prometheus: &PrometheusServer,
    parquetry: &ParquetryServer,
    ask: Ask,
    args: &Args,
    differences: &mut Vec<String>,
) -> Result<f64, String> {
    println!("| query | Prometheus | parquetry serve | speed-up |");
    println!("|---|---|---|---|");
    let mut speedups = Vec::new();
    for q in QUERIES {
        let (reference, ours, path, params) = match ask {
            Ask::Range => (
                prometheus_range(prometheus.url(), q, grid(args))?,
                prometheus_range(parquetry.url(), q, grid(args))?,
                "/api/v1/query_range",
                range_params(q, args),
            ),
            Ask::Instant(at) => (
                prometheus_instant(prometheus.url(), q, at)?,
                prometheus_instant(parquetry.url(), q, at)?,
                "/api/v1/query",
                instant_params(q, at),
            ),
        };
        if let Some(d) = diff(&reference, &ours) {
            let kind = if matches!(ask, Ask::Range) {
                "range"
            } else {
                "instant"
            };
            differences.push(format!("{q} ({kind}): {d}"));
        }
        speedups.push(time_both(client, prometheus, parquetry, path, &params, q, args)?);
    }
    Ok(geometric_mean(&speedups))
}

/// One Prometheus and one `parquetry serve` answer the whole set over HTTP with the same
/// client; prints medians, speed-ups and both servers' peak memory. False when an answer
/// differs.
fn http_against_http(args: &Args, work: &Path) -> Result<bool, String> {
    let prometheus = PrometheusServer::start(args.prometheus_bin, args.tsdb, work)?;
    let parquetry = ParquetryServer::start(Path::new(args.cli), args.store, work)?;
    let client = ureq::Agent::new_with_defaults();
    let mut differences = Vec::new();
    println!("\nHTTP against HTTP: one server of each for the whole set, the same client\n");
    let range = time_set(
        &client,
        &prometheus,
        &parquetry,
        Ask::Range,
        args,
        &mut differences,
    )?;
    println!("\ngeometric mean speed-up of parquetry serve over Prometheus, HTTP against HTTP: {range:.1}x");
    // Alerts, stat panels and tables ask for one time: the same queries as instant
    // queries at the range's middle, over the same connections.
    let at = (args.start_s + args.end_s) / 2;
    println!("\nThe same queries as instant queries at {at}, HTTP against HTTP\n");
    let instant = time_set(
        &client,
        &prometheus,
        &parquetry,
        Ask::Instant(at),
        args,
        &mut differences,
    )?;
    println!("\ngeometric mean speed-up of parquetry serve over Prometheus, instant queries: {instant:.1}x");
    println!(
        "peak memory over the whole set: Prometheus {}, parquetry serve {}",
        mib(prometheus.peak_rss_kib().unwrap_or(0)),
        mib(parquetry.peak_rss_kib().unwrap_or(0))
    );
    for d in &differences {
        println!("DIFFERENT (HTTP) {d}");
    }
    Ok(differences.is_empty())
}

fn run(args: &Args) -> Result<bool, String> {
    let engine = Engine::open(args.store).map_err(|e| e.to_string())?;
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    println!(
        "| query | series | Prometheus | Parquetry API | Parquetry CLI | API/Prometheus | CLI/Prometheus | peak memory, Prometheus | peak memory, Parquetry CLI |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let (mut api_ratios, mut cli_ratios, mut differences) = (Vec::new(), Vec::new(), Vec::new());
    let mut prometheus_medians = Vec::new();
    for q in QUERIES {
        let row = measure(q, &engine, args, work.path())?;
        prometheus_medians.push(row.prometheus_s);
        api_ratios.push(row.api_s / row.prometheus_s);
        cli_ratios.push(row.cli_s / row.prometheus_s);
        println!(
            "| `{}` | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2} | {:.2} | {} | {} |",
            q.replace('|', "\\|"),
            row.series,
            row.prometheus_s * 1000.0,
            row.api_s * 1000.0,
            row.cli_s * 1000.0,
            row.api_s / row.prometheus_s,
            row.cli_s / row.prometheus_s,
            mib(row.prometheus_peak_kib),
            mib(row.cli_peak_kib),
        );
        if let Some(d) = row.difference {
            differences.push(format!("{q}: {d}"));
        }
    }
    let (api, cli) = (geometric_mean(&api_ratios), geometric_mean(&cli_ratios));
    println!(
        "\ngeometric mean of Parquetry/Prometheus: API {api:.2} ({:.1}x faster), CLI {cli:.2} ({:.1}x faster)",
        1.0 / api,
        1.0 / cli
    );
    for d in &differences {
        println!("DIFFERENT {d}");
    }
    println!(
        "answers: {} of {} queries identical on both engines",
        QUERIES.len() - differences.len(),
        QUERIES.len()
    );
    back_to_back(&engine, args, &prometheus_medians)?;
    let http_same = http_against_http(args, work.path())?;
    Ok(differences.is_empty() && http_same)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let [_, prometheus_bin, tsdb, store, cli, start, end, runs] = argv.as_slice() else {
        eprintln!(
            "usage: promql-latency PROMETHEUS_BIN_DIR PROMETHEUS_TSDB STORE PARQUETRY_CLI START_UNIX_S END_UNIX_S RUNS"
        );
        return ExitCode::from(2);
    };
    let parsed = (start.parse(), end.parse(), runs.parse());
    let (Ok(start_s), Ok(end_s), Ok(runs)) = parsed else {
        eprintln!("START_UNIX_S, END_UNIX_S and RUNS must be whole numbers");
        return ExitCode::from(2);
    };
    let args = Args {
        prometheus_bin: Path::new(prometheus_bin),
        tsdb: Path::new(tsdb),
        store,
        cli,
        start_s,
        end_s,
        runs: std::cmp::max(runs, 1),
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
