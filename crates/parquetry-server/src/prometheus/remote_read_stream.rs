//! Remote read's `STREAMED_XOR_CHUNKS` response: each query's series as XOR chunks of
//! at most 120 samples, one series per `prometheus.ChunkedReadResponse` frame (Prometheus'
//! client reads the first series of each frame), each frame its length (unsigned
//! varint), a big-endian CRC-32C of the message, then the message.

use super::xor_chunk::{self, SAMPLES_PER_CHUNK};
use parquetry::store::SeriesColumns;
use parquetry::store::ingest::remote_write::proto::Label;
use prost::Message;

/// The response's content type.
pub const CONTENT_TYPE: &str = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// `prometheus.ChunkedReadResponse`: series of one query.
#[derive(Clone, PartialEq, Message)]
pub struct ChunkedReadResponse {
    /// The series: one, whole.
    #[prost(message, repeated, tag = "1")]
    pub chunked_series: Vec<ChunkedSeries>,
    /// Which query of the request they answer.
    #[prost(int64, tag = "2")]
    pub query_index: i64,
}

/// `prometheus.ChunkedSeries`.
#[derive(Clone, PartialEq, Message)]
pub struct ChunkedSeries {
    /// The labels, sorted by name.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// The chunks, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub chunks: Vec<Chunk>,
}

/// `prometheus.Chunk`.
#[derive(Clone, PartialEq, Message)]
pub struct Chunk {
    /// Time of the first sample, milliseconds.
    #[prost(int64, tag = "1")]
    pub min_time_ms: i64,
    /// Time of the last sample, milliseconds.
    #[prost(int64, tag = "2")]
    pub max_time_ms: i64,
    /// 1: XOR.
    #[prost(int32, tag = "3")]
    pub kind: i32,
    /// The encoded chunk.
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
}

/// The chunk encoding number of XOR chunks.
const XOR: i32 = 1;

/// One series as chunks.
pub fn chunked(series: &SeriesColumns) -> ChunkedSeries {
    let chunks = series
        .timestamps
        .chunks(SAMPLES_PER_CHUNK)
        .zip(series.values.chunks(SAMPLES_PER_CHUNK))
        .map(|(times, values)| Chunk {
            min_time_ms: times[0],
            max_time_ms: times[times.len() - 1],
            kind: XOR,
            data: xor_chunk::encode(times, values),
        })
        .collect();
    ChunkedSeries {
        labels: super::remote_read::labels_of(series),
        chunks,
    }
}

/// Appends the frames of query `query_index`'s series to `out`, one per series.
pub fn write_frames(out: &mut Vec<u8>, query_index: usize, series: impl Iterator<Item = ChunkedSeries>) {
    for s in series {
        let frame = ChunkedReadResponse {
            chunked_series: vec![s],
            query_index: query_index as i64,
        };
        write_frame(out, &frame);
    }
}

fn write_frame(out: &mut Vec<u8>, frame: &ChunkedReadResponse) {
    let message = frame.encode_to_vec();
    prost::encoding::encode_varint(message.len() as u64, out);
    out.extend_from_slice(&crc32c::crc32c(&message).to_be_bytes());
    out.extend_from_slice(&message);
}
