//! A server on a free port over a real store, driven over a real HTTP connection.

use crate::{ServerConfig, router, serve};
use parquetry::Database;
use parquetry::store::IngestOptions;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;

/// A server on a free 127.0.0.1 port, stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Serves `store` with `config` until dropped.
    pub fn start(store: &Path, config: ServerConfig) -> TestServer {
        let db = Database::open(store).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, address) = std::sync::mpsc::channel::<SocketAddr>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                bound.send(listener.local_addr().unwrap()).unwrap();
                let shutdown = async {
                    let _ = stopped.await;
                };
                serve(listener, router(db, config).unwrap(), shutdown)
                    .await
                    .unwrap();
            });
        });
        let address = address.recv().unwrap();
        TestServer {
            url: format!("http://{address}"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// An HTTP client that gives error statuses back as responses.
    pub fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    /// Status, `Content-Encoding` and body of a GET of `path`.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut request = TestServer::agent().get(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.call().unwrap();
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        let body = response.body_mut().read_to_vec().unwrap();
        (
            response.status().as_u16(),
            encoding,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    /// Status and body (JSON, or the text as a JSON string) of a GET of `path`.
    pub fn get(&self, path: &str) -> (u16, Value) {
        let (status, _, body) = self.get_with(path, &[]);
        (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
    }

    /// Status and JSON body of a POST of the form `form` to `path`.
    pub fn post_form(&self, path: &str, form: &str) -> (u16, Value) {
        let mut response = TestServer::agent()
            .post(format!("{}{path}", self.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(form)
            .unwrap();
        let body = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), serde_json::from_str(&body).unwrap())
    }

    /// Status, the headers named in `wanted` and the text body of a POST of `body` with
    /// `headers` to `path`.
    pub fn post_bytes(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        wanted: &[&str],
    ) -> (u16, Vec<Option<String>>, String) {
        let mut request = TestServer::agent().post(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.send(body).unwrap();
        let found = wanted
            .iter()
            .map(|name| {
                response
                    .headers()
                    .get(*name)
                    .map(|v| v.to_str().unwrap().to_string())
            })
            .collect();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (response.status().as_u16(), found, text)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Ingests `text` (Prometheus text format, millisecond timestamps) into `store`.
pub fn ingest(dir: &Path, store: &Path, name: &str, text: &str) {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    Database::create(store)
        .unwrap()
        .ingest(&[file], &IngestOptions::default(), &mut |_| {})
        .unwrap();
}

#[tokio::test]
async fn accepted_connections_send_without_nagles_delay() {
    use axum::serve::Listener;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut listener = crate::without_nagle(listener);
    let ((accepted, _), client) = tokio::join!(listener.accept(), tokio::net::TcpStream::connect(address));
    client.unwrap();
    assert!(
        accepted.nodelay().unwrap(),
        "the accepted connection delays small segments"
    );
}
