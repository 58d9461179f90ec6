//! The LogQL abstract syntax tree.
//!
//! Nodes that stand for a whole expression carry a [`Span`]; spans never take part in
//! equality, so `parse(print(tree)) == tree` holds although printing rearranges text (a
//! range written before the pipeline is printed after it, parentheses disappear).

use parquetry_model::Matcher;
pub use parquetry_promql::syntax::ast::{BinOp, Cardinality, Grouping, Number, Span, VectorMatching};

/// A whole LogQL query: a log query returning lines, or a metric query returning samples.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `{selector} pipeline`: returns log lines.
    Log(LogExpr),
    /// `rate({…}[5m])` and the other functions over a range of log lines.
    RangeAggregation(RangeAggregation),
    /// `sum by (x) (…)`, `topk(3, …)` and the other aggregations across series.
    VectorAggregation(VectorAggregation),
    /// `lhs op rhs`.
    Binary(BinaryExpr),
    /// A number, possibly signed.
    Literal(Number, Span),
    /// `vector(n)`: one series without labels whose value is `n` at every step.
    Vector(Number, Span),
    /// `label_replace(v, "dst", "replacement", "src", "regex")`.
    LabelReplace(LabelReplace),
}

impl Expr {
    /// Where the expression is in the query text.
    pub fn span(&self) -> Span {
        match self {
            Expr::Log(e) => e.span,
            Expr::RangeAggregation(e) => e.span,
            Expr::VectorAggregation(e) => e.span,
            Expr::Binary(e) => e.span,
            Expr::Literal(_, span) | Expr::Vector(_, span) => *span,
            Expr::LabelReplace(e) => e.span,
        }
    }

    /// True for a log query (one that returns lines rather than samples).
    pub fn is_log(&self) -> bool {
        matches!(self, Expr::Log(_))
    }

    /// True for a number, or operators over numbers only: an expression that evaluates
    /// to a scalar (Loki folds it into one number).
    pub fn is_number_only(&self) -> bool {
        match self {
            Expr::Literal(..) => true,
            Expr::Binary(b) => b.lhs.is_number_only() && b.rhs.is_number_only(),
            _ => false,
        }
    }
}

/// A stream selector and the stages every selected line passes through.
#[derive(Clone, Debug, PartialEq)]
pub struct LogExpr {
    /// The stream matchers, in the order written.
    pub matchers: Vec<Matcher>,
    /// The pipeline, in order.
    pub pipeline: Vec<Stage>,
    /// Where it is.
    pub span: Span,
}

/// One stage of a log pipeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `|= "a"`, `!~ "b" or "c"`, `|> "<_> GET <_>"`, `|= ip("10.0.0.0/8")`.
    LineFilter(LineFilter),
    /// `| json` (every field) or `| json a, b="path.to[0]"` (the fields listed).
    Json(Vec<Extraction>),
    /// `| logfmt [--strict] [--keep-empty] [fields]`.
    Logfmt(Logfmt),
    /// `| regexp "(?P<name>…)"`: named groups become labels.
    Regexp(String),
    /// `| pattern "<ip> - <_> <status>"`: captures become labels.
    Pattern(String),
    /// `| unpack`: Promtail's packed JSON.
    Unpack,
    /// `| a="b" and c > 5`.
    LabelFilter(LabelFilter),
    /// `| line_format "{{.a}}"`: a Go template replacing the line.
    LineFormat(String),
    /// `| label_format a=b, c="{{.d}}"`.
    LabelFormat(Vec<LabelFormat>),
    /// `| decolorize`: strips ANSI colour sequences.
    Decolorize,
    /// `| drop a, b="v"`.
    Drop(Vec<LabelSelection>),
    /// `| keep a, b="v"`.
    Keep(Vec<LabelSelection>),
}

/// How a line filter tests the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFilterOp {
    /// `|=`: the line contains the text.
    Contains,
    /// `!=`: the line does not contain the text.
    NotContains,
    /// `|~`: the regular expression matches somewhere in the line.
    Matches,
    /// `!~`: the regular expression matches nowhere in the line.
    NotMatches,
    /// `|>`: the whole line matches the pattern.
    PatternMatches,
    /// `!>`: the line does not match the pattern.
    PatternNotMatches,
}

impl LineFilterOp {
    /// Every operator with its text.
    pub const ALL: [(&'static str, LineFilterOp); 6] = [
        ("|=", LineFilterOp::Contains),
        ("!=", LineFilterOp::NotContains),
        ("|~", LineFilterOp::Matches),
        ("!~", LineFilterOp::NotMatches),
        ("|>", LineFilterOp::PatternMatches),
        ("!>", LineFilterOp::PatternNotMatches),
    ];

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        LineFilterOp::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(text, _)| text)
    }

    /// True for the negated operators, whose `or` alternatives all must fail.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            LineFilterOp::NotContains | LineFilterOp::NotMatches | LineFilterOp::PatternNotMatches
        )
    }
}

/// One line filter: an operator and the alternatives joined by `or`, which all share it.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFilter {
    /// The operator.
    pub op: LineFilterOp,
    /// The first value and those after each `or`.
    pub values: Vec<FilterValue>,
}

/// What a line filter looks for.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterValue {
    /// Text, a regular expression or a pattern, depending on the operator.
    Text(String),
    /// `ip("…")`: an address, a CIDR range or an address range found in the line.
    Ip(String),
}

/// One field a `json` or `logfmt` stage extracts.
#[derive(Clone, Debug, PartialEq)]
pub struct Extraction {
    /// The label it becomes.
    pub label: String,
    /// The path (`json`) or key (`logfmt`) written after `=`; `None` when the label name
    /// alone was written and is the path or key too.
    pub source: Option<String>,
}

/// `| logfmt [--strict] [--keep-empty] [fields]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logfmt {
    /// `--strict`: a malformed pair is an error instead of being skipped.
    pub strict: bool,
    /// `--keep-empty`: a key without a value becomes an empty label.
    pub keep_empty: bool,
    /// The fields to extract; empty for every field.
    pub fields: Vec<Extraction>,
}

/// A filter on labels (stream, structured metadata or parsed).
#[derive(Clone, Debug, PartialEq)]
pub enum LabelFilter {
    /// Both must hold: `a and b`, `a, b` or `a b`.
    And(Box<LabelFilter>, Box<LabelFilter>),
    /// Either holds: `a or b`.
    Or(Box<LabelFilter>, Box<LabelFilter>),
    /// `name op "value"` with `=`, `!=`, `=~`, `!~`.
    String(Matcher),
    /// `name = ip("…")` or `name != ip("…")`.
    Ip {
        /// The label.
        name: String,
        /// True for `!=`.
        negated: bool,
        /// The address, CIDR range or address range.
        pattern: String,
    },
    /// `name op number`.
    Number {
        /// The label.
        name: String,
        /// The comparison.
        op: CompareOp,
        /// The number.
        value: Number,
    },
    /// `name op duration`, the label read as a Go duration.
    Duration {
        /// The label.
        name: String,
        /// The comparison.
        op: CompareOp,
        /// The duration in nanoseconds.
        nanos: i64,
    },
    /// `name op bytes`, the label read as a byte size (`10MB`, `1.5KiB`).
    Bytes {
        /// The label.
        name: String,
        /// The comparison.
        op: CompareOp,
        /// The size in bytes.
        bytes: u64,
    },
}

/// Comparisons of typed label filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Neq,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
}

impl CompareOp {
    /// Every operator with its text, longest first; `=` is read as `==`.
    pub const ALL: [(&'static str, CompareOp); 7] = [
        ("==", CompareOp::Eq),
        ("!=", CompareOp::Neq),
        (">=", CompareOp::Gte),
        ("<=", CompareOp::Lte),
        (">", CompareOp::Gt),
        ("<", CompareOp::Lt),
        ("=", CompareOp::Eq),
    ];

    /// The operator as printed.
    pub fn as_str(self) -> &'static str {
        CompareOp::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(text, _)| text)
    }
}

/// One renaming or templated label of `label_format`.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelFormat {
    /// `dst=src`: the label `src` renamed to `dst`.
    Rename {
        /// New name.
        dst: String,
        /// Old name.
        src: String,
    },
    /// `dst="{{…}}"`: `dst` set to the template's output.
    Template {
        /// The label set.
        dst: String,
        /// The Go template.
        template: String,
    },
}

impl LabelFormat {
    /// The label this item sets.
    pub fn dst(&self) -> &str {
        match self {
            LabelFormat::Rename { dst, .. } | LabelFormat::Template { dst, .. } => dst,
        }
    }
}

/// One item of `drop` or `keep`: a label name, or a matcher that must also hold.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelSelection {
    /// The label, whatever its value.
    Name(String),
    /// The label when it matches.
    Matcher(Matcher),
}

/// How `unwrap` turns a label into a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// `unwrap x`: a float.
    Float,
    /// `unwrap bytes(x)`: a byte size.
    Bytes,
    /// `unwrap duration(x)`: a Go duration, in seconds.
    Duration,
    /// `unwrap duration_seconds(x)`: the same as `duration`.
    DurationSeconds,
}

impl Conversion {
    /// The function name, or `None` for a plain float.
    pub fn function(self) -> Option<&'static str> {
        match self {
            Conversion::Float => None,
            Conversion::Bytes => Some("bytes"),
            Conversion::Duration => Some("duration"),
            Conversion::DurationSeconds => Some("duration_seconds"),
        }
    }
}

/// `| unwrap [conversion(]label[)]` and the label filters after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Unwrap {
    /// The label whose value becomes the sample.
    pub label: String,
    /// How the value is read.
    pub conversion: Conversion,
    /// Label filters after the unwrap (`| __error__=""`).
    pub filters: Vec<LabelFilter>,
}

/// The lines of a log query over a range, as a range aggregation takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRange {
    /// The selector and pipeline.
    pub log: LogExpr,
    /// The unwrapped label, for the aggregations over values.
    pub unwrap: Option<Unwrap>,
    /// The range, in nanoseconds.
    pub range_nanos: i64,
    /// The offset, in nanoseconds (negative looks ahead).
    pub offset_nanos: i64,
}

/// Functions over a range of lines or unwrapped values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeOp {
    /// `count_over_time`
    CountOverTime,
    /// `rate`
    Rate,
    /// `rate_counter`
    RateCounter,
    /// `bytes_over_time`
    BytesOverTime,
    /// `bytes_rate`
    BytesRate,
    /// `avg_over_time`
    AvgOverTime,
    /// `sum_over_time`
    SumOverTime,
    /// `min_over_time`
    MinOverTime,
    /// `max_over_time`
    MaxOverTime,
    /// `stdvar_over_time`
    StdvarOverTime,
    /// `stddev_over_time`
    StddevOverTime,
    /// `quantile_over_time`
    QuantileOverTime,
    /// `first_over_time`
    FirstOverTime,
    /// `last_over_time`
    LastOverTime,
    /// `absent_over_time`
    AbsentOverTime,
}

impl RangeOp {
    /// Every function with its name.
    pub const ALL: [(&'static str, RangeOp); 15] = [
        ("count_over_time", RangeOp::CountOverTime),
        ("rate", RangeOp::Rate),
        ("rate_counter", RangeOp::RateCounter),
        ("bytes_over_time", RangeOp::BytesOverTime),
        ("bytes_rate", RangeOp::BytesRate),
        ("avg_over_time", RangeOp::AvgOverTime),
        ("sum_over_time", RangeOp::SumOverTime),
        ("min_over_time", RangeOp::MinOverTime),
        ("max_over_time", RangeOp::MaxOverTime),
        ("stdvar_over_time", RangeOp::StdvarOverTime),
        ("stddev_over_time", RangeOp::StddevOverTime),
        ("quantile_over_time", RangeOp::QuantileOverTime),
        ("first_over_time", RangeOp::FirstOverTime),
        ("last_over_time", RangeOp::LastOverTime),
        ("absent_over_time", RangeOp::AbsentOverTime),
    ];

    /// The function named `name`.
    pub fn from_name(name: &str) -> Option<RangeOp> {
        RangeOp::ALL.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }

    /// The function's name.
    pub fn as_str(self) -> &'static str {
        RangeOp::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(name, _)| name)
    }

    /// Whether the function takes unwrapped values (`Some(true)`), lines (`Some(false)`)
    /// or either (`None`: `rate`, and `absent_over_time`).
    pub fn needs_unwrap(self) -> Option<bool> {
        match self {
            RangeOp::Rate | RangeOp::AbsentOverTime => None,
            RangeOp::CountOverTime | RangeOp::BytesOverTime | RangeOp::BytesRate => Some(false),
            _ => Some(true),
        }
    }

    /// True for the functions that accept `by`/`without`: those over unwrapped values
    /// that reduce them to a statistic.
    pub fn allows_grouping(self) -> bool {
        matches!(
            self,
            RangeOp::AvgOverTime
                | RangeOp::MinOverTime
                | RangeOp::MaxOverTime
                | RangeOp::StdvarOverTime
                | RangeOp::StddevOverTime
                | RangeOp::QuantileOverTime
                | RangeOp::FirstOverTime
                | RangeOp::LastOverTime
        )
    }
}

/// `op([param,] log_range) [grouping]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeAggregation {
    /// The function.
    pub op: RangeOp,
    /// The φ of `quantile_over_time`.
    pub param: Option<Number>,
    /// The lines (or values) over the range.
    pub range: LogRange,
    /// `by`/`without`, where the function allows it.
    pub grouping: Option<Grouping>,
    /// Where it is.
    pub span: Span,
}

/// Aggregations across series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorOp {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `count`
    Count,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk`
    Topk,
    /// `bottomk`
    Bottomk,
    /// `sort`
    Sort,
    /// `sort_desc`
    SortDesc,
    /// `approx_topk`
    ApproxTopk,
}

impl VectorOp {
    /// Every aggregation with its name.
    pub const ALL: [(&'static str, VectorOp); 12] = [
        ("sum", VectorOp::Sum),
        ("avg", VectorOp::Avg),
        ("min", VectorOp::Min),
        ("max", VectorOp::Max),
        ("count", VectorOp::Count),
        ("stddev", VectorOp::Stddev),
        ("stdvar", VectorOp::Stdvar),
        ("topk", VectorOp::Topk),
        ("bottomk", VectorOp::Bottomk),
        ("sort", VectorOp::Sort),
        ("sort_desc", VectorOp::SortDesc),
        ("approx_topk", VectorOp::ApproxTopk),
    ];

    /// The aggregation named `name`.
    pub fn from_name(name: &str) -> Option<VectorOp> {
        VectorOp::ALL.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }

    /// The aggregation's name.
    pub fn as_str(self) -> &'static str {
        VectorOp::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(name, _)| name)
    }

    /// True for the aggregations that take a count `k` first.
    pub fn takes_k(self) -> bool {
        matches!(self, VectorOp::Topk | VectorOp::Bottomk | VectorOp::ApproxTopk)
    }

    /// True for the aggregations that accept `by`/`without`.
    pub fn allows_grouping(self) -> bool {
        !matches!(self, VectorOp::Sort | VectorOp::SortDesc | VectorOp::ApproxTopk)
    }
}

/// `op [grouping] ([k,] expr) [grouping]`.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorAggregation {
    /// The aggregation.
    pub op: VectorOp,
    /// The `k` of `topk`, `bottomk` and `approx_topk`.
    pub param: Option<Number>,
    /// The aggregated expression.
    pub expr: Box<Expr>,
    /// `by`/`without`, written before or after the parentheses.
    pub grouping: Option<Grouping>,
    /// Where it is.
    pub span: Span,
}

/// `lhs op [bool] [on|ignoring (…) [group_left|group_right (…)]] rhs`.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinOp,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// `bool`: comparisons give 0 or 1 instead of filtering.
    pub return_bool: bool,
    /// How the series of both sides pair up.
    pub matching: VectorMatching,
    /// Where it is.
    pub span: Span,
}

/// `label_replace(expr, "dst", "replacement", "src", "regex")`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelReplace {
    /// The expression whose series are relabelled.
    pub expr: Box<Expr>,
    /// The label written.
    pub dst: String,
    /// The replacement, with `$1`-style references to the regex's groups.
    pub replacement: String,
    /// The label read.
    pub src: String,
    /// The regular expression, anchored at both ends.
    pub regex: String,
    /// Where it is.
    pub span: Span,
}
