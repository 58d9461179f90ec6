//! A PromQL result as an aligned text table, written straight into one buffer: a row per
//! point, label sets formatted once per series and times once per distinct time, so
//! printing a table costs little beyond writing its bytes.

use parquetry::promql::eval::QueryResult;
use parquetry_model::time::format_timestamp;
use parquetry_model::value::write_api_value;
use std::collections::HashMap;

/// The table `render` would make of the result's rows (`series`, `time`, `value`; no time
/// column for an instant query's vector), then a line with the number of series.
pub fn result_table(result: &QueryResult, instant: bool) -> String {
    let (series, count) = match (result, series_of(result)) {
        (_, Some(found)) => found,
        (QueryResult::String(s), None) => return format!("{s}\n"),
        (_, None) => return String::new(),
    };
    let with_time = has_time_column(result, instant);
    let mut times: HashMap<i64, String> = HashMap::new();
    let mut label_width = "series".len();
    let mut time_width = "time".len();
    let mut rows = 0;
    for (labels, points) in &series {
        if points.is_empty() {
            continue;
        }
        rows += points.len();
        label_width = label_width.max(labels.chars().count());
        if with_time {
            for (t, _) in points.iter() {
                let text = times.entry(*t).or_insert_with(|| format_timestamp(*t));
                time_width = time_width.max(text.chars().count());
            }
        }
    }
    let mut out = String::with_capacity((rows + 2) * (label_width + time_width + 28));
    let pad = |out: &mut String, text: &str, width: usize| {
        out.push_str(text);
        out.extend(std::iter::repeat_n(
            ' ',
            width.saturating_sub(text.chars().count()) + 2,
        ));
    };
    pad(&mut out, "series", label_width);
    if with_time {
        pad(&mut out, "time", time_width);
    }
    out.push_str("value\n");
    // Every row ends with its value, never blank, so rows need no trimming; the padded
    // time cells are made once per distinct time (in place of the times' text) and a
    // series' padded labels once.
    for text in times.values_mut() {
        let mut cell = String::with_capacity(time_width + 2);
        pad(&mut cell, text, time_width);
        *text = cell;
    }
    let mut label_cell = String::new();
    for (labels, points) in &series {
        label_cell.clear();
        pad(&mut label_cell, labels, label_width);
        for (t, v) in points.iter() {
            out.push_str(&label_cell);
            if with_time {
                out.push_str(&times[t]);
            }
            write_api_value(&mut out, *v);
            out.push('\n');
        }
    }
    out.push_str(&format!("{count} series\n"));
    out
}

/// A result's series as their label text and points.
type SeriesRows<'a> = Vec<(String, &'a [(i64, f64)])>;

/// The result's series (a scalar is one series without labels) and how many there are;
/// `None` for a string.
fn series_of(result: &QueryResult) -> Option<(SeriesRows<'_>, usize)> {
    match result {
        QueryResult::String(_) => None,
        QueryResult::Scalar(points) => Some((vec![(String::new(), points.as_slice())], 1)),
        QueryResult::Vector(all) | QueryResult::Range(all) => Some((
            all.iter()
                .map(|s| (s.labels.to_string(), s.points.as_slice()))
                .collect(),
            all.len(),
        )),
    }
}

/// Every row has a time but an instant query's vector's (or scalar's), which is one point.
fn has_time_column(result: &QueryResult, instant: bool) -> bool {
    !instant || matches!(result, QueryResult::Range(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::render;
    use parquetry::promql::eval::ResultSeries;
    use parquetry_model::Labels;
    use parquetry_model::value::format_api_value;

    /// The table as the generic renderer makes it from a row of strings per point.
    fn rendered(result: &QueryResult, instant: bool) -> String {
        let Some((series, count)) = series_of(result) else {
            return result_table(result, instant);
        };
        let with_time = has_time_column(result, instant);
        let rows: Vec<Vec<String>> = series
            .iter()
            .flat_map(|(l, points)| {
                points.iter().map(move |&(t, v)| {
                    let mut row = vec![l.clone(), format_timestamp(t), format_api_value(v)];
                    if !with_time {
                        row.remove(1);
                    }
                    row
                })
            })
            .collect();
        let header: &[&str] = if with_time {
            &["series", "time", "value"]
        } else {
            &["series", "value"]
        };
        format!("{}{count} series\n", render(header, &rows))
    }

    fn series(pairs: &[(&str, &str)], points: &[(i64, f64)]) -> ResultSeries {
        ResultSeries {
            labels: Labels::from_pairs(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string()))),
            points: points.to_vec(),
        }
    }

    #[test]
    fn the_table_is_the_one_render_makes() {
        let matrix = vec![
            series(
                &[("job", "api"), ("instance", "höst:9090")],
                &[(0, 1.5), (60_500, f64::NAN)],
            ),
            series(&[("__name__", "up")], &[]),
            series(
                &[("a", "a-much-longer-label-value-than-the-others")],
                &[(1_767_571_200_000, 1e21)],
            ),
        ];
        for (result, instant) in [
            (QueryResult::Vector(matrix.clone()), false),
            (QueryResult::Vector(matrix.clone()), true),
            (QueryResult::Range(matrix.clone()), true),
            (QueryResult::Vector(Vec::new()), false),
            (QueryResult::Scalar(vec![(0, 1.0), (1_000, -2.0)]), false),
            (QueryResult::Scalar(vec![(0, 1.0)]), true),
            (QueryResult::String("text".to_string()), true),
        ] {
            assert_eq!(
                result_table(&result, instant),
                rendered(&result, instant),
                "{result:?}"
            );
        }
    }
}
