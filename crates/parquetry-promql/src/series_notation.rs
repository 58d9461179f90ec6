//! Prometheus' series notation, shared by its test formats (promqltest scripts and
//! `promtool test rules` files): a series description `name{label="value"}` and an
//! expanding value sequence `1 2+3x4 _ stale`.

use crate::syntax::selector::series_matchers;
use parquetry_model::value::stale_nan;
use parquetry_model::{Labels, MatchOp};

/// Parses a series description (`name{a="b"}`, `{a="b"}` or `{}`) into its labels. Only
/// equality matchers are allowed and nothing may follow the closing brace.
pub fn series_labels(text: &str) -> Result<Labels, SequenceError> {
    let text = text.trim();
    if text == "{}" {
        return Ok(Labels::empty());
    }
    let invalid = || SequenceError(format!("invalid series {text:?}"));
    let (rest, sel) = series_matchers(text).map_err(|_| invalid())?;
    if !rest.trim().is_empty() || sel.matchers.iter().any(|m| m.op != MatchOp::Equal) {
        return Err(invalid());
    }
    Ok(Labels::from_pairs(
        sel.matchers.into_iter().map(|m| (m.name, m.value)),
    ))
}

/// One slot of a sequence: a value, a stale marker, or nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Slot {
    /// A float value.
    Value(f64),
    /// Omitted (`_`).
    Empty,
}

/// Why a sequence could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceError(pub String);

/// True when the sequence holds native histograms (`{{…}}`), which this runner does not
/// load.
pub fn has_histograms(seq: &str) -> bool {
    seq.contains("{{")
}

/// Expands a float value sequence into slots.
pub fn expand(seq: &str) -> Result<Vec<Slot>, SequenceError> {
    let mut out = Vec::new();
    for item in seq.split_whitespace() {
        expand_item(item, &mut out)?;
    }
    Ok(out)
}

fn number(s: &str) -> Result<f64, SequenceError> {
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let v = match lower.trim_start_matches(['+', '-']) {
        "inf" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    let v = match v {
        Some(v) if lower.starts_with('-') => -v,
        Some(v) => v,
        None => clean
            .parse()
            .map_err(|_| SequenceError(format!("invalid number {s:?}")))?,
    };
    Ok(v)
}

fn expand_item(item: &str, out: &mut Vec<Slot>) -> Result<(), SequenceError> {
    if item == "stale" {
        out.push(Slot::Value(stale_nan()));
        return Ok(());
    }
    if item == "_" {
        out.push(Slot::Empty);
        return Ok(());
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n: usize = n
            .parse()
            .map_err(|_| SequenceError(format!("invalid repeat in {item:?}")))?;
        out.extend(std::iter::repeat_n(Slot::Empty, n));
        return Ok(());
    }
    let Some((head, times)) = item.rsplit_once('x') else {
        out.push(Slot::Value(number(item)?));
        return Ok(());
    };
    let n: usize = times
        .parse()
        .map_err(|_| SequenceError(format!("invalid repeat in {item:?}")))?;
    // `v+dxN` / `v-dxN`: the sign separating start and increment is not the first char.
    let split = head
        .char_indices()
        .skip(1)
        .filter(|(i, c)| (*c == '+' || *c == '-') && !matches!(head.as_bytes()[i - 1], b'e' | b'E'))
        .map(|(i, _)| i)
        .last();
    let (start, delta) = match split {
        Some(i) => (number(&head[..i])?, number(&head[i..])?),
        None => (number(head)?, 0.0),
    };
    let mut v = start;
    for _ in 0..=n {
        out.push(Slot::Value(v));
        v += delta;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(s: &str) -> Vec<String> {
        expand(s)
            .unwrap()
            .into_iter()
            .map(|x| match x {
                Slot::Value(v) if parquetry_model::value::is_stale_nan(v) => "stale".into(),
                Slot::Value(v) => v.to_string(),
                Slot::Empty => "_".into(),
            })
            .collect()
    }

    #[test]
    fn series_descriptions_become_labels() {
        assert_eq!(series_labels("{}").unwrap(), Labels::empty());
        let l = series_labels(r#"up{job="a", instance="b"}"#).unwrap();
        assert_eq!(l.to_string(), r#"up{instance="b", job="a"}"#);
        assert!(series_labels(r#"up{job="a""#).is_err());
        assert!(series_labels(r#"up{job=~"a"}"#).is_err());
    }

    #[test]
    fn sequences_expand_as_documented() {
        assert_eq!(values("5 2+3x2 _ stale"), ["5", "2", "5", "8", "_", "stale"]);
        assert_eq!(values("-2+4x3"), ["-2", "2", "6", "10"]);
        assert_eq!(values("1x2 _x2"), ["1", "1", "1", "_", "_"]);
        assert_eq!(values("10-2x2"), ["10", "8", "6"]);
        assert_eq!(values("1e3 Inf -Inf"), ["1000", "inf", "-inf"]);
        assert_eq!(values("1_000"), ["1000"]);
    }
}
