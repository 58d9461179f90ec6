//! Protobuf fields read in place: a message's fields one at a time, with strings and
//! nested messages as slices of the input, so that the hot path of remote write
//! allocates nothing per series.

use prost::encoding::decode_varint;

/// One field's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (`double`, `fixed64`).
    Fixed64(u64),
    /// Wire type 2: a string, bytes or a nested message.
    Bytes(&'a [u8]),
    /// Wire type 5 (`float`, `fixed32`).
    Fixed32(u32),
}

/// The fields of a message, in the order written; an error ends the iteration.
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The fields of the message `bytes`.
    pub fn of(bytes: &'a [u8]) -> Fields<'a> {
        Fields { rest: bytes }
    }

    fn field(&mut self) -> Result<(u32, Value<'a>), String> {
        let key = decode_varint(&mut self.rest).map_err(|e| e.to_string())?;
        let tag = (key >> 3) as u32;
        let value = match key & 7 {
            0 => Value::Varint(decode_varint(&mut self.rest).map_err(|e| e.to_string())?),
            1 => Value::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"))),
            2 => {
                let len = decode_varint(&mut self.rest).map_err(|e| e.to_string())?;
                Value::Bytes(self.take(usize::try_from(len).map_err(|_| "length too large")?)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"))),
            other => return Err(format!("unsupported wire type {other} for field {tag}")),
        };
        Ok((tag, value))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("the message ends inside a field".to_string());
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            self.rest = &[];
        }
        Some(field)
    }
}

/// A string field's text, refused when it is not UTF-8.
pub fn text<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|_| format!("{what} is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::remote_write::proto::{Label, Sample};
    use prost::Message;

    #[test]
    fn fields_read_as_prost_wrote_them() {
        let label = Label {
            name: "job".into(),
            value: "api".into(),
        }
        .encode_to_vec();
        let fields: Vec<(u32, Value)> = Fields::of(&label).collect::<Result<_, _>>().unwrap();
        assert_eq!(fields, [(1, Value::Bytes(b"job")), (2, Value::Bytes(b"api"))]);
        let sample = Sample {
            value: 2.5,
            timestamp: -7,
        }
        .encode_to_vec();
        let fields: Vec<(u32, Value)> = Fields::of(&sample).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            fields,
            [
                (1, Value::Fixed64(2.5f64.to_bits())),
                (2, Value::Varint(-7i64 as u64))
            ]
        );
        let cut = &label[..label.len() - 1];
        assert!(Fields::of(cut).any(|f| f.is_err()));
    }
}
