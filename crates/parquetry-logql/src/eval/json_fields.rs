//! JSON lines as Loki's `json` and `unpack` stages read them: objects walked in order with
//! every value's raw text at hand (numbers keep the digits the line has), and the paths
//! of `| json name="a.b[0]"`.

use super::pipeline::WantedLabels;
use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// An object's members in the order written, values unparsed; keys borrow from the text
/// unless they hold escapes.
pub struct RawObject<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

/// An object key, borrowed when it can be.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    members.push((k.0, v));
                }
                Ok(RawObject(members))
            }
        }
        d.deserialize_map(ObjectVisitor)
    }
}

/// Reads `text` as a JSON object.
pub fn object(text: &str) -> Result<RawObject<'_>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// What a raw value is.
pub enum Scalar {
    /// A string, unescaped.
    Text(String),
    /// A number (its digits as written), `true` or `false`.
    Literal(String),
    /// `null`.
    Null,
    /// An object.
    Object,
    /// An array.
    Array,
}

/// Classifies a raw value.
pub fn scalar(v: &RawValue) -> Scalar {
    let raw = v.get();
    match raw.as_bytes().first() {
        Some(b'"') => Scalar::Text(serde_json::from_str(raw).unwrap_or_default()),
        Some(b'{') => Scalar::Object,
        Some(b'[') => Scalar::Array,
        Some(b'n') => Scalar::Null,
        _ => Scalar::Literal(raw.to_string()),
    }
}

/// How long [`sanitized`] makes an ASCII key (a `_` goes before a leading digit, and
/// every other character stays one byte); `None` for a key with other characters.
pub fn sanitized_len(key: &str) -> Option<usize> {
    let digit = usize::from(key.as_bytes().first().is_some_and(u8::is_ascii_digit));
    key.is_ascii().then_some(key.len() + digit)
}

/// A label name from a JSON or logfmt key: characters other than letters, digits and `_`
/// become `_`; a leading digit gets a `_` before it. The key is borrowed when it is a
/// label name already.
pub fn sanitized(key: &str) -> Cow<'_, str> {
    let clean = !key.starts_with(|c: char| c.is_ascii_digit())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if clean {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len() + 1);
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(key.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    Cow::Owned(out)
}

/// Every scalar member of the JSON object `text`, nested objects flattened with `_`
/// between the sanitized keys, arrays and nulls skipped; of a key written twice, the
/// first. Read in one pass; only the members whose name `wanted` holds (all when `None`)
/// are unescaped, and nested objects no wanted name reaches into are not read again.
/// `Err` when `text` is not one JSON object.
pub fn flatten<'a>(text: &'a str, wanted: Option<&WantedLabels>) -> Result<Vec<Member<'a>>, String> {
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    Members {
        prefix: "",
        wanted,
        found: &mut found,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| e.to_string())?;
    Ok(found)
}

/// A flattened member of a JSON object: its label name and its value's text.
pub type Member<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Reads one object's members into `found`, flattened under `prefix`.
struct Members<'p, 'w, 'f, 'a> {
    prefix: &'p str,
    wanted: Option<&'w WantedLabels>,
    found: &'f mut Vec<Member<'a>>,
}

impl<'a> DeserializeSeed<'a> for Members<'_, '_, '_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for Members<'_, '_, '_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'a>>(mut self, mut map: M) -> Result<(), M::Error> {
        // The keys met that name a wanted label or a prefix of one: of a key written
        // twice, only the first counts, and only those keys can count at all.
        let mut met: Vec<Cow<'a, str>> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'a>>()? {
            let value: &'a RawValue = map.next_value()?;
            if !self.may_matter(&key) {
                continue;
            }
            let name = self.name_of(&key);
            let matters = self.wanted.is_none_or(|w| w.wants(&name) || w.wants_under(&name));
            if !matters || met.contains(&key) {
                continue;
            }
            met.push(key);
            self.member(name, value);
        }
        Ok(())
    }
}

impl<'a> Members<'_, '_, '_, 'a> {
    /// The flattened label name of `key`.
    fn name_of(&self, key: &Cow<'a, str>) -> Cow<'a, str> {
        match (self.prefix, key) {
            ("", Cow::Borrowed(k)) => sanitized(k),
            ("", Cow::Owned(k)) => Cow::Owned(sanitized(k).into_owned()),
            (prefix, k) => Cow::Owned(format!("{prefix}_{}", sanitized(k))),
        }
    }

    /// Handles the first member of a wanted name or prefix: a scalar becomes a label, an
    /// object is read for the members under it.
    fn member(&mut self, name: Cow<'a, str>, value: &'a RawValue) {
        if value.get().starts_with('{') {
            if self.wanted.is_none_or(|w| w.wants_under(&name)) {
                let mut de = serde_json::Deserializer::from_str(value.get());
                let inner = Members {
                    prefix: &name,
                    wanted: self.wanted,
                    found: &mut *self.found,
                };
                // The text was read whole once already: it is an object.
                let _ = inner.deserialize(&mut de);
            }
        } else if self.wanted.is_none_or(|w| w.wants(&name))
            && let Some(text) = scalar_text(value)
        {
            self.found.push((name, text));
        }
    }

    /// False when no wanted name, nor a prefix of one, can be as long as this key's
    /// flattened name: the key is passed over without building its name.
    fn may_matter(&self, key: &str) -> bool {
        let Some(w) = self.wanted else {
            return true;
        };
        let Some(len) = sanitized_len(key) else {
            return true;
        };
        let len = if self.prefix.is_empty() {
            len
        } else {
            self.prefix.len() + 1 + len
        };
        w.may_want_length(len) || w.may_want_prefix_length(len)
    }
}

/// A scalar's text: a string unescaped (borrowed when it holds no escape), a number or
/// boolean as written; `None` for `null`, objects and arrays.
fn scalar_text(v: &RawValue) -> Option<Cow<'_, str>> {
    let raw = v.get();
    match raw.as_bytes().first() {
        Some(b'"') if !raw.contains('\\') => Some(Cow::Borrowed(&raw[1..raw.len() - 1])),
        Some(b'"') => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
        Some(b'{' | b'[' | b'n') | None => None,
        _ => Some(Cow::Borrowed(raw)),
    }
}

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// A member of an object.
    Key(String),
    /// An element of an array.
    Index(usize),
}

/// Parses `a.b[0]["key with space"]`.
pub fn parse_path(path: &str) -> Result<Vec<PathStep>, String> {
    let err = || format!("cannot parse expression {path:?}");
    let mut steps = Vec::new();
    let b = path.as_bytes();
    let mut i = 0;
    let mut expect_key = true;
    while i < b.len() {
        match b[i] {
            b'.' => {
                if expect_key {
                    return Err(err());
                }
                i += 1;
                expect_key = true;
                if i >= b.len() {
                    return Err(err());
                }
            }
            b'[' => {
                let close = path[i..].find(']').map(|c| i + c).ok_or_else(err)?;
                let inside = path[i + 1..close].trim();
                if inside.starts_with('"') {
                    let key: String = serde_json::from_str(inside).map_err(|_| err())?;
                    steps.push(PathStep::Key(key));
                } else {
                    steps.push(PathStep::Index(inside.parse().map_err(|_| err())?));
                }
                i = close + 1;
                expect_key = false;
            }
            _ => {
                let end = path[i..].find(['.', '[']).map_or(b.len(), |e| i + e);
                let key = &path[i..end];
                if key.is_empty() {
                    return Err(err());
                }
                steps.push(PathStep::Key(key.to_string()));
                i = end;
                expect_key = false;
            }
        }
    }
    if steps.is_empty() {
        return Err(err());
    }
    Ok(steps)
}

/// The value at `path` in the JSON text `line`: a string unescaped, a number or boolean as
/// written, an object or array as its JSON text; `None` for `null` or a missing member.
/// `Err` when the line is not JSON.
pub fn lookup(line: &str, path: &[PathStep]) -> Result<Option<String>, String> {
    let mut current: &RawValue = serde_json::from_str(line).map_err(|e| e.to_string())?;
    for step in path {
        let next = match step {
            PathStep::Key(k) => object(current.get())
                .ok()
                .and_then(|o| o.0.into_iter().find(|(name, _)| name == k).map(|(_, v)| v)),
            PathStep::Index(n) => serde_json::from_str::<Vec<&RawValue>>(current.get())
                .ok()
                .and_then(|items| items.get(*n).copied()),
        };
        match next {
            Some(v) => current = v,
            None => return Ok(None),
        }
    }
    Ok(match scalar(current) {
        Scalar::Text(s) | Scalar::Literal(s) => Some(s),
        Scalar::Null => None,
        Scalar::Object | Scalar::Array => Some(current.get().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_keeps_raw_numbers_and_skips_arrays() {
        let line = r#"{"a":1.50,"b":{"c-d":"x\u0021","e":[1]},"9f":true,"g":null,"a":2}"#;
        let got = flatten(line, None).unwrap();
        assert_eq!(
            got,
            [
                (Cow::from("a"), Cow::from("1.50")),
                ("b_c_d".into(), "x!".into()),
                ("_9f".into(), "true".into())
            ]
        );
        let mut wanted = WantedLabels::default();
        wanted.insert("b_c_d");
        wanted.insert("_9f");
        assert_eq!(flatten(line, Some(&wanted)).unwrap(), got[1..]);
        // The first of a repeated key counts, even when only its second form is wanted.
        let mut nested = WantedLabels::default();
        nested.insert("a_b");
        assert!(
            flatten(r#"{"a":1,"a":{"b":2}}"#, Some(&nested))
                .unwrap()
                .is_empty()
        );
        assert_eq!(flatten(r#"{"a":{"b":2},"a":1}"#, Some(&nested)).unwrap().len(), 1);
        assert!(flatten(r#"{"a":1} x"#, None).is_err());
        assert!(flatten("[1]", None).unwrap_err().contains("a JSON object"));
    }

    #[test]
    fn paths() {
        let p = parse_path(r#"request.headers["User-Agent"]"#).unwrap();
        assert_eq!(p.len(), 3);
        let line = r#"{"request":{"headers":{"User-Agent":"curl"}},"list":[{"x":2}]}"#;
        assert_eq!(lookup(line, &p).unwrap().as_deref(), Some("curl"));
        assert_eq!(
            lookup(line, &parse_path("list[0].x").unwrap())
                .unwrap()
                .as_deref(),
            Some("2")
        );
        assert_eq!(lookup(line, &parse_path("list[3]").unwrap()).unwrap(), None);
        assert!(parse_path("user[").is_err());
    }
}
