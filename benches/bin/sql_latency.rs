//! Median time of SQL queries through Parquetry's Rust API, for the side-by-side with
//! DuckDB (benches/scripts/sql-vs-duckdb.sh --bench). Prints `{"query name": median_ms}`.
//!
//! Usage: sql-latency STORE RUNS QUERIES.json [NAME=FILE.csv|FILE.parquet]…

use parquetry::Engine;
use std::process::ExitCode;
use std::time::Instant;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, runs, queries, tables @ ..] = args.as_slice() else {
        return Err("usage: sql-latency STORE RUNS QUERIES.json [NAME=FILE]…".into());
    };
    let runs: usize = runs.parse().map_err(|e| format!("RUNS: {e}"))?;
    let text = std::fs::read_to_string(queries).map_err(|e| format!("{queries}: {e}"))?;
    let queries: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let engine = Engine::open(store).map_err(|e| e.to_string())?;
    let ctx = engine.sql_context().map_err(|e| e.to_string())?;
    for t in tables {
        let (name, path) = t.split_once('=').ok_or("tables are NAME=FILE")?;
        ctx.register_file(name, std::path::Path::new(path))
            .map_err(|e| e.to_string())?;
    }
    let mut out = serde_json::Map::new();
    for q in &queries {
        let (Some(name), Some(sql)) = (q["name"].as_str(), q["sql"].as_str()) else {
            return Err("each query needs a name and sql".into());
        };
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            ctx.sql(sql).map_err(|e| format!("{name}: {e}"))?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        out.insert(name.to_string(), times[times.len() / 2].into());
    }
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
