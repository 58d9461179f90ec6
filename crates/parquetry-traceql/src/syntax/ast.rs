//! The syntax tree of a TraceQL query.
//!
//! A query is a spanset expression (span selectors `{ … }` joined by `&&`, `||` and the
//! structural operators), then pipeline stages after `|`, and optionally a metrics
//! function that turns the spans found into time series.

use parquetry_spans::{SpanKind, StatusCode};

/// A whole query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// What selects the spansets.
    pub spansets: SpansetExpr,
    /// The metrics function after the spansets, when the query is a metrics query.
    pub metrics: Option<MetricsStage>,
    /// The hints of a trailing `with (name = value, …)`, in the order written.
    pub hints: Vec<Hint>,
}

/// One query hint, `name = value` in `with (…)`. Hints ask for ways of answering, not
/// for other answers: `most_recent = true` (the newest traces, which a search always
/// returns) and sampling hints, which an exact answer honours; other names are kept and
/// ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Hint {
    /// Its name (`most_recent`).
    pub name: String,
    /// Its value, a literal.
    pub value: Static,
}

/// An expression whose value, in each trace, is a list of spansets.
#[derive(Clone, Debug, PartialEq)]
pub enum SpansetExpr {
    /// `{ condition }`: the spans of the trace for which the condition holds.
    Filter(FieldExpr),
    /// Two spanset expressions joined by a spanset operator.
    Binary(Box<SpansetExpr>, SpansetOp, Box<SpansetExpr>),
    /// A spanset expression followed by `| stage`s.
    Pipeline(Box<SpansetExpr>, Vec<Stage>),
}

/// The operators between spansets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpansetOp {
    /// `&&`: both sides found spans; the spans of both.
    And,
    /// `||`: either side found spans; the spans of both.
    Or,
    /// A structural relation between the left spans and the right spans.
    Structural(Relation, StructuralForm),
}

/// How the spans of the right side relate to those of the left side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// `>`: a direct child of a left span.
    Child,
    /// `>>`: a descendant of a left span.
    Descendant,
    /// `<`: the parent of a left span.
    Parent,
    /// `<<`: an ancestor of a left span.
    Ancestor,
    /// `~`: a sibling of a left span (same parent, not the span itself).
    Sibling,
}

/// Which spans a structural operator returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructuralForm {
    /// `A > B`: the right spans in the relation.
    Right,
    /// `A !> B`: the right spans not in the relation.
    Not,
    /// `A &> B`: the spans of both sides in the relation.
    Union,
}

/// A pipeline stage after `|`.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `{ condition }`: keeps the spans of each spanset for which it holds.
    Filter(FieldExpr),
    /// `aggregate op value`: keeps the spansets for which the comparison holds.
    Scalar(ScalarFilter),
    /// `by(field, …)`: splits each spanset by the values of the fields.
    By(Vec<FieldExpr>),
    /// `select(field, …)`: returns these fields with the spans found.
    Select(Vec<FieldExpr>),
    /// `coalesce()`: merges the spansets of a trace into one.
    Coalesce,
}

/// A comparison of values computed over a spanset, such as `count() > 3`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarFilter {
    /// The left side.
    pub lhs: ScalarExpr,
    /// The comparison.
    pub op: BinaryOp,
    /// The right side.
    pub rhs: ScalarExpr,
}

/// A value computed over a spanset.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarExpr {
    /// A literal.
    Static(Static),
    /// An aggregate of the spanset.
    Aggregate(Aggregate, Option<FieldExpr>),
    /// Arithmetic between two scalar values.
    Binary(Box<ScalarExpr>, BinaryOp, Box<ScalarExpr>),
}

/// Aggregates over the spans of a spanset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// `count()`: the number of spans.
    Count,
    /// `avg(field)`.
    Avg,
    /// `min(field)`.
    Min,
    /// `max(field)`.
    Max,
    /// `sum(field)`.
    Sum,
}

impl Aggregate {
    /// Every aggregate with its name.
    pub const ALL: [(&'static str, Aggregate); 5] = [
        ("count", Aggregate::Count),
        ("avg", Aggregate::Avg),
        ("min", Aggregate::Min),
        ("max", Aggregate::Max),
        ("sum", Aggregate::Sum),
    ];

    /// The name as written.
    pub fn name(self) -> &'static str {
        Aggregate::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("", |(n, _)| n)
    }
}

/// An expression over one span's fields.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldExpr {
    /// A literal.
    Static(Static),
    /// An attribute.
    Attribute(Attribute),
    /// An intrinsic field.
    Intrinsic(Intrinsic),
    /// A binary operation: arithmetic, comparison, regex match, `&&` or `||`.
    Binary(Box<FieldExpr>, BinaryOp, Box<FieldExpr>),
    /// `!x`.
    Not(Box<FieldExpr>),
    /// `-x`.
    Negate(Box<FieldExpr>),
}

/// The binary operators of field and scalar expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~`
    Match,
    /// `!~`
    NotMatch,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
}

impl BinaryOp {
    /// The operators as written, longest first where one text begins another.
    pub const ALL: [(&'static str, BinaryOp); 16] = [
        ("||", BinaryOp::Or),
        ("&&", BinaryOp::And),
        ("!=", BinaryOp::Ne),
        ("!~", BinaryOp::NotMatch),
        ("=~", BinaryOp::Match),
        ("<=", BinaryOp::Le),
        (">=", BinaryOp::Ge),
        ("=", BinaryOp::Eq),
        ("<", BinaryOp::Lt),
        (">", BinaryOp::Gt),
        ("+", BinaryOp::Add),
        ("-", BinaryOp::Sub),
        ("*", BinaryOp::Mul),
        ("/", BinaryOp::Div),
        ("%", BinaryOp::Mod),
        ("^", BinaryOp::Pow),
    ];

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        BinaryOp::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("", |(t, _)| t)
    }

    /// How tightly it binds: `||` loosest, then `&&`, comparisons, `+ -`, `* / %`, `^`.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Match
            | BinaryOp::NotMatch => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 5,
            BinaryOp::Pow => 6,
        }
    }

    /// True for `^`, the one operator that groups from the right.
    pub fn right_associative(self) -> bool {
        self == BinaryOp::Pow
    }

    /// True for the comparisons and regex matches.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Static {
    /// `nil`: no value.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(String),
    /// A duration in nanoseconds (`250ms`).
    Duration(i64),
    /// A span status (`error`, `ok`, `unset`).
    Status(StatusCode),
    /// A span kind (`server`, `client`, …).
    Kind(SpanKind),
}

/// Where an attribute is looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttributeScope {
    /// `.x`: the span's attributes, then its resource's.
    Any,
    /// `span.x`.
    Span,
    /// `resource.x`.
    Resource,
    /// `event.x`: any of the span's events.
    Event,
    /// `link.x`: any of the span's links.
    Link,
    /// `instrumentation.x`: the instrumentation scope's attributes.
    Instrumentation,
}

impl AttributeScope {
    /// The scopes with their prefixes as written (without the dot).
    pub const NAMED: [(&'static str, AttributeScope); 5] = [
        ("span", AttributeScope::Span),
        ("resource", AttributeScope::Resource),
        ("event", AttributeScope::Event),
        ("link", AttributeScope::Link),
        ("instrumentation", AttributeScope::Instrumentation),
    ];

    /// The prefix as written before the dot, empty for [`AttributeScope::Any`].
    pub fn prefix(self) -> &'static str {
        AttributeScope::NAMED
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("", |(p, _)| p)
    }
}

/// A named attribute in a scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Where it is looked up.
    pub scope: AttributeScope,
    /// Its name (`http.request.method`).
    pub name: String,
}

/// The fields every span has, whatever its attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `name`, `span:name`: the span's name.
    Name,
    /// `status`, `span:status`: `error`, `ok` or `unset`.
    Status,
    /// `statusMessage`, `span:statusMessage`.
    StatusMessage,
    /// `kind`, `span:kind`.
    Kind,
    /// `duration`, `span:duration`: end minus start.
    Duration,
    /// `childCount`, `span:childCount`: the number of direct children.
    ChildCount,
    /// `span:id`: the span id as 16 hex digits.
    SpanId,
    /// `span:parentID`: the parent's id as 16 hex digits; nil for a root.
    ParentId,
    /// `rootName`, `trace:rootName`: the name of the trace's root span.
    RootName,
    /// `rootServiceName`, `trace:rootService`: the service of the trace's root span.
    RootServiceName,
    /// `traceDuration`, `trace:duration`: the latest end minus the earliest start.
    TraceDuration,
    /// `trace:id`: the trace id as 32 hex digits.
    TraceId,
    /// `event:name`: the name of any of the span's events.
    EventName,
    /// `event:timeSinceStart`: when any of the span's events happened after its start.
    EventTimeSinceStart,
    /// `link:traceID`: the trace id of any of the span's links.
    LinkTraceId,
    /// `link:spanID`: the span id of any of the span's links.
    LinkSpanId,
    /// `instrumentation:name`: the instrumentation scope's name.
    InstrumentationName,
    /// `instrumentation:version`: the instrumentation scope's version.
    InstrumentationVersion,
    /// `nestedSetLeft`: the span's nested-set number on entering it.
    NestedSetLeft,
    /// `nestedSetRight`: the span's nested-set number on leaving it.
    NestedSetRight,
    /// `nestedSetParent`: the parent's nested-set left number; -1 for a root.
    NestedSetParent,
}

impl Intrinsic {
    /// Every spelling, scoped and unscoped, with the intrinsic it names. The first
    /// spelling of each intrinsic is the one the printer writes.
    pub const SPELLINGS: [(&'static str, Intrinsic); 33] = [
        ("name", Intrinsic::Name),
        ("span:name", Intrinsic::Name),
        ("status", Intrinsic::Status),
        ("span:status", Intrinsic::Status),
        ("statusMessage", Intrinsic::StatusMessage),
        ("span:statusMessage", Intrinsic::StatusMessage),
        ("kind", Intrinsic::Kind),
        ("span:kind", Intrinsic::Kind),
        ("duration", Intrinsic::Duration),
        ("span:duration", Intrinsic::Duration),
        ("childCount", Intrinsic::ChildCount),
        ("span:childCount", Intrinsic::ChildCount),
        ("span:id", Intrinsic::SpanId),
        ("span:parentID", Intrinsic::ParentId),
        ("rootName", Intrinsic::RootName),
        ("trace:rootName", Intrinsic::RootName),
        ("rootServiceName", Intrinsic::RootServiceName),
        ("trace:rootService", Intrinsic::RootServiceName),
        ("traceDuration", Intrinsic::TraceDuration),
        ("trace:duration", Intrinsic::TraceDuration),
        ("trace:id", Intrinsic::TraceId),
        ("event:name", Intrinsic::EventName),
        ("event:timeSinceStart", Intrinsic::EventTimeSinceStart),
        ("link:traceID", Intrinsic::LinkTraceId),
        ("link:spanID", Intrinsic::LinkSpanId),
        ("instrumentation:name", Intrinsic::InstrumentationName),
        ("instrumentation:version", Intrinsic::InstrumentationVersion),
        ("nestedSetLeft", Intrinsic::NestedSetLeft),
        ("span:nestedSetLeft", Intrinsic::NestedSetLeft),
        ("nestedSetRight", Intrinsic::NestedSetRight),
        ("span:nestedSetRight", Intrinsic::NestedSetRight),
        ("nestedSetParent", Intrinsic::NestedSetParent),
        ("span:nestedSetParent", Intrinsic::NestedSetParent),
    ];

    /// The spelling the printer writes.
    pub fn as_str(self) -> &'static str {
        Intrinsic::SPELLINGS
            .iter()
            .find(|(_, i)| *i == self)
            .map_or("", |(t, _)| t)
    }
}

/// A metrics function and its grouping: `rate() by (resource.service.name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsStage {
    /// The function.
    pub function: MetricsFunction,
    /// The fields that name the series, one label each.
    pub by: Vec<FieldExpr>,
    /// `| topk(n)` or `| bottomk(n)` after the function.
    pub rank: Option<(Rank, usize)>,
}

/// The functions that turn spans into time series.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricsFunction {
    /// `rate()`: spans per second.
    Rate,
    /// `count_over_time()`: spans per step.
    CountOverTime,
    /// `min_over_time(field)`.
    MinOverTime(FieldExpr),
    /// `max_over_time(field)`.
    MaxOverTime(FieldExpr),
    /// `avg_over_time(field)`.
    AvgOverTime(FieldExpr),
    /// `sum_over_time(field)`.
    SumOverTime(FieldExpr),
    /// `quantile_over_time(field, q, …)`: one series per quantile.
    QuantileOverTime(FieldExpr, Vec<f64>),
    /// `histogram_over_time(field)`: spans per power-of-two bucket of the field.
    HistogramOverTime(FieldExpr),
}

/// `topk` or `bottomk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rank {
    /// The series with the largest values at each step.
    Top,
    /// The series with the smallest values at each step.
    Bottom,
}
