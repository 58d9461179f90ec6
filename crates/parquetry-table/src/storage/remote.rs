//! The object-store backend: S3 (and S3-compatible servers), Google Cloud Storage and
//! Azure Blob Storage through the `object_store` crate, with credentials from the usual
//! environment variables.
//!
//! The store's API is synchronous (its readers run on rayon threads); each call here runs
//! its request on a small runtime of this module's own and waits for the answer, which
//! works from any thread, inside another async runtime too.

use crate::error::{Result, StoreError};
use crate::storage::Listed;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};
use std::future::Future;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, LazyLock};

/// Files larger than this are uploaded in parts of this size.
const PART_BYTES: usize = 8 << 20;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("parquetry-object-store")
        .enable_all()
        .build()
        .expect("the object-store runtime starts")
});

/// Runs `f` on the object-store runtime and waits for its result.
fn block_on<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    RUNTIME.spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv().expect("object-store requests run to completion")
}

/// A store in a bucket (or container), below a prefix.
#[derive(Clone, Debug)]
pub(super) struct Remote {
    store: Arc<dyn ObjectStore>,
    url: String,
}

/// The URL schemes a store location may have.
pub(super) const SCHEMES: &str = "s3://, gs:// or az://";

impl Remote {
    /// Connects to the store at `url` (`s3://bucket/prefix`, `gs://…`, `az://…`).
    pub(super) fn open(url: &str) -> Result<Remote> {
        let invalid = |reason: String| StoreError::NotAStore {
            path: url.into(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| invalid(format!("not a valid URL: {e}")))?;
        let bucket = parsed.host_str().unwrap_or_default();
        if bucket.is_empty() {
            return Err(invalid("the URL names no bucket".to_string()));
        }
        let base = format!("{}://{bucket}", parsed.scheme());
        let built: std::result::Result<Arc<dyn ObjectStore>, object_store::Error> = match parsed.scheme() {
            "s3" | "s3a" => {
                check_aws_credentials().map_err(invalid)?;
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(&base)
                    .build()
                    .map(|s| Arc::new(s) as _)
            }
            "gs" => object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(&base)
                .build()
                .map(|s| Arc::new(s) as _),
            "az" | "azure" | "abfs" | "abfss" => object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(&base)
                .build()
                .map(|s| Arc::new(s) as _),
            other => {
                return Err(invalid(format!(
                    "unknown URL scheme {other:?}: a store is a folder or an {SCHEMES} URL"
                )));
            }
        };
        let store = built.map_err(|e| invalid(one_line(&e)))?;
        let prefix = parsed.path().trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            store
        } else {
            Arc::new(PrefixStore::new(store, prefix))
        };
        Ok(Remote {
            store,
            url: url.trim_end_matches('/').to_string(),
        })
    }

    fn err(&self, rel: &str) -> impl FnOnce(object_store::Error) -> StoreError {
        let path = format!("{}/{rel}", self.url);
        move |e| StoreError::Remote {
            path: path.into(),
            reason: one_line(&e),
            not_found: matches!(e, object_store::Error::NotFound { .. }),
        }
    }

    pub(super) fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        match block_on(async move { store.get(&location).await?.bytes().await }) {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(rel)(e)),
        }
    }

    /// A store held in memory, for tests.
    #[cfg(test)]
    pub(super) fn in_memory() -> Remote {
        Remote {
            store: Arc::new(object_store::memory::InMemory::new()),
            url: "memory://".to_string(),
        }
    }

    /// Writes `bytes` as object `rel`, replacing it, for tests.
    #[cfg(test)]
    pub(super) fn put_for_test(&self, rel: &str, bytes: &[u8]) {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        let payload = PutPayload::from(bytes.to_vec());
        block_on(async move { store.put(&location, payload).await }).expect("an in-memory put succeeds");
    }

    pub(super) fn read_range(&self, rel: &str, range: Range<u64>) -> Result<Bytes> {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        block_on(async move { store.get_range(&location, range).await }).map_err(self.err(rel))
    }

    pub(super) fn size(&self, rel: &str) -> Result<u64> {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        block_on(async move { store.head(&location).await })
            .map(|m| m.size)
            .map_err(self.err(rel))
    }

    pub(super) fn put_if_absent(&self, rel: &str, bytes: &[u8]) -> Result<bool> {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        let payload = PutPayload::from(bytes.to_vec());
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match block_on(async move { store.put_opts(&location, payload, options).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                Ok(false)
            }
            Err(e) => Err(self.err(rel)(e)),
        }
    }

    pub(super) fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        block_on(async move { store.put(&location, PutPayload::from(bytes)).await })
            .map(|_| ())
            .map_err(self.err(rel))
    }

    /// Uploads the local file `local` as `rel`: in one request when small, in parts
    /// otherwise. The object appears whole when the upload completes, or not at all.
    pub(super) fn upload(&self, local: &Path, rel: &str) -> Result<()> {
        let size = std::fs::metadata(local)
            .map_err(crate::error::io_err(local))?
            .len();
        if size <= PART_BYTES as u64 {
            let bytes = std::fs::read(local).map_err(crate::error::io_err(local))?;
            return self.put(rel, bytes);
        }
        let mut file = std::fs::File::open(local).map_err(crate::error::io_err(local))?;
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        let upload = block_on(async move { store.put_multipart(&location).await }).map_err(self.err(rel))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; PART_BYTES];
        loop {
            let n = file.read(&mut buf).map_err(crate::error::io_err(local))?;
            if n == 0 {
                break;
            }
            writer.put(Bytes::copy_from_slice(&buf[..n]));
            let (w, waited) = block_on(async move {
                let r = writer.wait_for_capacity(4).await;
                (writer, r)
            });
            writer = w;
            waited.map_err(self.err(rel))?;
        }
        block_on(async move { writer.finish().await })
            .map(|_| ())
            .map_err(self.err(rel))
    }

    pub(super) fn list(&self, dir: &str) -> Result<Vec<Listed>> {
        let (store, prefix) = (self.store.clone(), ObjectPath::from(dir));
        let metas = block_on(async move { store.list(Some(&prefix)).try_collect::<Vec<_>>().await })
            .map_err(self.err(dir))?;
        Ok(metas
            .into_iter()
            .map(|m| Listed {
                path: m.location.to_string(),
                bytes: m.size,
                modified: m.last_modified.into(),
            })
            .collect())
    }

    pub(super) fn delete(&self, rel: &str) -> Result<()> {
        let (store, location) = (self.store.clone(), ObjectPath::from(rel));
        match block_on(async move { store.delete(&location).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(rel)(e)),
        }
    }
}

/// Without credentials in the environment the S3 client would ask the instance metadata
/// service; where that is switched off (`AWS_EC2_METADATA_DISABLED=true`, as the AWS
/// tools read it), say at once what is missing instead.
fn check_aws_credentials() -> std::result::Result<(), String> {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let has_credentials = (set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY"))
        || set("AWS_WEB_IDENTITY_TOKEN_FILE")
        || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || std::env::var("AWS_SKIP_SIGNATURE").is_ok_and(|v| v == "true");
    let no_metadata =
        std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if has_credentials || !no_metadata {
        return Ok(());
    }
    Err(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or \
         AWS_WEB_IDENTITY_TOKEN_FILE), or AWS_SKIP_SIGNATURE=true for a public bucket"
            .to_string(),
    )
}

/// An object-store error as one line: its message and its sources', without repeats.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}
