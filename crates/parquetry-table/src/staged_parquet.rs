//! A Parquet data file written under its staging name and published whole: what every
//! table's data file writer does around its own rows.

use crate::error::{Result, io_err, pq_err};
use crate::storage::{Staged, Storage};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::Path;

/// A Parquet file being written where no reader looks yet.
pub struct StagedParquet {
    staged: Staged,
    writer: ArrowWriter<File>,
}

impl StagedParquet {
    /// Starts the file `rel` of the store in `storage`, staged, with this schema and these
    /// writer properties.
    pub fn create(
        storage: &Storage,
        rel: &str,
        schema: SchemaRef,
        properties: WriterProperties,
    ) -> Result<Self> {
        let staged = storage.stage(rel)?;
        let file = File::create(staged.path()).map_err(io_err(staged.path()))?;
        let writer = ArrowWriter::try_new(file, schema, Some(properties)).map_err(pq_err(staged.path()))?;
        Ok(StagedParquet { staged, writer })
    }

    /// The staging path, for messages.
    pub fn path(&self) -> &Path {
        self.staged.path()
    }

    /// Writes `batch`; a row group closes when the writer's limits say so.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch).map_err(pq_err(self.staged.path()))
    }

    /// Adds `key = value` to the file's key-value metadata, written when it closes.
    pub fn set_metadata(&mut self, key: &str, value: String) {
        self.writer
            .append_key_value_metadata(KeyValue::new(key.to_string(), value));
    }

    /// Closes the current row group.
    pub fn flush(&mut self) -> Result<()> {
        self.writer.flush().map_err(pq_err(self.staged.path()))
    }

    /// Closes the file and publishes it under its final name; returns its size.
    pub fn publish(self, storage: &Storage) -> Result<u64> {
        let path = self.staged.path().to_path_buf();
        self.writer.close().map_err(pq_err(&path))?;
        let bytes = std::fs::metadata(&path).map_err(io_err(&path))?.len();
        storage.publish(self.staged)?;
        Ok(bytes)
    }

    /// Drops the file unpublished.
    pub fn discard(self, storage: &Storage) -> Result<()> {
        drop(self.writer);
        storage.discard(self.staged)
    }
}
