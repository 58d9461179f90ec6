//! Choosing the traces worth decoding from a few columns. A query states what a trace
//! must hold to possibly answer it, as [`TraceNeeds`]: conditions on stored columns, each
//! to be met by some span of the trace. The reader then reads only those columns and
//! the trace ids, and decodes whole rows only of the traces that meet every need (see
//! [`crate::SpanStore::for_each_trace`]).
//!
//! A condition may keep more traces than the query will answer with, never fewer: a
//! promoted column that does not hold every value of its key in a file (see
//! [`crate::schema::UNPROMOTED_METADATA`]) is taken to pass everywhere in that file.

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use arrow::record_batch::RecordBatch;
use std::fmt;
use std::sync::Arc;

/// A test of a text column's value; `None` where the column is null.
pub type TextTest = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;

/// A test of an integer column's value; `None` where the column is null.
pub type NumberTest = Arc<dyn Fn(Option<i64>) -> bool + Send + Sync>;

/// A condition on one span's stored columns.
#[derive(Clone)]
pub enum SpanCondition {
    /// The text column (`name`, `status_message` or a promoted string column) passes
    /// the test.
    Text(&'static str, TextTest),
    /// The integer column (`kind`, `status_code`, `duration_ns` or a promoted integer
    /// column) passes the test.
    Number(&'static str, NumberTest),
    /// The integer column's value is not null and lies in the range (when `inside`) or
    /// outside it: a [`SpanCondition::Number`] for the common comparisons with a
    /// constant, tested without a call per row.
    IntRange {
        /// The column.
        column: &'static str,
        /// The values, both ends included (empty when the start is past the end).
        range: std::ops::RangeInclusive<i64>,
        /// Whether a value passes inside the range or outside it.
        inside: bool,
    },
    /// Every condition holds.
    All(Vec<SpanCondition>),
    /// Some condition holds.
    Any(Vec<SpanCondition>),
}

impl fmt::Debug for SpanCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpanCondition::Text(c, _) => write!(f, "Text({c})"),
            SpanCondition::Number(c, _) => write!(f, "Number({c})"),
            SpanCondition::IntRange {
                column,
                range,
                inside,
            } => {
                write!(
                    f,
                    "IntRange({column} {} {range:?})",
                    if *inside { "in" } else { "not in" }
                )
            }
            SpanCondition::All(cs) => f.debug_tuple("All").field(cs).finish(),
            SpanCondition::Any(cs) => f.debug_tuple("Any").field(cs).finish(),
        }
    }
}

/// A comparison of an integer column's value with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntComparison {
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
}

impl IntComparison {
    /// The comparison with its sides swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> IntComparison {
        use IntComparison::*;
        match self {
            Lt => Gt,
            Le => Ge,
            Gt => Lt,
            Ge => Le,
            same => same,
        }
    }
}

impl SpanCondition {
    /// `column op n` as a [`SpanCondition::IntRange`]: a null never passes.
    pub fn int_comparison(column: &'static str, op: IntComparison, n: i64) -> SpanCondition {
        use IntComparison::*;
        let (range, inside) = match op {
            Eq => (n..=n, true),
            Ne => (n..=n, false),
            // Below `n`: not in `n` and above (no bound past the ends of i64).
            Lt => (n..=i64::MAX, false),
            Le => (i64::MIN..=n, true),
            Gt => (i64::MIN..=n, false),
            Ge => (n..=i64::MAX, true),
        };
        SpanCondition::IntRange {
            column,
            range,
            inside,
        }
    }
}

/// What a trace must hold to be decoded: for each condition, some span meeting it (not
/// necessarily the same span for every condition). With no conditions, every trace is.
#[derive(Clone, Debug, Default)]
pub struct TraceNeeds(pub Vec<SpanCondition>);

impl TraceNeeds {
    /// True when every trace is needed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text columns the conditions read, each once, in no particular order.
    pub fn text_columns(&self) -> Vec<&'static str> {
        self.each_once(SpanCondition::text_columns)
    }

    /// The columns the conditions read, each once, in no particular order.
    pub fn columns(&self) -> Vec<&'static str> {
        self.each_once(SpanCondition::columns)
    }

    /// What `add` gathers from every condition, without repeats.
    fn each_once(&self, add: impl Fn(&SpanCondition, &mut Vec<&'static str>)) -> Vec<&'static str> {
        let mut out = Vec::new();
        for c in &self.0 {
            add(c, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl SpanCondition {
    fn text_columns(&self, out: &mut Vec<&'static str>) {
        match self {
            SpanCondition::Text(c, _) => out.push(c),
            SpanCondition::Number(..) | SpanCondition::IntRange { .. } => {}
            SpanCondition::All(cs) | SpanCondition::Any(cs) => {
                for c in cs {
                    c.text_columns(out);
                }
            }
        }
    }

    fn columns(&self, out: &mut Vec<&'static str>) {
        match self {
            SpanCondition::Text(c, _)
            | SpanCondition::Number(c, _)
            | SpanCondition::IntRange { column: c, .. } => out.push(c),
            SpanCondition::All(cs) | SpanCondition::Any(cs) => {
                for c in cs {
                    c.columns(out);
                }
            }
        }
    }

    /// For each row of `batch` (which holds the columns the condition reads), whether the
    /// condition may hold. A column in `untrusted`, or missing from `batch`, passes.
    pub fn eval(&self, batch: &RecordBatch, untrusted: &[&str]) -> Vec<bool> {
        let rows = batch.num_rows();
        match self {
            SpanCondition::Text(column, _) if untrusted.contains(column) => vec![true; rows],
            SpanCondition::Text(column, test) if let Some(dictionary) = text_dictionary(batch, column) => {
                // Each distinct value is tested once.
                let (keys, values) = dictionary;
                let answers: Vec<bool> = values.iter().map(|v| test(v)).collect();
                let null = test(None);
                keys.iter()
                    .map(|k| k.and_then(|k| answers.get(k as usize).copied()).unwrap_or(null))
                    .collect()
            }
            SpanCondition::Text(column, test) => match trusted(batch, column, untrusted, DataType::Utf8) {
                Some(array) => {
                    let text = array.as_string::<i32>();
                    memoized(rows, |i| text.is_valid(i).then(|| text.value(i)), |v| test(v))
                }
                None => vec![true; rows],
            },
            SpanCondition::Number(column, test) => match trusted(batch, column, untrusted, DataType::Int64) {
                Some(array) => {
                    let numbers = array.as_primitive::<Int64Type>();
                    memoized(
                        rows,
                        |i| numbers.is_valid(i).then(|| numbers.value(i)),
                        |v| test(v),
                    )
                }
                None => vec![true; rows],
            },
            SpanCondition::IntRange {
                column,
                range,
                inside,
            } => match trusted(batch, column, untrusted, DataType::Int64) {
                Some(array) => {
                    let numbers = array.as_primitive::<Int64Type>();
                    let mut out: Vec<bool> = numbers
                        .values()
                        .iter()
                        .map(|v| range.contains(v) == *inside)
                        .collect();
                    if let Some(nulls) = numbers.nulls() {
                        for (o, valid) in out.iter_mut().zip(nulls.iter()) {
                            *o &= valid;
                        }
                    }
                    out
                }
                None => vec![true; rows],
            },
            SpanCondition::All(cs) => {
                let mut out = vec![true; rows];
                for c in cs {
                    for (o, m) in out.iter_mut().zip(c.eval(batch, untrusted)) {
                        *o &= m;
                    }
                }
                out
            }
            SpanCondition::Any(cs) => {
                let mut out = vec![false; rows];
                for c in cs {
                    for (o, m) in out.iter_mut().zip(c.eval(batch, untrusted)) {
                        *o |= m;
                    }
                }
                out
            }
        }
    }
}

/// `test` of the value of each of `rows` rows: a row holding the value of the row before
/// (as stored columns often do: statuses, kinds, a trace's service) reuses its answer.
fn memoized<T: PartialEq + Copy>(
    rows: usize,
    value: impl Fn(usize) -> T,
    test: impl Fn(T) -> bool,
) -> Vec<bool> {
    let mut out = Vec::with_capacity(rows);
    let mut last: Option<(T, bool)> = None;
    for i in 0..rows {
        let v = value(i);
        let answer = match last {
            Some((seen, answer)) if seen == v => answer,
            _ => test(v),
        };
        last = Some((v, answer));
        out.push(answer);
    }
    out
}

/// The keys and values of the column `column` of `batch` when it is read as a
/// dictionary of text.
fn text_dictionary<'b>(batch: &'b RecordBatch, column: &str) -> Option<(&'b Int32Array, &'b StringArray)> {
    let dictionary = batch.column_by_name(column)?.as_dictionary_opt::<Int32Type>()?;
    Some((dictionary.keys(), dictionary.values().as_string_opt::<i32>()?))
}

/// The column `column` of `batch` as type `ty`; `None` when it is untrusted, missing or
/// of a type that does not cast.
fn trusted(batch: &RecordBatch, column: &str, untrusted: &[&str], ty: DataType) -> Option<ArrayRef> {
    if untrusted.contains(&column) {
        return None;
    }
    cast(batch.column_by_name(column)?, &ty).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int8Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    fn batch() -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("status_code", DataType::Int8, false),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec![Some("GET"), None, Some("POST")])),
                Arc::new(Int8Array::from(vec![2, 2, 0])),
            ],
        )
        .unwrap()
    }

    fn get_or_none() -> SpanCondition {
        SpanCondition::Text("name", Arc::new(|s| s.is_none_or(|s| s == "GET")))
    }

    #[test]
    fn conditions_combine_per_row_and_see_nulls() {
        let get = SpanCondition::Text("name", Arc::new(|s| s == Some("GET")));
        let error = SpanCondition::Number("status_code", Arc::new(|n| n == Some(2)));
        let b = batch();
        assert_eq!(get.eval(&b, &[]), [true, false, false]);
        assert_eq!(
            SpanCondition::All(vec![get.clone(), error.clone()]).eval(&b, &[]),
            [true, false, false]
        );
        assert_eq!(
            SpanCondition::Any(vec![get.clone(), error]).eval(&b, &[]),
            [true, true, false]
        );
        let needs = TraceNeeds(vec![get.clone(), get]);
        assert_eq!(needs.columns(), ["name"]);
        let unnamed = SpanCondition::Text("name", Arc::new(|s| s.is_none()));
        assert_eq!(unnamed.eval(&b, &[]), [false, true, false]);
        let range = |range, inside| SpanCondition::IntRange {
            column: "status_code",
            range,
            inside,
        };
        assert_eq!(range(1..=2, true).eval(&b, &[]), [true, true, false]);
        assert_eq!(range(1..=2, false).eval(&b, &[]), [false, false, true]);
        assert_eq!(range(1..=2, true).eval(&b, &["status_code"]), [true, true, true]);
        let names: arrow::array::DictionaryArray<Int32Type> =
            vec![Some("GET"), None, Some("POST"), Some("GET")]
                .into_iter()
                .collect();
        let schema = Schema::new(vec![Field::new("name", names.data_type().clone(), true)]);
        let dictionary = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(names)]).unwrap();
        assert_eq!(get_or_none().eval(&dictionary, &[]), [true, true, false, true]);
        assert_eq!(
            get_or_none().eval(&dictionary, &["name"]),
            [true, true, true, true]
        );
        use IntComparison::*;
        for (op, n, want) in [
            (Eq, 2, [true, true, false]),
            (Ne, 2, [false, false, true]),
            (Lt, 2, [false, false, true]),
            (Le, 2, [true, true, true]),
            (Gt, 0, [true, true, false]),
            (Ge, 2, [true, true, false]),
            (Lt, i64::MIN, [false, false, false]),
            (Gt, i64::MAX, [false, false, false]),
        ] {
            let c = SpanCondition::int_comparison("status_code", op, n);
            assert_eq!(c.eval(&b, &[]), want, "{op:?} {n}");
        }
    }

    #[test]
    fn untrusted_and_missing_columns_pass() {
        let b = batch();
        let get = SpanCondition::Text("name", Arc::new(|s| s == Some("GET")));
        assert_eq!(get.eval(&b, &["name"]), [true; 3]);
        let error = SpanCondition::Number("status_code", Arc::new(|n| n == Some(2)));
        assert_eq!(error.eval(&b, &["status_code"]), [true; 3]);
        let route = SpanCondition::Text("http_route", Arc::new(|_| false));
        assert_eq!(route.eval(&b, &[]), [true; 3]);
    }
}
