//! The engine: one opened store and the operations on it.

use crate::Error;
use crate::source::StoreSource;
use crate::span_metrics_source::WithSpanMetrics;
use parquetry_logql::{Answer, QueryParams as LogqlParams, run_query};
use parquetry_logs::LogStore;
use parquetry_logs::export::{LogExportFormat, export_logs};
use parquetry_logs::ingest::{LogIngestOptions, LogIngestReport, ingest_log_files};
use parquetry_logs::read::LogQuery;
use parquetry_model::Cancel;
use parquetry_promql::eval::{EvalOptions, QueryResult, StepGrid, evaluate};
use parquetry_promql::parse_selector;
use parquetry_promql::{ParseOptions, parse_with};
use parquetry_spans::SpanStore;
use parquetry_spans::export::{SpanExportFormat, export_spans};
use parquetry_spans::ingest::{SpanIngestOptions, SpanIngestReport, ingest_span_files};
use parquetry_spans::{Span, TraceId};
use parquetry_store::export::export;
use parquetry_store::ingest::rows::RowFormat;
use parquetry_store::{IngestOptions, IngestReport, SeriesBatch, SeriesInfo, Store, ingest_files};
use parquetry_traceql::eval::{
    MetricsParams, MetricsResult, SearchParams, SearchResult, run_metrics_until, search_until,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How queries are parsed and evaluated.
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    /// Parser options (experimental syntax).
    pub parse: ParseOptions,
    /// Evaluation settings (lookback, limits, deadline).
    pub eval: EvalOptions,
}

/// A snapshot of a store, ready for queries.
///
/// The snapshot does not change; call [`Engine::refresh`] (or open again) to see commits
/// made after it was opened.
#[derive(Debug)]
pub struct Engine {
    store: std::sync::Arc<Store>,
    logs: std::sync::OnceLock<std::sync::Arc<LogStore>>,
    spans: std::sync::OnceLock<std::sync::Arc<SpanStore>>,
}

impl Engine {
    /// Opens the newest version of the store in `path`: a folder, or an object-store URL
    /// (`s3://bucket/prefix`, `gs://…`, `az://…`) with credentials from the environment.
    pub fn open(path: impl AsRef<Path>) -> Result<Engine, Error> {
        Ok(Engine::from_store(Store::open(path)?))
    }

    /// The snapshot `store`.
    pub fn from_store(store: Store) -> Engine {
        Engine {
            store: std::sync::Arc::new(store),
            logs: std::sync::OnceLock::new(),
            spans: std::sync::OnceLock::new(),
        }
    }

    /// Opens the store in `path`, first creating an empty one there if the folder (which
    /// may not exist yet) holds no store, or converting one of an older layout.
    pub fn create(path: impl AsRef<Path>) -> Result<Engine, Error> {
        let path = path.as_ref();
        parquetry_store::Writer::begin(path)?.abort()?;
        Engine::open(path)
    }

    /// Ingests `files` into the store in `path` (creating it if needed), one commit per
    /// file, and returns what was done. `progress` receives the bytes read so far.
    pub fn ingest(
        path: impl AsRef<Path>,
        files: &[PathBuf],
        options: &IngestOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<IngestReport, Error> {
        Ok(ingest_files(path.as_ref(), files, options, progress)?)
    }

    /// Ingests log `files` into the store in `path` (creating it if needed), one commit
    /// per file. `progress` receives the bytes read so far.
    pub fn ingest_logs(
        path: impl AsRef<Path>,
        files: &[PathBuf],
        options: &LogIngestOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<LogIngestReport, Error> {
        let storage = parquetry_table::Storage::open(path.as_ref())?;
        Ok(ingest_log_files(&storage, files, options, progress)?)
    }

    /// Ingests span `files` (OTLP/JSON) into the store in `path` (creating it if
    /// needed), one commit per file. `progress` receives the bytes read so far.
    pub fn ingest_spans(
        path: impl AsRef<Path>,
        files: &[PathBuf],
        options: &SpanIngestOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SpanIngestReport, Error> {
        let storage = parquetry_table::Storage::open(path.as_ref())?;
        Ok(ingest_span_files(&storage, files, options, progress)?)
    }

    /// Writes every span starting in `[start_ns, end_ns)` to `out` (named `name` in
    /// errors) in `format`, a `TracesData` per trace; returns how many.
    pub fn export_spans(
        &self,
        start_ns: i64,
        end_ns: i64,
        format: SpanExportFormat,
        mut out: impl Write,
        name: &Path,
    ) -> Result<u64, Error> {
        Ok(export_spans(
            self.spans().as_ref(),
            start_ns,
            end_ns,
            format,
            &mut out,
            name,
        )?)
    }

    /// The spans table at the snapshot's version.
    pub fn spans(&self) -> std::sync::Arc<SpanStore> {
        self.spans
            .get_or_init(|| {
                std::sync::Arc::new(SpanStore::at(self.store.storage(), &self.store.shared_state()))
            })
            .clone()
    }

    /// Every span of the trace whose id is `trace_id` (32 hex digits, or 16 for a
    /// 64-bit id), sorted by start time; empty when the trace is not stored.
    pub fn trace(&self, trace_id: &str) -> Result<Vec<Span>, Error> {
        let id = TraceId::parse(trace_id).map_err(Error::InvalidArgument)?;
        Ok(self.spans().trace(id)?)
    }

    /// Runs the TraceQL search `query` over the spans table: the newest traces with a
    /// span starting in the params' range whose spansets the query finds.
    pub fn traceql_search(&self, query: &str, params: &SearchParams) -> Result<SearchResult, Error> {
        self.traceql_search_until(query, params, &Cancel::default())
    }

    /// [`Engine::traceql_search`], stopped once `cancel` is cancelled.
    pub fn traceql_search_until(
        &self,
        query: &str,
        params: &SearchParams,
        cancel: &Cancel,
    ) -> Result<SearchResult, Error> {
        let q = parquetry_traceql::parse(query)?;
        Ok(search_until(&self.spans(), &q, params, cancel)?)
    }

    /// Runs the TraceQL metrics query `query` (one ending in `rate()`,
    /// `count_over_time()` or another `…_over_time()` function) over the spans table.
    pub fn traceql_metrics(&self, query: &str, params: &MetricsParams) -> Result<MetricsResult, Error> {
        self.traceql_metrics_until(query, params, &Cancel::default())
    }

    /// [`Engine::traceql_metrics`], stopped once `cancel` is cancelled.
    pub fn traceql_metrics_until(
        &self,
        query: &str,
        params: &MetricsParams,
        cancel: &Cancel,
    ) -> Result<MetricsResult, Error> {
        let q = parquetry_traceql::parse(query)?;
        Ok(run_metrics_until(&self.spans(), &q, params, cancel)?)
    }

    /// Writes the log entries of the streams `selector` matches (every stream when
    /// `None`) in `[start_ns, end_ns)` to `out` (named `name` in errors); returns how many.
    pub fn export_logs(
        &self,
        selector: Option<&str>,
        start_ns: i64,
        end_ns: i64,
        format: LogExportFormat,
        out: impl Write,
        name: &Path,
    ) -> Result<u64, Error> {
        let matchers = match selector {
            Some(s) => parse_selector(s)?.matchers,
            None => Vec::new(),
        };
        let query = LogQuery {
            matchers,
            start: start_ns,
            end: end_ns,
            ..LogQuery::default()
        };
        Ok(export_logs(self.logs()?.as_ref(), &query, format, out, name)?)
    }

    /// Re-opens the store to see the newest version.
    pub fn refresh(&mut self) -> Result<(), Error> {
        *self = Engine::from_store(Store::open_storage(self.store.storage())?);
        Ok(())
    }

    /// The logs table at the snapshot's version, its stream catalog read on first use.
    pub fn logs(&self) -> Result<std::sync::Arc<LogStore>, Error> {
        if let Some(logs) = self.logs.get() {
            return Ok(logs.clone());
        }
        let logs = LogStore::at(self.store.storage(), self.store.shared_state())?;
        Ok(self.logs.get_or_init(|| std::sync::Arc::new(logs)).clone())
    }

    /// The underlying store snapshot.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The snapshot, shared (for sessions that outlive a borrow of the engine).
    pub fn shared_store(&self) -> std::sync::Arc<Store> {
        self.store.clone()
    }

    /// The series a selector such as `up{job="api"}` matches, in label order.
    pub fn series(&self, selector: &str) -> Result<Vec<SeriesInfo>, Error> {
        let sel = parse_selector(selector)?;
        let selection = self.store.select(&sel.matchers, i64::MIN, i64::MAX)?;
        let mut out = Vec::with_capacity(selection.series().len());
        for s in selection.series() {
            out.extend(self.store.series_by_id(s.id)?);
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }

    /// The raw samples of the series `selector` matches in `[start_ms, end_ms]`, in label
    /// order.
    pub fn raw_samples(&self, selector: &str, start_ms: i64, end_ms: i64) -> Result<Vec<SeriesBatch>, Error> {
        let sel = parse_selector(selector)?;
        let mut selection = self.store.select(&sel.matchers, start_ms, end_ms)?;
        selection.sort_by_labels();
        Ok(selection.read_all()?)
    }

    /// Evaluates a PromQL expression at one time (milliseconds).
    pub fn query_instant(
        &self,
        expr: &str,
        time_ms: i64,
        options: &QueryOptions,
    ) -> Result<QueryResult, Error> {
        self.query(expr, StepGrid::instant(time_ms), true, options)
    }

    /// Evaluates a PromQL expression at every step of `[start, end]` (milliseconds).
    pub fn query_range(
        &self,
        expr: &str,
        grid: StepGrid,
        options: &QueryOptions,
    ) -> Result<QueryResult, Error> {
        self.query(expr, grid, false, options)
    }

    fn query(
        &self,
        expr: &str,
        grid: StepGrid,
        instant: bool,
        options: &QueryOptions,
    ) -> Result<QueryResult, Error> {
        let parsed = parse_with(expr, options.parse)?;
        let spans = self.spans();
        let source = WithSpanMetrics {
            inner: StoreSource(&self.store),
            spans: &spans,
        };
        // The whole evaluation runs on the thread pool, so that its parallel parts start
        // on the thread that reaches them instead of each waking a pool thread while the
        // caller waits.
        Ok(rayon::scope(|_| {
            evaluate(&parsed, &source, grid, instant, &options.eval)
        })?)
    }

    /// Evaluates a LogQL query over the logs table: a log query gives streams, a metric
    /// query a scalar, a vector (instant) or a matrix (range); `params` says when, and
    /// how many lines in which direction.
    pub fn logql(&self, query: &str, params: &LogqlParams) -> Result<Answer, Error> {
        let expr = parquetry_logql::parse(query)?;
        Ok(run_query(&expr, self.logs()?.as_ref(), params)?)
    }

    /// Writes the samples of the series `selector` matches (all series when `None`) in
    /// `[start_ms, end_ms]` to `out` in a row format that `ingest` reads back. Returns the
    /// number of samples written; `name` labels write errors.
    pub fn export(
        &self,
        selector: Option<&str>,
        start_ms: i64,
        end_ms: i64,
        format: RowFormat,
        out: impl Write,
        name: &Path,
    ) -> Result<u64, Error> {
        let selection = match selector {
            Some(s) => self
                .store
                .select(&parse_selector(s)?.matchers, start_ms, end_ms)?,
            None => self.store.select_all(start_ms, end_ms)?,
        };
        Ok(export(selection, format, out, name)?)
    }
}
