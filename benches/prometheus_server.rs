//! Servers of the harness's own on free 127.0.0.1 ports, stopped when dropped: a
//! Prometheus over a backfilled TSDB and a `parquetry serve` over a store; and the peak
//! memory of processes.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Prometheus; killed (and waited for) on drop.
pub struct PrometheusServer {
    child: Child,
    url: String,
}

impl PrometheusServer {
    /// Starts `bin_dir/prometheus` over the TSDB in `tsdb` (writing its config and log
    /// into `work`) and waits until it answers `/-/ready`, for at most two minutes.
    pub fn start(bin_dir: &Path, tsdb: &Path, work: &Path) -> Result<Self, String> {
        let port = free_port()?;
        let config = work.join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 15s\n").map_err(|e| e.to_string())?;
        let log = std::fs::File::create(work.join("prometheus.log")).map_err(|e| e.to_string())?;
        let child = Command::new(bin_dir.join("prometheus"))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", tsdb.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start prometheus: {e}"))?;
        let server = PrometheusServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&server.url, "prometheus")?;
        Ok(server)
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's peak resident memory so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_kib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `parquetry serve`; killed (and waited for) on drop.
pub struct ParquetryServer {
    child: Child,
    url: String,
}

impl ParquetryServer {
    /// Starts `cli serve` over `store` (its request log going to `work/serve.log`) and
    /// waits until it answers `/-/ready`, for at most two minutes.
    pub fn start(cli: &Path, store: &str, work: &Path) -> Result<Self, String> {
        let port = free_port()?;
        let log = std::fs::File::create(work.join("serve.log")).map_err(|e| e.to_string())?;
        let child = Command::new(cli)
            .args(["serve", "--store", store, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start parquetry serve: {e}"))?;
        let server = ParquetryServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&server.url, "parquetry serve")?;
        Ok(server)
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's peak resident memory so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_kib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for ParquetryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of 127.0.0.1 that no one listens on now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Waits up to two minutes for `url/-/ready` to answer.
fn wait_ready(url: &str, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if ureq::get(format!("{url}/-/ready")).call().is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("{what} did not become ready within two minutes"))
}

/// The `VmHWM` (peak resident set) of a `/proc/PID/status` file, in KiB.
pub fn peak_rss_kib(status_path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status_path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
