//! The PromQL abstract syntax tree.
//!
//! Every node carries a [`Span`] into the query text. Spans do not take part in equality:
//! two trees are equal when they mean the same query, so `parse(print(ast)) == ast` holds
//! even though printing moves text around.

pub use super::duration_expr::DurationExpr;
use parquetry_model::Matcher;
use std::fmt;

/// A byte range `[start, end)` of the query text.
#[derive(Clone, Copy, Debug, Default, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl PartialEq for Span {
    /// Always true: positions are not part of a query's meaning.
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Span {
    /// The span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A float that compares by bits, so that NaN literals compare equal to themselves.
#[derive(Clone, Copy, Debug)]
pub struct Number(pub f64);

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.0.to_bits() == other.0.to_bits() || (self.0.is_nan() && other.0.is_nan())
    }
}

/// The type an expression evaluates to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A single number.
    Scalar,
    /// One sample per series.
    Vector,
    /// A window of samples per series.
    Matrix,
    /// A string.
    String,
}

impl fmt::Display for ValueType {
    /// The names Prometheus uses in its messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
            ValueType::String => "string",
        })
    }
}

/// A PromQL expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number; `duration` records that it was written as a duration (`5m` is 300).
    Number {
        /// The value (seconds, for durations).
        value: Number,
        /// Written as a duration literal.
        duration: bool,
        /// Where it is.
        span: Span,
    },
    /// A string literal.
    String {
        /// The unescaped text.
        value: String,
        /// Where it is.
        span: Span,
    },
    /// `name{…}` with its modifiers.
    VectorSelector(VectorSelector),
    /// `name{…}[range]` with its modifiers.
    MatrixSelector(MatrixSelector),
    /// `expr[range:step]`.
    Subquery(Subquery),
    /// `(expr)`.
    Paren {
        /// The inner expression.
        expr: Box<Expr>,
        /// Where it is, parentheses included.
        span: Span,
    },
    /// `-expr` or `+expr`.
    Unary {
        /// True for `-`.
        negate: bool,
        /// The operand.
        expr: Box<Expr>,
        /// Where it is.
        span: Span,
    },
    /// `lhs op rhs`.
    Binary(BinaryExpr),
    /// `sum by (…) (…)` and the other aggregations.
    Aggregate(AggregateExpr),
    /// `function(args…)`.
    Call(Call),
}

impl Expr {
    /// Where the expression is in the query text.
    pub fn span(&self) -> Span {
        match self {
            Expr::Number { span, .. }
            | Expr::String { span, .. }
            | Expr::Paren { span, .. }
            | Expr::Unary { span, .. } => *span,
            Expr::VectorSelector(v) => v.span,
            Expr::MatrixSelector(m) => m.span,
            Expr::Subquery(s) => s.span,
            Expr::Binary(b) => b.span,
            Expr::Aggregate(a) => a.span,
            Expr::Call(c) => c.span,
        }
    }

    /// The type the expression evaluates to.
    pub fn value_type(&self) -> ValueType {
        match self {
            Expr::Number { .. } => ValueType::Scalar,
            Expr::String { .. } => ValueType::String,
            Expr::VectorSelector(_) | Expr::Aggregate(_) => ValueType::Vector,
            Expr::MatrixSelector(_) | Expr::Subquery(_) => ValueType::Matrix,
            Expr::Paren { expr, .. } | Expr::Unary { expr, .. } => expr.value_type(),
            Expr::Binary(b) => {
                if b.lhs.value_type() == ValueType::Scalar && b.rhs.value_type() == ValueType::Scalar {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            Expr::Call(c) => c.func.returns,
        }
    }
}

/// The time an `@` modifier pins evaluation to.
#[derive(Clone, Debug, PartialEq)]
pub enum At {
    /// `@ <seconds>`, kept in milliseconds.
    Timestamp(i64),
    /// `@ start()`.
    Start,
    /// `@ end()`.
    End,
}

/// How a range selector treats the edges of its window (experimental).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RangeMode {
    /// Prometheus' default: samples inside the window only.
    #[default]
    Default,
    /// `anchored`: the window is anchored to samples at or before its start.
    Anchored,
    /// `smoothed`: values at the window edges are interpolated.
    Smoothed,
}

/// Modifiers that shift or pin a selector or subquery in time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeModifiers {
    /// `offset <duration>`; negative offsets look ahead.
    pub offset: Option<DurationExpr>,
    /// `@ <time>`.
    pub at: Option<At>,
}

/// `name{matchers}` with modifiers.
#[derive(Clone, Debug)]
pub struct VectorSelector {
    /// The metric name when written as a name (outside or quoted inside the braces).
    pub name: Option<String>,
    /// Every matcher, an `__name__` equality first when `name` is set.
    pub matchers: Vec<Matcher>,
    /// `offset` and `@`.
    pub modifiers: TimeModifiers,
    /// `anchored` / `smoothed`.
    pub mode: RangeMode,
    /// Where it is, modifiers included.
    pub span: Span,
}

impl PartialEq for VectorSelector {
    /// Equal when they select the same: the matchers' order is not part of a selector's
    /// meaning (Prometheus prints them sorted).
    fn eq(&self, other: &VectorSelector) -> bool {
        fn sorted(v: &VectorSelector) -> Vec<(&str, &str, &str)> {
            let mut keys: Vec<(&str, &str, &str)> = v
                .matchers
                .iter()
                .map(|m| (m.name.as_str(), m.op.as_str(), m.value.as_str()))
                .collect();
            keys.sort_unstable();
            keys
        }
        self.name == other.name
            && self.modifiers == other.modifiers
            && self.mode == other.mode
            && sorted(self) == sorted(other)
    }
}

/// `selector[range]`.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixSelector {
    /// The selector; its modifiers apply to the whole range selector.
    pub selector: VectorSelector,
    /// The window length.
    pub range: DurationExpr,
    /// Where it is.
    pub span: Span,
}

/// `expr[range:step]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Subquery {
    /// The inner instant-vector expression.
    pub expr: Box<Expr>,
    /// The window length.
    pub range: DurationExpr,
    /// The resolution; the engine default (1 minute) when absent.
    pub step: Option<DurationExpr>,
    /// `offset` and `@`.
    pub modifiers: TimeModifiers,
    /// Where it is.
    pub span: Span,
}

/// Binary operators, in PromQL's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
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
    /// `atan2`
    Atan2,
    /// `==`
    Eql,
    /// `!=`
    Neq,
    /// `<`
    Lss,
    /// `<=`
    Lte,
    /// `>`
    Gtr,
    /// `>=`
    Gte,
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
    /// `</`: trims native-histogram buckets above the right-hand value (experimental).
    TrimUpper,
    /// `>/`: trims native-histogram buckets below the right-hand value (experimental).
    TrimLower,
}

impl BinOp {
    /// Every operator with its text, longest texts first so prefixes do not shadow them.
    pub const ALL: [(&'static str, BinOp); 18] = [
        ("</", BinOp::TrimUpper),
        (">/", BinOp::TrimLower),
        ("==", BinOp::Eql),
        ("!=", BinOp::Neq),
        ("<=", BinOp::Lte),
        (">=", BinOp::Gte),
        ("<", BinOp::Lss),
        (">", BinOp::Gtr),
        ("+", BinOp::Add),
        ("-", BinOp::Sub),
        ("*", BinOp::Mul),
        ("/", BinOp::Div),
        ("%", BinOp::Mod),
        ("^", BinOp::Pow),
        ("atan2", BinOp::Atan2),
        ("and", BinOp::And),
        ("or", BinOp::Or),
        ("unless", BinOp::Unless),
    ];

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        BinOp::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(s, _)| *s)
            .unwrap_or("?")
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And | BinOp::Unless => 2,
            BinOp::Eql | BinOp::Neq | BinOp::Lss | BinOp::Lte | BinOp::Gtr | BinOp::Gte => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Atan2 | BinOp::TrimUpper | BinOp::TrimLower => 5,
            BinOp::Pow => 6,
        }
    }

    /// True for `^`, the only right-associative operator.
    pub fn right_associative(self) -> bool {
        self == BinOp::Pow
    }

    /// The least precedence an operator in this one's right operand must have to bind
    /// inside it: its own for a right-associative operator, one more otherwise.
    pub fn right_operand_precedence(self) -> u8 {
        if self.right_associative() {
            self.precedence()
        } else {
            self.precedence() + 1
        }
    }

    /// True for the comparison operators.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eql | BinOp::Neq | BinOp::Lss | BinOp::Lte | BinOp::Gtr | BinOp::Gte
        )
    }

    /// True for `and`, `or`, `unless`.
    pub fn is_set_operator(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Unless)
    }
}

/// How the series of two vectors are paired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cardinality {
    /// Each series matches at most one on the other side.
    #[default]
    OneToOne,
    /// `group_left`: many on the left to one on the right.
    ManyToOne,
    /// `group_right`: one on the left to many on the right.
    OneToMany,
    /// Set operators.
    ManyToMany,
}

/// `on(…)`/`ignoring(…)` and `group_left(…)`/`group_right(…)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VectorMatching {
    /// Pairing cardinality.
    pub card: Cardinality,
    /// True for `on`, false for `ignoring` (or nothing written).
    pub on: bool,
    /// The labels in `on(…)` or `ignoring(…)`.
    pub labels: Vec<String>,
    /// The extra labels of `group_left(…)`/`group_right(…)`.
    pub include: Vec<String>,
}

/// Values that fill in for a missing side of a binary operation (experimental).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fill {
    /// `fill_left(v)` (or `fill(v)`): value for series missing on the left.
    pub left: Option<Number>,
    /// `fill_right(v)` (or `fill(v)`): value for series missing on the right.
    pub right: Option<Number>,
}

/// `lhs op [bool] [matching] [fill] rhs`.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinOp,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// `bool`: comparisons return 0/1 instead of filtering.
    pub return_bool: bool,
    /// How series are paired.
    pub matching: VectorMatching,
    /// Fill values.
    pub fill: Fill,
    /// Where it is.
    pub span: Span,
}

/// Aggregation operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggOp {
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
    /// `group`
    Group,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `quantile(φ, v)`
    Quantile,
    /// `topk(k, v)`
    Topk,
    /// `bottomk(k, v)`
    Bottomk,
    /// `count_values("label", v)`
    CountValues,
    /// `limitk(k, v)` (experimental)
    Limitk,
    /// `limit_ratio(r, v)` (experimental)
    LimitRatio,
}

impl AggOp {
    /// Every aggregation with its name.
    pub const ALL: [(&'static str, AggOp); 14] = [
        ("sum", AggOp::Sum),
        ("avg", AggOp::Avg),
        ("min", AggOp::Min),
        ("max", AggOp::Max),
        ("count", AggOp::Count),
        ("group", AggOp::Group),
        ("stddev", AggOp::Stddev),
        ("stdvar", AggOp::Stdvar),
        ("quantile", AggOp::Quantile),
        ("topk", AggOp::Topk),
        ("bottomk", AggOp::Bottomk),
        ("count_values", AggOp::CountValues),
        ("limitk", AggOp::Limitk),
        ("limit_ratio", AggOp::LimitRatio),
    ];

    /// The aggregation named `name` (any case).
    pub fn from_name(name: &str) -> Option<AggOp> {
        AggOp::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        AggOp::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(s, _)| *s)
            .unwrap_or("?")
    }

    /// The type of the parameter, for the parameterised aggregations.
    pub fn param_type(self) -> Option<ValueType> {
        match self {
            AggOp::Quantile | AggOp::Topk | AggOp::Bottomk | AggOp::Limitk | AggOp::LimitRatio => {
                Some(ValueType::Scalar)
            }
            AggOp::CountValues => Some(ValueType::String),
            _ => None,
        }
    }

    /// True for the experimental aggregations.
    pub fn experimental(self) -> bool {
        matches!(self, AggOp::Limitk | AggOp::LimitRatio)
    }
}

/// Which labels an aggregation keeps.
#[derive(Clone, Debug, PartialEq)]
pub enum Grouping {
    /// `by (labels)`; `by ()` (or nothing) aggregates everything into one series.
    By(Vec<String>),
    /// `without (labels)`.
    Without(Vec<String>),
}

impl Default for Grouping {
    fn default() -> Self {
        Grouping::By(Vec::new())
    }
}

/// `op [grouping] ([param,] expr)`.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateExpr {
    /// The aggregation.
    pub op: AggOp,
    /// The parameter of `topk`, `quantile`, `count_values`, ….
    pub param: Option<Box<Expr>>,
    /// The aggregated expression.
    pub expr: Box<Expr>,
    /// `by`/`without`.
    pub grouping: Grouping,
    /// Where it is.
    pub span: Span,
}

/// `function(args…)`.
#[derive(Clone, Debug)]
pub struct Call {
    /// The function.
    pub func: &'static super::functions::Function,
    /// The arguments.
    pub args: Vec<Expr>,
    /// Where it is.
    pub span: Span,
}

impl PartialEq for Call {
    fn eq(&self, other: &Call) -> bool {
        self.func.name == other.func.name && self.args == other.args
    }
}
