//! Request bodies of the receivers: their `Content-Encoding` undone (gzip and deflate,
//! as OTLP/HTTP and Loki senders use them), with the decompressed size bounded so that a
//! small body cannot grow without limit.

use axum::http::{HeaderMap, StatusCode, header};
use std::borrow::Cow;
use std::io::Read;

/// Largest decompressed body accepted, in bytes (Loki's default largest message).
pub const MAX_DECODED_BYTES: usize = 100 << 20;

/// A request header as text; empty when absent or not text.
pub fn header_text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The media type of a `Content-Type` value, lowercase, without its parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `body` with the request's `Content-Encoding` undone: 415 for an encoding other than
/// gzip, deflate or identity; 400 for a body its encoding does not decode or that grows
/// past [`MAX_DECODED_BYTES`].
pub fn decoded<'a>(headers: &HeaderMap, body: &'a [u8]) -> Result<Cow<'a, [u8]>, (StatusCode, String)> {
    let encoding = header_text(headers, header::CONTENT_ENCODING)
        .trim()
        .to_ascii_lowercase();
    let reader: Box<dyn Read + 'a> = match encoding.as_str() {
        "" | "identity" => return Ok(Cow::Borrowed(body)),
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
        other => {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported Content-Encoding {other:?}: expected gzip, deflate or none"),
            ));
        }
    };
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(MAX_DECODED_BYTES));
    reader
        .take(MAX_DECODED_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("the body is not valid {encoding}: {e}"),
            )
        })?;
    if out.len() > MAX_DECODED_BYTES {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("the decompressed body is larger than {MAX_DECODED_BYTES} bytes"),
        ));
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn headers(encoding: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_ENCODING, encoding.parse().unwrap());
        h
    }

    #[test]
    fn gzip_and_deflate_are_undone_and_others_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(&*decoded(&headers("gzip"), &gz).unwrap(), b"hello");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(b"hi").unwrap();
        assert_eq!(
            &*decoded(&headers("deflate"), &z.finish().unwrap()).unwrap(),
            b"hi"
        );
        assert_eq!(&*decoded(&HeaderMap::new(), b"x").unwrap(), b"x");
        assert_eq!(
            decoded(&headers("br"), b"x").unwrap_err().0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let (status, reason) = decoded(&headers("gzip"), b"not gzip").unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(reason.contains("not valid gzip"), "{reason}");
    }

    #[test]
    fn media_types_lose_their_parameters() {
        assert_eq!(media_type("Application/JSON; charset=utf-8"), "application/json");
    }
}
