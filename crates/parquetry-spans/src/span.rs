//! The span model: OTLP's span with its resource and scope, kept losslessly.

use crate::any_value::Attribute;
use std::fmt;
use std::sync::Arc;

/// A trace id: 16 bytes, written as 32 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceId(pub [u8; 16]);

/// A span id: 8 bytes, written as 16 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpanId(pub [u8; 8]);

/// Reads `N` bytes from `2·N` hex digits (either case); the message says what is wrong.
fn parse_hex<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return Err(format!("{what} {text:?} is not {} hex digits", 2 * N));
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
        out[i] = digit(pair[0]) << 4 | digit(pair[1]);
    }
    Ok(out)
}

fn write_hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl TraceId {
    /// The id written as 32 hex digits; shorter ids (Jaeger's 64-bit ones, 16 digits)
    /// are padded with leading zeros, as OpenTelemetry pads them.
    pub fn parse(text: &str) -> Result<TraceId, String> {
        if text.len() == 16 {
            let low: [u8; 8] = parse_hex(text, "trace id")?;
            let mut id = [0u8; 16];
            id[8..].copy_from_slice(&low);
            return Ok(TraceId(id));
        }
        parse_hex(text, "trace id").map(TraceId)
    }

    /// The all-zero id, which OTLP calls invalid.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl SpanId {
    /// The id written as 16 hex digits.
    pub fn parse(text: &str) -> Result<SpanId, String> {
        parse_hex(text, "span id").map(SpanId)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(&self.0, f)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(&self.0, f)
    }
}

/// OTLP's span kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// Not given.
    #[default]
    Unspecified,
    /// Inside one process.
    Internal,
    /// Handles a remote request.
    Server,
    /// Makes a remote request.
    Client,
    /// Sends a message.
    Producer,
    /// Receives a message.
    Consumer,
}

impl SpanKind {
    /// Every kind, in OTLP's numbering (0 to 5).
    pub const ALL: [SpanKind; 6] = [
        SpanKind::Unspecified,
        SpanKind::Internal,
        SpanKind::Server,
        SpanKind::Client,
        SpanKind::Producer,
        SpanKind::Consumer,
    ];

    /// OTLP's number of the kind.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// The kind numbered `n`, if any.
    pub fn from_number(n: i64) -> Option<SpanKind> {
        usize::try_from(n)
            .ok()
            .and_then(|i| SpanKind::ALL.get(i).copied())
    }

    /// The lowercase name TraceQL and SQL use (`server`, `client`, …).
    pub fn name(self) -> &'static str {
        [
            "unspecified",
            "internal",
            "server",
            "client",
            "producer",
            "consumer",
        ][self as usize]
    }

    /// OTLP's enum name (`SPAN_KIND_SERVER`, …), as Tempo's span metrics label it.
    pub fn otlp_name(self) -> &'static str {
        [
            "SPAN_KIND_UNSPECIFIED",
            "SPAN_KIND_INTERNAL",
            "SPAN_KIND_SERVER",
            "SPAN_KIND_CLIENT",
            "SPAN_KIND_PRODUCER",
            "SPAN_KIND_CONSUMER",
        ][self as usize]
    }

    /// The kind named by OTLP's enum name.
    pub fn from_otlp_name(name: &str) -> Option<SpanKind> {
        SpanKind::ALL.into_iter().find(|k| k.otlp_name() == name)
    }
}

/// OTLP's span status code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// Not set.
    #[default]
    Unset,
    /// Marked successful.
    Ok,
    /// Failed.
    Error,
}

impl StatusCode {
    /// Every code, in OTLP's numbering (0 to 2).
    pub const ALL: [StatusCode; 3] = [StatusCode::Unset, StatusCode::Ok, StatusCode::Error];

    /// OTLP's number of the code.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// The code numbered `n`, if any.
    pub fn from_number(n: i64) -> Option<StatusCode> {
        usize::try_from(n)
            .ok()
            .and_then(|i| StatusCode::ALL.get(i).copied())
    }

    /// The lowercase name TraceQL and SQL use (`unset`, `ok`, `error`).
    pub fn name(self) -> &'static str {
        ["unset", "ok", "error"][self as usize]
    }

    /// OTLP's enum name (`STATUS_CODE_ERROR`, …), as Tempo's span metrics label it.
    pub fn otlp_name(self) -> &'static str {
        ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"][self as usize]
    }

    /// The code named by OTLP's enum name.
    pub fn from_otlp_name(name: &str) -> Option<StatusCode> {
        StatusCode::ALL.into_iter().find(|k| k.otlp_name() == name)
    }
}

/// The resource that emitted spans.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resource {
    /// Its attributes, in the order given.
    pub attributes: Vec<Attribute>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// The schema URL of the resource spans.
    pub schema_url: String,
}

/// The instrumentation scope that made spans.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scope {
    /// Its name (the instrumentation library).
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// The schema URL of the scope spans.
    pub schema_url: String,
}

/// A timed event of a span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// When it happened, ns since the epoch.
    pub time_unix_nano: i64,
    /// Its name.
    pub name: String,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
}

/// A link from a span to another span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Link {
    /// The linked span's trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub span_id: SpanId,
    /// The W3C trace state of the link.
    pub trace_state: String,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// W3C trace flags.
    pub flags: u32,
}

/// One span, with everything OTLP carries for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// The trace it belongs to.
    pub trace_id: TraceId,
    /// Its id, unique within the trace.
    pub span_id: SpanId,
    /// Its parent; `None` for a root span.
    pub parent_span_id: Option<SpanId>,
    /// W3C trace state.
    pub trace_state: String,
    /// W3C trace flags and OTLP's span flags.
    pub flags: u32,
    /// The operation's name.
    pub name: String,
    /// Its kind.
    pub kind: SpanKind,
    /// Start, ns since the epoch.
    pub start: i64,
    /// End, ns since the epoch; never before `start`.
    pub end: i64,
    /// Status code.
    pub status_code: StatusCode,
    /// Status message.
    pub status_message: String,
    /// Its attributes, in the order given.
    pub attributes: Vec<Attribute>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// Its events.
    pub events: Vec<Event>,
    /// Events the sender dropped.
    pub dropped_events_count: u32,
    /// Its links.
    pub links: Vec<Link>,
    /// Links the sender dropped.
    pub dropped_links_count: u32,
    /// The resource that emitted it (shared by the spans of one resource).
    pub resource: Arc<Resource>,
    /// The scope that made it (shared by the spans of one scope).
    pub scope: Arc<Scope>,
}

impl Span {
    /// The span's length in ns.
    pub fn duration(&self) -> i64 {
        self.end - self.start
    }

    /// The value of the resource attribute `service.name` as text, or
    /// `unknown_service` when there is none (as OpenTelemetry names such services).
    pub fn service_name(&self) -> String {
        self.resource
            .attributes
            .iter()
            .find(|a| a.key == "service.name")
            .map(|a| a.value.to_text())
            .unwrap_or_else(|| "unknown_service".to_string())
    }
}

/// Spans grouped as OTLP nests them: by resource, then by scope within a resource, each
/// group in the order it first appears, the spans in the order given.
pub type ResourceGroups<'a> = Vec<(&'a Resource, Vec<(&'a Scope, Vec<&'a Span>)>)>;

/// Groups `spans` by resource and scope, as a `TracesData` message nests them.
pub fn by_resource_and_scope(spans: &[Span]) -> ResourceGroups<'_> {
    let mut groups: ResourceGroups<'_> = Vec::new();
    for s in spans {
        let at = match groups.iter().position(|(r, _)| *r == &*s.resource) {
            Some(at) => at,
            None => {
                groups.push((&s.resource, Vec::new()));
                groups.len() - 1
            }
        };
        let scopes = &mut groups[at].1;
        let at = match scopes.iter().position(|(sc, _)| *sc == &*s.scope) {
            Some(at) => at,
            None => {
                scopes.push((&s.scope, Vec::new()));
                scopes.len() - 1
            }
        };
        scopes[at].1.push(s);
    }
    groups
}

/// Checks what OTLP requires of a span: a trace id and a span id that are not all
/// zeros, a start, and an end not before the start.
pub fn check_span(s: &Span) -> Result<(), String> {
    if s.trace_id.is_zero() {
        return Err("trace id is all zeros".to_string());
    }
    if s.span_id.0 == [0; 8] {
        return Err("span id is all zeros".to_string());
    }
    if s.start == 0 {
        return Err(format!("span {} has no startTimeUnixNano", s.span_id));
    }
    if s.end < s.start {
        return Err(format!(
            "span {} ends ({}) before it starts ({})",
            s.span_id, s.end, s.start
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print_as_hex() {
        let t = TraceId::parse("4BF92F3577B34DA6A3CE929D0E0E4736").unwrap();
        assert_eq!(t.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(TraceId::parse("00000000000000ff").unwrap().0[15], 0xff);
        let err = TraceId::parse("4bf92f").unwrap_err();
        assert!(err.contains("not 32 hex digits"), "{err}");
        assert!(TraceId::parse("zz000000000000000000000000000000").is_err());
        assert_eq!(
            SpanId::parse("00f067aa0ba902b7").unwrap().to_string(),
            "00f067aa0ba902b7"
        );
    }

    #[test]
    fn enums_by_number_and_name() {
        assert_eq!(SpanKind::from_number(2), Some(SpanKind::Server));
        assert_eq!(SpanKind::from_number(6), None);
        assert_eq!(
            SpanKind::from_otlp_name("SPAN_KIND_CLIENT"),
            Some(SpanKind::Client)
        );
        assert_eq!(StatusCode::Error.otlp_name(), "STATUS_CODE_ERROR");
        assert_eq!(StatusCode::from_number(-1), None);
    }
}
