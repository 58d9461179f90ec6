//! Reading OTLP protobuf span files: one `TracesData` message, or length-prefixed
//! messages as the Collector's file exporter writes them (see [`crate::otlp_proto`]).
//! A malformed message is reported with its number and byte offset.

use super::{SpanIngestOptions, SpanIngestReport};
use crate::otlp_proto::decode;
use crate::writer::SpansWriter;
use parquetry_table::error::IngestError;
use parquetry_table::input::KEPT_SKIP_ERRORS;
use std::io::{BufRead, Read};
use std::path::Path;

/// Reads the messages of `input` into `writer`; returns the bytes read.
pub(super) fn read_messages(
    name: &Path,
    mut input: impl BufRead,
    options: &SpanIngestOptions,
    writer: &mut SpansWriter,
    report: &mut SpanIngestReport,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, IngestError> {
    let io = |source| IngestError::Io {
        file: name.to_path_buf(),
        source,
    };
    // A file that starts with field 1 of a TracesData is one message; anything else is
    // a sequence of length-prefixed messages.
    let single = input.fill_buf().map_err(io)?.first() == Some(&0x0a);
    let mut batch = Vec::new();
    let (mut offset, mut number) = (0u64, 0u64);
    loop {
        if options.cancel.is_cancelled() {
            return Err(IngestError::Cancelled {
                file: name.to_path_buf(),
            });
        }
        let mut message = Vec::new();
        if single {
            input.read_to_end(&mut message).map_err(io)?;
            if message.is_empty() && number > 0 {
                break;
            }
        } else {
            let mut len = [0u8; 4];
            match input.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(e)),
            }
            offset += 4;
            let len = u32::from_be_bytes(len) as u64;
            input.by_ref().take(len).read_to_end(&mut message).map_err(io)?;
            if (message.len() as u64) < len {
                return Err(fault(
                    name,
                    number + 1,
                    offset,
                    format!(
                        "truncated: the length prefix promises {len} bytes, {} follow",
                        message.len()
                    ),
                ));
            }
        }
        number += 1;
        match decode(&message) {
            Ok(spans) => batch.extend(spans),
            Err(e) => {
                let err = fault(name, number, offset, e);
                if !options.skip_invalid {
                    return Err(err);
                }
                report.skipped_lines += 1;
                if report.first_skipped.len() < KEPT_SKIP_ERRORS {
                    report.first_skipped.push(err);
                }
            }
        }
        offset += message.len() as u64;
        progress(offset);
        if batch.len() >= options.batch_spans {
            writer.write(std::mem::take(&mut batch))?;
        }
        if single {
            break;
        }
    }
    writer.write(batch)?;
    Ok(offset)
}

/// The error of message `number` (1-based) starting at byte `offset`.
fn fault(name: &Path, number: u64, offset: u64, message: String) -> IngestError {
    IngestError::Syntax {
        file: name.to_path_buf(),
        line: number,
        column: 1,
        message: format!("OTLP protobuf message {number} at byte {offset}: {message}"),
    }
}
