//! Go's escape sequences in quoted strings, as PromQL, LogQL and Go templates write them.

/// The next character of an escape sequence after `\`, read from `chars`: its bytes are
/// appended to `out`. `quote` is the string's quote character, which may be escaped.
/// On error, the message says what is wrong (unknown escape, too few digits, a code
/// point out of range).
pub fn decode_escape(
    chars: &mut impl Iterator<Item = char>,
    quote: char,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let Some(e) = chars.next() else {
        return Err("unterminated escape sequence".into());
    };
    let simple = match e {
        'a' => Some(0x07),
        'b' => Some(0x08),
        'f' => Some(0x0c),
        'n' => Some(b'\n'),
        'r' => Some(b'\r'),
        't' => Some(b'\t'),
        'v' => Some(0x0b),
        '\\' => Some(b'\\'),
        e if e == quote => Some(e as u8),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Ok(());
    }
    let (digits, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (2, 8),
        _ => return Err(format!("unknown escape sequence '\\{e}'")),
    };
    let mut text = String::new();
    if radix == 8 {
        text.push(e);
    }
    for _ in 0..digits {
        match chars.next() {
            Some(d) if d.is_digit(radix) => text.push(d),
            _ => return Err("invalid escape sequence: too few digits".into()),
        }
    }
    let code = u32::from_str_radix(&text, radix).map_err(|e| e.to_string())?;
    match e {
        'x' => out.push(code as u8),
        '0'..='7' if code <= 0xff => out.push(code as u8),
        'u' | 'U' => match char::from_u32(code) {
            Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
            None => return Err("escape sequence is not a valid Unicode code point".into()),
        },
        _ => return Err("octal escape value above 255".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str, quote: char) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        decode_escape(&mut s.chars(), quote, &mut out)?;
        Ok(out)
    }

    #[test]
    fn escapes() {
        assert_eq!(decode("n", '"'), Ok(b"\n".to_vec()));
        assert_eq!(decode("x1b", '"'), Ok(vec![0x1b]));
        assert_eq!(decode("101", '"'), Ok(b"A".to_vec()));
        assert_eq!(decode("u00e9", '"'), Ok("é".as_bytes().to_vec()));
        assert_eq!(decode("\"", '"'), Ok(b"\"".to_vec()));
        assert!(decode("'", '"').is_err());
        assert!(decode("q", '"').is_err());
        assert!(decode("x1", '"').is_err());
    }
}
