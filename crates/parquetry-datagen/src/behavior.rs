//! How each demo series evolves: shared events (restarts, error bursts, daily load) and
//! per-series state.

use crate::catalog::{BUCKETS, CPU_MODES, Kind, MOUNTS, SeriesSpec, job_of};
use crate::config::DemoConfig;
use crate::noise::{normal_cdf, stochastic_round, unit};
use parquetry_model::SeriesId;

/// What a series reports at one scrape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sample {
    /// A value was scraped.
    Value(f64),
    /// The series just disappeared: Prometheus writes a stale marker.
    Stale,
    /// Nothing (the target is still down).
    Absent,
}

/// Scrapes an instance is down for when it restarts.
const DOWN_STEPS: usize = 3;
/// Length of an error burst, in scrapes.
const BURST_STEPS: usize = 40;
/// Error bursts per job.
const BURSTS: u64 = 2;

/// Events shared by many series, as pure functions of the config.
pub struct Events<'a> {
    config: &'a DemoConfig,
}

impl<'a> Events<'a> {
    /// The events of `config`.
    pub fn new(config: &'a DemoConfig) -> Self {
        Events { config }
    }

    fn draw(&self, coords: &[u64]) -> f64 {
        unit(self.config.seed, coords)
    }

    /// The scrape at which `instance` restarts, if it does: about a third of instances
    /// restart once, somewhere in the middle of the dataset.
    fn restart_step(&self, instance: usize) -> Option<usize> {
        let steps = self.config.steps();
        (self.draw(&[1, instance as u64]) < 0.35 && steps > 4 * DOWN_STEPS)
            .then(|| ((0.2 + 0.6 * self.draw(&[2, instance as u64])) * steps as f64) as usize)
    }

    /// Scrapes since the instance went down, if it is down at `step`.
    pub fn down_for(&self, instance: usize, step: usize) -> Option<usize> {
        let r = self.restart_step(instance)?;
        (step >= r && step < r + DOWN_STEPS).then(|| step - r)
    }

    /// Restarts of `instance` completed by `step`.
    pub fn restarts_by(&self, instance: usize, step: usize) -> u32 {
        self.restart_step(instance)
            .is_some_and(|r| step >= r + DOWN_STEPS) as u32
    }

    /// True when the instance's job is in an error burst at `step`.
    pub fn burst(&self, instance: usize, step: usize) -> bool {
        let steps = self.config.steps().max(1);
        let job = job_of(instance) as u64;
        (0..BURSTS).any(|b| {
            let start = (self.draw(&[3, job, b]) * steps as f64) as usize;
            step >= start && step < start + BURST_STEPS
        })
    }

    /// Load between 0 and 1: a daily cycle peaking mid-afternoon UTC, with jitter.
    pub fn load(&self, instance: usize, step: usize) -> f64 {
        let t = self.config.time_of(step) as f64 / 86_400_000.0;
        let daily = 0.5 - 0.5 * (std::f64::consts::TAU * (t - 0.125)).cos();
        (0.8 * daily + 0.2 * self.draw(&[4, instance as u64, step as u64])).clamp(0.0, 1.0)
    }
}

/// A series' running state.
pub struct SeriesGen<'a> {
    spec: &'a SeriesSpec,
    key: u64,
    total: f64,
    was_down: bool,
}

impl<'a> SeriesGen<'a> {
    /// Starts generating `spec`.
    pub fn new(spec: &'a SeriesSpec, ev: &Events) -> Self {
        let key = SeriesId::of(&spec.labels).0;
        let mut g = SeriesGen {
            spec,
            key,
            total: 0.0,
            was_down: false,
        };
        g.total = g.initial_total(ev);
        g
    }

    /// Where a counter stands at the first scrape: the process has been up for a while.
    fn initial_total(&self, ev: &Events) -> f64 {
        let uptime_steps = 5_000.0 + 100_000.0 * ev.draw(&[5, self.spec.instance as u64]);
        match self.spec.kind {
            Kind::Requests { .. }
            | Kind::Bucket { .. }
            | Kind::DurationCount { .. }
            | Kind::DurationSum { .. } => (self.increment(ev, 0, true) * uptime_steps).round(),
            Kind::Cpu { .. } => (self.increment(ev, 0, true) * uptime_steps * 100.0).round() / 100.0,
            _ => 0.0,
        }
    }

    /// Requests a handler of an instance serves in one scrape interval, on average.
    fn handler_rate(ev: &Events, instance: usize, handler: usize, step: usize) -> f64 {
        const BASE_RPS: [f64; 4] = [20.0, 5.0, 8.0, 12.0];
        BASE_RPS[handler] * (0.5 + ev.load(instance, step)) * ev.config.interval_secs()
    }

    /// The counter increment at `step` (its expectation when `mean` is set).
    fn increment(&self, ev: &Events, step: usize, mean: bool) -> f64 {
        let inst = self.spec.instance;
        let u = if mean {
            0.5
        } else {
            ev.draw(&[10, self.key, step as u64])
        };
        let burst = ev.burst(inst, step);
        match self.spec.kind {
            Kind::Requests {
                handler,
                method,
                code,
            } => {
                let method_share = match (handler, method) {
                    (1, 0) => 0.3,
                    (1, _) => 0.7,
                    (_, 0) => 0.85,
                    _ => 0.15,
                };
                let code_share = match (code, burst) {
                    (0, false) => 0.95,
                    (0, true) => 0.71,
                    (1, _) => 0.04,
                    (_, false) => 0.01,
                    (_, true) => 0.25,
                };
                let rate = Self::handler_rate(ev, inst, handler, step) * method_share * code_share;
                if mean { rate } else { stochastic_round(rate, u) }
            }
            Kind::Bucket { handler, bucket } => {
                let n = self.handler_requests(ev, handler, step, mean);
                let (median, sigma) = latency(ev, inst, handler, step);
                let le = BUCKETS[bucket];
                if le.is_infinite() {
                    n
                } else {
                    (n * normal_cdf((le.ln() - median.ln()) / sigma)).round()
                }
            }
            Kind::DurationCount { handler } => self.handler_requests(ev, handler, step, mean),
            Kind::DurationSum { handler } => {
                let n = self.handler_requests(ev, handler, step, mean);
                let (median, sigma) = latency(ev, inst, handler, step);
                n * median * (sigma * sigma / 2.0).exp() * (0.9 + 0.2 * u)
            }
            Kind::Cpu { mode, .. } => {
                let load = ev.load(inst, step);
                let dt = ev.config.interval_secs();
                let busy = [
                    0.0,
                    0.02 + 0.1 * burst as u8 as f64,
                    0.05 + 0.05 * load,
                    0.1 + 0.55 * load,
                ];
                let share = if CPU_MODES[mode] == "idle" {
                    1.0 - busy.iter().sum::<f64>()
                } else {
                    busy[mode] * (0.9 + 0.2 * u)
                };
                (dt * share * 100.0).round() / 100.0
            }
            _ => 0.0,
        }
    }

    /// Requests of a handler in one interval, shared by the histogram's series.
    fn handler_requests(&self, ev: &Events, handler: usize, step: usize, mean: bool) -> f64 {
        let inst = self.spec.instance;
        let rate = Self::handler_rate(ev, inst, handler, step);
        if mean {
            rate
        } else {
            stochastic_round(rate, ev.draw(&[11, inst as u64, handler as u64, step as u64]))
        }
    }

    /// The sample at `step`; steps must be visited in order.
    pub fn sample(&mut self, ev: &Events, step: usize) -> Sample {
        let inst = self.spec.instance;
        let down = ev.down_for(inst, step);
        match self.spec.kind {
            Kind::Up => return Sample::Value(if down.is_some() { 0.0 } else { 1.0 }),
            Kind::Restarts { container } => {
                let base = (ev.draw(&[6, inst as u64, container as u64]) * 3.0).floor();
                let own = (container == 0) as u32 * ev.restarts_by(inst, step);
                return Sample::Value(base + own as f64);
            }
            _ => {}
        }
        if let Some(since) = down {
            self.was_down = true;
            return if since == 0 { Sample::Stale } else { Sample::Absent };
        }
        if std::mem::take(&mut self.was_down) {
            // The process restarted: counters start again from zero.
            self.total = 0.0;
        }
        let value = match self.spec.kind {
            Kind::Requests { .. }
            | Kind::Bucket { .. }
            | Kind::DurationCount { .. }
            | Kind::DurationSum { .. }
            | Kind::Cpu { .. } => {
                if step > 0 {
                    self.total += self.increment(ev, step, false);
                }
                self.total
            }
            Kind::FsAvail { mount } | Kind::FsSize { mount } => {
                let size = MOUNTS[mount].2;
                if matches!(self.spec.kind, Kind::FsSize { .. }) {
                    size
                } else {
                    let start = 0.3 + 0.4 * ev.draw(&[7, inst as u64, mount as u64]);
                    // One data disk in five fills up within the dataset.
                    let growth = if mount == 1 && ev.draw(&[8, inst as u64]) < 0.2 {
                        0.75
                    } else {
                        0.02
                    };
                    let progress = step as f64 / ev.config.steps().max(1) as f64;
                    let jitter = 0.001 * ev.draw(&[9, self.key, step as u64]);
                    let used = (start + growth * progress + jitter).min(1.0) * size;
                    ((size - used) / 4096.0).floor() * 4096.0
                }
            }
            Kind::Temperature { .. } => {
                let u = ev.draw(&[12, self.key, step as u64]);
                if u < 0.003 {
                    f64::NAN
                } else {
                    ((40.0 + 20.0 * ev.load(inst, step) + 3.0 * u) * 8.0).round() / 8.0
                }
            }
            Kind::SlaSlack => {
                let window_ms = 1_800_000;
                let period_ms = 7_200_000;
                let phase = self.spec.instance as i64 * 60_000;
                let t = ev.config.time_of(step) + phase;
                if t.rem_euclid(period_ms) >= window_ms {
                    f64::INFINITY
                } else if ev.burst(inst, step) {
                    f64::NEG_INFINITY
                } else {
                    ((window_ms - t.rem_euclid(period_ms)) / 1000) as f64
                }
            }
            Kind::Up | Kind::Restarts { .. } => unreachable!("handled above"),
        };
        Sample::Value(value)
    }
}

/// Median and log-spread of a handler's latency: slower under load, much slower in bursts.
fn latency(ev: &Events, instance: usize, handler: usize, step: usize) -> (f64, f64) {
    const MEDIAN: [f64; 4] = [0.03, 0.12, 0.2, 0.08];
    let burst = if ev.burst(instance, step) { 5.0 } else { 1.0 };
    (
        MEDIAN[handler] * burst * (1.0 + 0.3 * ev.load(instance, step)),
        0.7,
    )
}
