//! Prometheus' XOR chunk encoding of float samples (Gorilla compression), as its TSDB
//! stores them and as remote read's `STREAMED_XOR_CHUNKS` response sends them: a
//! 2-byte big-endian sample count, then a bit stream: the first time as a signed varint
//! and value as 64 bits; the second time as an unsigned varint delta; later times as
//! delta-of-delta in 1, 16, 20, 24 or 68 bits; each value after the first XORed with the
//! previous one, its meaningful bits written in or out of the previous window.

/// Most samples Prometheus puts in one chunk; readers expect no more.
pub const SAMPLES_PER_CHUNK: usize = 120;

/// Bits appended most significant first into bytes.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    /// Bits still free in the last byte (0 means a new byte is needed).
    free: u8,
}

impl BitWriter {
    fn bit(&mut self, one: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        self.free -= 1;
        if one {
            *self.bytes.last_mut().expect("a byte was pushed") |= 1 << self.free;
        }
    }

    /// The lowest `n` bits of `value`, most significant first.
    fn bits(&mut self, value: u64, n: u32) {
        for i in (0..n).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }

    fn uvarint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bits((value as u8 | 0x80) as u64, 8);
            value >>= 7;
        }
        self.bits(value, 8);
    }

    fn varint(&mut self, value: i64) {
        self.uvarint(((value << 1) ^ (value >> 63)) as u64);
    }
}

/// True when `x` fits the signed range Prometheus gives `bits` bits.
fn fits(x: i64, bits: u32) -> bool {
    -((1i64 << (bits - 1)) - 1) <= x && x <= 1i64 << (bits - 1)
}

/// One chunk of the samples `(timestamps[i], values[i])` (at most
/// [`SAMPLES_PER_CHUNK`], times increasing), in Prometheus' bytes.
pub fn encode(timestamps: &[i64], values: &[f64]) -> Vec<u8> {
    let mut w = BitWriter::default();
    let (mut previous_t, mut previous_delta) = (0i64, 0i64);
    let mut previous_bits = 0u64;
    let (mut leading, mut trailing) = (0xffu32, 0u32);
    for (i, (&t, &v)) in timestamps.iter().zip(values).enumerate() {
        let bits = v.to_bits();
        match i {
            0 => {
                w.varint(t);
                w.bits(bits, 64);
            }
            1 => {
                previous_delta = t - previous_t;
                w.uvarint(previous_delta as u64);
            }
            _ => {
                let delta = t - previous_t;
                let dod = delta - previous_delta;
                if dod == 0 {
                    w.bit(false);
                } else if fits(dod, 14) {
                    w.bits(0b10, 2);
                    w.bits(dod as u64, 14);
                } else if fits(dod, 17) {
                    w.bits(0b110, 3);
                    w.bits(dod as u64, 17);
                } else if fits(dod, 20) {
                    w.bits(0b1110, 4);
                    w.bits(dod as u64, 20);
                } else {
                    w.bits(0b1111, 4);
                    w.bits(dod as u64, 64);
                }
                previous_delta = delta;
            }
        }
        if i > 0 {
            let xor = bits ^ previous_bits;
            if xor == 0 {
                w.bit(false);
            } else {
                w.bit(true);
                let new_leading = xor.leading_zeros().min(31);
                let new_trailing = xor.trailing_zeros();
                if leading != 0xff && new_leading >= leading && new_trailing >= trailing {
                    w.bit(false);
                    w.bits(xor >> trailing, 64 - leading - trailing);
                } else {
                    (leading, trailing) = (new_leading, new_trailing);
                    w.bit(true);
                    w.bits(leading as u64, 5);
                    let significant = 64 - leading - trailing;
                    // 64 significant bits are written as 0: six bits hold 0 to 63.
                    w.bits(significant as u64 & 0x3f, 6);
                    w.bits(xor >> trailing, significant);
                }
            }
        }
        previous_t = t;
        previous_bits = bits;
    }
    let mut out = Vec::with_capacity(2 + w.bytes.len());
    out.extend_from_slice(&(timestamps.len() as u16).to_be_bytes());
    out.extend_from_slice(&w.bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bits read back most significant first, as Prometheus' reader reads them.
    struct BitReader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl BitReader<'_> {
        fn bit(&mut self) -> bool {
            let one = self.bytes[self.at / 8] >> (7 - self.at % 8) & 1 == 1;
            self.at += 1;
            one
        }
        fn bits(&mut self, n: u32) -> u64 {
            (0..n).fold(0, |acc, _| acc << 1 | self.bit() as u64)
        }
        fn uvarint(&mut self) -> u64 {
            let (mut out, mut shift) = (0u64, 0);
            loop {
                let byte = self.bits(8);
                out |= (byte & 0x7f) << shift;
                if byte < 0x80 {
                    return out;
                }
                shift += 7;
            }
        }
        fn signed(&mut self, n: u32) -> i64 {
            let v = self.bits(n);
            // Prometheus' reader: values above half the range are negative.
            if v > 1 << (n - 1) {
                v as i64 - (1 << n)
            } else {
                v as i64
            }
        }
    }

    /// Prometheus' decoding, written from its reader's rules.
    fn decode(chunk: &[u8]) -> Vec<(i64, u64)> {
        let n = u16::from_be_bytes([chunk[0], chunk[1]]) as usize;
        let mut r = BitReader {
            bytes: &chunk[2..],
            at: 0,
        };
        let mut out = Vec::new();
        let (mut t, mut delta, mut bits) = (0i64, 0i64, 0u64);
        let (mut leading, mut trailing) = (0u32, 0u32);
        for i in 0..n {
            match i {
                0 => {
                    let z = r.uvarint();
                    t = (z >> 1) as i64 ^ -((z & 1) as i64);
                    bits = r.bits(64);
                    out.push((t, bits));
                    continue;
                }
                1 => {
                    delta = r.uvarint() as i64;
                    t += delta;
                }
                _ => {
                    let dod = if !r.bit() {
                        0
                    } else if !r.bit() {
                        r.signed(14)
                    } else if !r.bit() {
                        r.signed(17)
                    } else if !r.bit() {
                        r.signed(20)
                    } else {
                        r.bits(64) as i64
                    };
                    delta += dod;
                    t += delta;
                }
            }
            if r.bit() {
                if r.bit() {
                    leading = r.bits(5) as u32;
                    let mut significant = r.bits(6) as u32;
                    if significant == 0 {
                        significant = 64;
                    }
                    trailing = 64 - leading - significant;
                }
                let significant = 64 - leading - trailing;
                bits ^= r.bits(significant) << trailing;
            }
            out.push((t, bits));
        }
        out
    }

    #[test]
    fn chunks_decode_to_the_samples_bit_for_bit() {
        let stale = f64::from_bits(0x7ff0000000000002);
        let times = [
            -5_000,
            10_000,
            25_000,
            40_000,
            40_001,
            1_000_000,
            1_000_015,
            9_000_000_000,
            9_000_000_001,
        ];
        let values = [
            1.0,
            1.0,
            2.5,
            -3.25,
            stale,
            f64::MIN_POSITIVE,
            1e300,
            f64::NAN,
            0.1,
        ];
        let chunk = encode(&times, &values);
        let expected: Vec<(i64, u64)> = times
            .iter()
            .zip(&values)
            .map(|(&t, v)| (t, v.to_bits()))
            .collect();
        assert_eq!(decode(&chunk), expected);
        let counter: Vec<f64> = (0..120).map(|i| (i * i) as f64 * 0.5).collect();
        let regular: Vec<i64> = (0..120).map(|i| 1_700_000_000_000 + i * 15_000).collect();
        let chunk = encode(&regular, &counter);
        assert!(
            chunk.len() < 120 * 4,
            "regular samples compress: {} bytes",
            chunk.len()
        );
        let expected: Vec<(i64, u64)> = regular
            .iter()
            .zip(&counter)
            .map(|(&t, v)| (t, v.to_bits()))
            .collect();
        assert_eq!(decode(&chunk), expected);
    }
}
