//! Response bodies written on a blocking thread while the connection sends what is
//! already written, so that a large answer is neither held whole nor waited for.

use axum::body::{Body, Bytes};
use std::io::{self, Write};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Bytes gathered before they are handed to the connection.
const CHUNK_BYTES: usize = 256 * 1024;

/// Chunks written and not yet sent; the writer waits when this many are in flight.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Pieces at least this large are sent as their own chunks by [`ChunkWriter::put_piece`].
const OWN_CHUNK_BYTES: usize = 64 * 1024;

/// A body that `write` writes on a blocking thread, sent in chunks of about 256 KiB as
/// they fill. At most a few chunks wait at a time, so a slow client slows the writer
/// instead of growing memory. When the client goes away, the writer's next hand-off fails
/// with `BrokenPipe` and `write` should stop at that error; the body then ends early.
pub fn streamed_body(write: impl FnOnce(&mut ChunkWriter) -> io::Result<()> + Send + 'static) -> Body {
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            chunk: Vec::with_capacity(CHUNK_BYTES),
            sender,
        };
        // An error here is the client's leaving: there is nobody left to tell.
        let _ = write(&mut writer).and_then(|()| writer.flush());
    });
    Body::from_stream(ReceiverStream::new(receiver))
}

/// The writer of a [`streamed_body`]: gathers bytes into chunks and hands each full one
/// to the connection, waiting while the connection is behind.
pub struct ChunkWriter {
    chunk: Vec<u8>,
    sender: mpsc::Sender<io::Result<Bytes>>,
}

impl ChunkWriter {
    /// Takes a piece of the body whole: one of at least [`OWN_CHUNK_BYTES`] is handed to
    /// the connection as it is, after what is gathered before it, without a copy; a
    /// smaller one is gathered like any write.
    pub fn put_piece(&mut self, piece: Vec<u8>) -> io::Result<()> {
        if piece.len() < OWN_CHUNK_BYTES {
            return self.write_all(&piece);
        }
        self.flush()?;
        self.send(piece)
    }

    fn hand_off(&mut self) -> io::Result<()> {
        let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_BYTES));
        self.send(full)
    }

    fn send(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        self.sender
            .blocking_send(Ok(Bytes::from(bytes)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= CHUNK_BYTES {
            self.hand_off()?;
        }
        Ok(bytes.len())
    }

    /// Hands what is gathered to the connection (nothing when nothing is).
    fn flush(&mut self) -> io::Result<()> {
        match self.chunk.is_empty() {
            true => Ok(()),
            false => self.hand_off(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_larger_than_the_chunks_in_flight_arrives_whole_and_in_order() {
        let line = |i: usize| format!("line {i}\n");
        let body = streamed_body(move |out| {
            for i in 0..200_000 {
                out.write_all(line(i).as_bytes())?;
            }
            Ok(())
        });
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let want: String = (0..200_000).map(line).collect();
        assert!(bytes.len() > CHUNK_BYTES * (CHUNKS_IN_FLIGHT + 1));
        assert!(bytes == want.as_bytes(), "the body differs");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pieces_given_whole_and_writes_arrive_in_their_order() {
        let big = |b: u8| vec![b; OWN_CHUNK_BYTES + 3];
        let body = streamed_body(move |out| {
            out.write_all(b"head ")?;
            out.put_piece(big(b'a'))?;
            out.put_piece(b"small ".to_vec())?;
            out.put_piece(big(b'b'))?;
            out.put_piece(big(b'c'))?;
            out.write_all(b" tail")
        });
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let want = [
            &b"head "[..],
            &big(b'a'),
            b"small ",
            &big(b'b'),
            &big(b'c'),
            b" tail",
        ]
        .concat();
        assert!(bytes == want, "the body differs");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_stops_when_the_body_is_dropped() {
        let (stopped, told) = std::sync::mpsc::channel();
        let body = streamed_body(move |out| {
            let result = (0..).try_for_each(|_| out.write_all(&[b'x'; 1024]));
            stopped.send(result.unwrap_err().kind()).unwrap();
            Ok(())
        });
        drop(body);
        let kind = tokio::task::spawn_blocking(move || told.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(kind, io::ErrorKind::BrokenPipe);
    }
}
