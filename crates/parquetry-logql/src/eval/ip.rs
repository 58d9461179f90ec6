//! `ip("…")` patterns: one address, a CIDR range or an address range `a-b`, IPv4 or IPv6,
//! and the search for matching addresses inside a line.

use std::net::IpAddr;

/// A compiled `ip("…")` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpPattern {
    low: IpAddr,
    high: IpAddr,
}

fn as_u128(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

impl IpPattern {
    /// Parses `10.0.0.1`, `10.0.0.0/8`, `10.0.0.1-10.0.0.9` or their IPv6 forms.
    pub fn parse(pattern: &str) -> Result<IpPattern, String> {
        let invalid = || format!("ip: invalid pattern {pattern:?}");
        let p = pattern.trim();
        if let Some((addr, bits)) = p.split_once('/') {
            let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
            let bits: u32 = bits.parse().map_err(|_| invalid())?;
            let (v6, value) = as_u128(addr);
            let width = if v6 { 128 } else { 32 };
            if bits > width {
                return Err(invalid());
            }
            let host_bits = width - bits;
            let mask = if host_bits == 0 {
                0
            } else {
                (1u128 << host_bits) - 1
            };
            let (low, high) = (value & !mask, value | mask);
            let to_ip = |v: u128| -> IpAddr {
                if v6 {
                    IpAddr::V6(v.into())
                } else {
                    IpAddr::V4((v as u32).into())
                }
            };
            return Ok(IpPattern {
                low: to_ip(low),
                high: to_ip(high),
            });
        }
        if let Some((a, b)) = p.split_once('-') {
            let low: IpAddr = a.trim().parse().map_err(|_| invalid())?;
            let high: IpAddr = b.trim().parse().map_err(|_| invalid())?;
            if low.is_ipv4() != high.is_ipv4() || as_u128(low).1 > as_u128(high).1 {
                return Err(invalid());
            }
            return Ok(IpPattern { low, high });
        }
        let ip: IpAddr = p.parse().map_err(|_| invalid())?;
        Ok(IpPattern { low: ip, high: ip })
    }

    /// True when `ip` is in the pattern.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, value) = as_u128(ip);
        let (low_v6, low) = as_u128(self.low);
        let (_, high) = as_u128(self.high);
        v6 == low_v6 && low <= value && value <= high
    }

    /// True when `value`, as a whole, is an address in the pattern.
    pub fn matches_value(&self, value: &str) -> bool {
        value.trim().parse().is_ok_and(|ip| self.contains(ip))
    }

    /// True when some address written in `line` is in the pattern.
    pub fn found_in(&self, line: &str) -> bool {
        let is_ip_char = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
        line.split(|c: char| !is_ip_char(c))
            .filter(|t| t.len() >= 2)
            .any(|t| {
                let t = t.trim_matches('.');
                // A colon after an IPv4 address (`1.2.3.4:80`, `1.2.3.4:`) is not part of it.
                [t, t.trim_end_matches(':'), t.split(':').next().unwrap_or(t)]
                    .iter()
                    .any(|c| c.parse().is_ok_and(|ip| self.contains(ip)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_ranges_and_cidrs() {
        let cidr = IpPattern::parse("192.168.0.0/16").unwrap();
        assert!(cidr.found_in("from 192.168.4.2: GET /"));
        assert!(!cidr.found_in("from 10.0.0.1"));
        let range = IpPattern::parse("1.2.3.4-1.2.3.9").unwrap();
        assert!(range.matches_value("1.2.3.5"));
        assert!(!range.matches_value("1.2.3.10"));
        assert!(IpPattern::parse("::1").unwrap().found_in("addr=::1 ok"));
        assert!(IpPattern::parse("bogus").is_err());
        assert!(IpPattern::parse("").is_err());
    }
}
