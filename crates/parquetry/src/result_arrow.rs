//! PromQL results as Arrow tables, in the two shapes analysis tools want:
//!
//! * **long** ([`long_table`]): one row per point — `timestamp`, `value`, `metric`, then one
//!   dictionary-encoded column per label name, so a million points convert to pandas or
//!   polars without a Python string per row;
//! * **wide** ([`wide_table`]): one row per timestamp and one `value` column per series,
//!   named by the series' labels (`up{job="api"}`), null where a series has no point.

use arrow::array::BooleanBufferBuilder;
use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Float64Builder, Int32Array, StringArray,
    TimestampMillisecondArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquetry_model::{Labels, METRIC_NAME};
use parquetry_promql::eval::{QueryResult, ResultSeries};
use parquetry_store::SeriesInfo;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The columns every long table starts with; labels of these names get a `label_` prefix.
const FIXED_COLUMNS: [&str; 3] = ["timestamp", "value", "metric"];

/// The type of the `timestamp` columns: milliseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The series of a result with their points; a scalar is one series without labels.
/// A string result has no series (see [`long_table`]).
pub fn result_series(result: &QueryResult) -> std::borrow::Cow<'_, [ResultSeries]> {
    match result {
        QueryResult::Vector(s) | QueryResult::Range(s) => std::borrow::Cow::Borrowed(s.as_slice()),
        QueryResult::Scalar(points) => std::borrow::Cow::Owned(vec![ResultSeries {
            labels: Labels::empty(),
            points: points.clone(),
        }]),
        QueryResult::String(_) => std::borrow::Cow::Owned(Vec::new()),
    }
}

/// The result as one batch, a row per point in series order then time order. A string
/// result is one row whose `value` column is a string.
pub fn long_table(result: &QueryResult) -> Result<RecordBatch, ArrowError> {
    if let QueryResult::String(s) = result {
        let schema = Schema::new(vec![Field::new("value", DataType::Utf8, false)]);
        return RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(StringArray::from(vec![s.as_str()]))],
        );
    }
    let series = result_series(result);
    let rows: usize = series.iter().map(|s| s.points.len()).sum();
    let mut times = Vec::with_capacity(rows);
    let mut values = Vec::with_capacity(rows);
    for s in series.iter() {
        times.extend(s.points.iter().map(|p| p.0));
        values.extend(s.points.iter().map(|p| p.1));
    }
    let mut fields = vec![
        Field::new("timestamp", timestamp_type(), false),
        Field::new("value", DataType::Float64, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMillisecondArray::from(times).with_timezone("UTC")),
        Arc::new(Float64Array::from(values)),
    ];
    let rows: Vec<(&Labels, usize)> = series.iter().map(|s| (&s.labels, s.points.len())).collect();
    push_label_columns(&rows, &mut fields, &mut columns);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Appends a dictionary column per label name of `rows` (label set, rows it spans).
fn push_label_columns(rows: &[(&Labels, usize)], fields: &mut Vec<Field>, columns: &mut Vec<ArrayRef>) {
    for (column, label) in label_columns(rows) {
        fields.push(Field::new(column, dictionary_type(), true));
        columns.push(Arc::new(label_column(rows, &label)));
    }
}

/// `(column name, label name)` for every label of the rows: `__name__` first as `metric`,
/// then the others in name order, renamed where they collide with a fixed column.
fn label_columns(rows: &[(&Labels, usize)]) -> Vec<(String, String)> {
    let names: BTreeSet<&str> = rows
        .iter()
        .flat_map(|(labels, _)| labels.iter().map(|l| l.name.as_str()))
        .collect();
    let mut out = Vec::with_capacity(names.len());
    if names.contains(METRIC_NAME) {
        out.push(("metric".to_string(), METRIC_NAME.to_string()));
    }
    let mut taken: BTreeSet<String> = FIXED_COLUMNS.iter().map(|s| s.to_string()).collect();
    taken.extend(names.iter().map(|s| s.to_string()));
    for name in names.into_iter().filter(|n| *n != METRIC_NAME) {
        let mut column = name.to_string();
        if FIXED_COLUMNS.contains(&name) {
            column = format!("label_{name}");
            while taken.contains(&column) {
                column.insert_str(0, "label_");
            }
            taken.insert(column.clone());
        }
        out.push((column, name.to_string()));
    }
    out
}

/// One label's value on every row, as dictionary keys into the distinct values.
fn label_column(rows: &[(&Labels, usize)], label: &str) -> DictionaryArray<Int32Type> {
    let mut distinct: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, i32> = HashMap::new();
    let total: usize = rows.iter().map(|r| r.1).sum();
    // Keys as plain integers, with a validity bitmap only when some rows lack the label.
    let mut keys: Vec<i32> = Vec::with_capacity(total);
    let mut valid: Option<BooleanBufferBuilder> = None;
    for (labels, n) in rows {
        let key = labels.get(label).map(|v| {
            *index.entry(v).or_insert_with(|| {
                distinct.push(v);
                (distinct.len() - 1) as i32
            })
        });
        if key.is_none() && valid.is_none() {
            let mut bits = BooleanBufferBuilder::new(total);
            bits.append_n(keys.len(), true);
            valid = Some(bits);
        }
        if let Some(bits) = valid.as_mut() {
            bits.append_n(*n, key.is_some());
        }
        keys.resize(keys.len() + n, key.unwrap_or(0));
    }
    let nulls = valid.map(|mut bits| NullBuffer::new(bits.finish()));
    let keys = Int32Array::new(keys.into(), nulls);
    DictionaryArray::new(keys, Arc::new(StringArray::from(distinct)))
}

/// Series as one batch, a row each: `metric` and a dictionary column per label name (as in
/// [`long_table`]), then `min_time` and `max_time`, the times of their first and last
/// samples.
pub fn series_table(series: &[SeriesInfo]) -> Result<RecordBatch, ArrowError> {
    let rows: Vec<(&Labels, usize)> = series.iter().map(|s| (s.labels.as_ref(), 1)).collect();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    push_label_columns(&rows, &mut fields, &mut columns);
    let first: fn(&SeriesInfo) -> i64 = |s| s.min_time;
    let last: fn(&SeriesInfo) -> i64 = |s| s.max_time;
    for (name, time) in [("min_time", first), ("max_time", last)] {
        fields.push(Field::new(name, timestamp_type(), false));
        let times: Vec<i64> = series.iter().map(time).collect();
        columns.push(Arc::new(
            TimestampMillisecondArray::from(times).with_timezone("UTC"),
        ));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// The result as one batch with a `timestamp` column (every time any series has a point,
/// ascending) and a `Float64` column per series named by its labels (`{}` for a series
/// without labels). Two series never share a name: results have distinct label sets.
pub fn wide_table(result: &QueryResult) -> Result<RecordBatch, ArrowError> {
    if let QueryResult::String(_) = result {
        return long_table(result);
    }
    let series = result_series(result);
    let mut times: Vec<i64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    times.sort_unstable();
    times.dedup();
    let mut fields = vec![Field::new("timestamp", timestamp_type(), false)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(
        TimestampMillisecondArray::from(times.clone()).with_timezone("UTC"),
    )];
    for s in series.iter() {
        fields.push(Field::new(s.labels.to_string(), DataType::Float64, true));
        columns.push(Arc::new(aligned(&s.points, &times)));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// The points' values at `times` (a sorted superset of the points' times), null elsewhere.
fn aligned(points: &[(i64, f64)], times: &[i64]) -> Float64Array {
    let mut out = Float64Builder::with_capacity(times.len());
    let mut next = points.iter().peekable();
    for t in times {
        match next.peek() {
            Some((pt, v)) if pt == t => {
                out.append_value(*v);
                next.next();
            }
            _ => out.append_null(),
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Float64Type;

    fn series(pairs: &[(&str, &str)], points: &[(i64, f64)]) -> ResultSeries {
        ResultSeries {
            labels: Labels::from_pairs(pairs.iter().copied()),
            points: points.to_vec(),
        }
    }

    fn two_series() -> QueryResult {
        QueryResult::Vector(vec![
            series(&[("__name__", "up"), ("job", "api")], &[(0, 1.0), (60_000, 0.0)]),
            series(
                &[("__name__", "up"), ("job", "db"), ("value", "x")],
                &[(60_000, 1.0)],
            ),
        ])
    }

    #[test]
    fn long_tables_have_a_row_per_point_and_a_dictionary_column_per_label() {
        let batch = long_table(&two_series()).unwrap();
        let names: Vec<_> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["timestamp", "value", "metric", "job", "label_value"]);
        assert_eq!(batch.num_rows(), 3);
        let job = batch.column(3).as_dictionary::<Int32Type>();
        let values = job.values().as_string::<i32>();
        let jobs: Vec<&str> = job
            .keys()
            .iter()
            .map(|k| values.value(k.unwrap() as usize))
            .collect();
        assert_eq!(jobs, ["api", "api", "db"]);
        let own = batch.column(4).as_dictionary::<Int32Type>();
        assert_eq!(own.null_count(), 2, "only the second series has the label");
    }

    #[test]
    fn wide_tables_align_series_on_the_union_of_times() {
        let batch = wide_table(&two_series()).unwrap();
        let names: Vec<_> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(
            names,
            ["timestamp", r#"up{job="api"}"#, r#"up{job="db", value="x"}"#]
        );
        let db = batch.column(2).as_primitive::<Float64Type>();
        assert!(db.is_null(0));
        assert_eq!(db.value(1), 1.0);
    }

    #[test]
    fn scalars_strings_and_series_lists_have_tables_too() {
        let info = SeriesInfo {
            id: parquetry_model::SeriesId::of(&Labels::from_pairs([("__name__", "up")])),
            labels: Arc::new(Labels::from_pairs([("__name__", "up"), ("job", "api")])),
            min_time: 0,
            max_time: 60_000,
        };
        let table = series_table(&[info]).unwrap();
        let names: Vec<_> = table.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["metric", "job", "min_time", "max_time"]);
        let scalar = long_table(&QueryResult::Scalar(vec![(0, 2.0)])).unwrap();
        assert_eq!(scalar.num_columns(), 2);
        let wide = wide_table(&QueryResult::Scalar(vec![(0, 2.0)])).unwrap();
        assert_eq!(wide.schema().field(1).name(), "{}");
        let text = long_table(&QueryResult::String("hi".into())).unwrap();
        assert_eq!(text.column(0).as_string::<i32>().value(0), "hi");
    }
}
