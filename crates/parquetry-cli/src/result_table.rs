//! A PromQL result as an aligned text table: a row per point, label sets formatted once
//! per series and times once per distinct time. A large table is written in runs of
//! series side by side on the thread pool and put out in order, a few runs at a time, so
//! it costs little beyond writing its bytes and is never held whole.

use parquetry::promql::eval::point_texts::ValueTexts;
use parquetry::promql::eval::{QueryResult, ResultSeries, emit_in_order, point_runs};
use parquetry_model::Labels;
use parquetry_model::time::format_timestamp;
use std::collections::HashMap;
use std::io::{self, Write};

/// Writes the table `render` would make of the result's rows (`series`, `time`, `value`;
/// no time column for an instant query's vector), then a line with the number of series.
pub fn write_result_table(result: &QueryResult, instant: bool, out: &mut impl Write) -> io::Result<()> {
    let scalar;
    let (series, texts): (&[ResultSeries], Vec<String>) = match result {
        QueryResult::String(s) => return writeln!(out, "{s}"),
        QueryResult::Scalar(points) => {
            scalar = [ResultSeries {
                labels: Labels::empty(),
                points: points.clone(),
            }];
            (&scalar, vec![String::new()])
        }
        QueryResult::Vector(all) | QueryResult::Range(all) => {
            (all, all.iter().map(|s| s.labels.to_string()).collect())
        }
    };
    let layout = Layout::of(series, &texts, has_time_column(result, instant));
    let mut header = String::new();
    pad(&mut header, "series", layout.label_width);
    if layout.with_time {
        pad(&mut header, "time", layout.time_width);
    }
    header.push_str("value\n");
    out.write_all(header.as_bytes())?;
    let runs = point_runs(series, (RUN_BYTES / layout.row_bytes()).max(1));
    let mut first = 0;
    let runs: Vec<(&[ResultSeries], &[String])> = runs
        .into_iter()
        .map(|run| {
            let texts = &texts[first..first + run.len()];
            first += run.len();
            (run, texts)
        })
        .collect();
    emit_in_order(
        &runs,
        |(run, texts)| layout.rows(run, texts),
        |part| out.write_all(&part),
    )?;
    writeln!(out, "{} series", series.len())
}

/// About the bytes of rows a run holds: the size of a run of Prometheus' JSON
/// ([`RUN_POINTS`](parquetry::promql::eval::RUN_POINTS) points of about 32 bytes). A
/// table's rows repeat their label set and are several times longer than a point of
/// JSON, so a run of as many rows would hold several times the memory, fresh pages that
/// each cost a fault.
const RUN_BYTES: usize = 512 * 1024;

/// The column widths and the padded time cells of one table.
struct Layout {
    with_time: bool,
    label_width: usize,
    time_width: usize,
    /// Every distinct time of the rows with its padded cell, in time order.
    time_cells: Vec<(i64, String)>,
}

impl Layout {
    fn of(series: &[ResultSeries], texts: &[String], with_time: bool) -> Layout {
        let mut times: HashMap<i64, String> = HashMap::new();
        let mut label_width = "series".len();
        let mut time_width = "time".len();
        // Series of a range query mostly share their times: one that has the times of the
        // series before it adds none.
        let mut previous: &[(i64, f64)] = &[];
        for (s, text) in series.iter().zip(texts) {
            if s.points.is_empty() {
                continue;
            }
            label_width = label_width.max(text.chars().count());
            let same =
                previous.len() == s.points.len() && previous.iter().zip(&s.points).all(|(a, b)| a.0 == b.0);
            if with_time && !same {
                for (t, _) in &s.points {
                    let text = times.entry(*t).or_insert_with(|| format_timestamp(*t));
                    time_width = time_width.max(text.chars().count());
                }
                previous = &s.points;
            }
        }
        let mut time_cells: Vec<(i64, String)> = times
            .into_iter()
            .map(|(t, text)| {
                let mut cell = String::with_capacity(time_width + 2);
                pad(&mut cell, &text, time_width);
                (t, cell)
            })
            .collect();
        time_cells.sort_unstable_by_key(|(t, _)| *t);
        Layout {
            with_time,
            label_width,
            time_width,
            time_cells,
        }
    }

    /// The rows of a run of series whose label texts are `texts`. Values come from the
    /// texts of values already written where they repeat ([`ValueTexts`]).
    fn rows(&self, run: &[ResultSeries], texts: &[String]) -> Vec<u8> {
        let points: usize = run.iter().map(|s| s.points.len()).sum();
        let mut out = Vec::with_capacity(points * self.row_bytes());
        let mut values = ValueTexts::new("\n");
        let mut label_cell = String::new();
        for (s, text) in run.iter().zip(texts) {
            label_cell.clear();
            pad(&mut label_cell, text, self.label_width);
            let mut at = 0;
            for (t, v) in &s.points {
                out.extend_from_slice(label_cell.as_bytes());
                if self.with_time {
                    out.extend_from_slice(self.time_cell(&mut at, *t).as_bytes());
                }
                values.push(&mut out, *v);
            }
        }
        out
    }

    /// About the bytes of one row: its cells, padded, and a value's text.
    fn row_bytes(&self) -> usize {
        self.label_width + self.time_width + 28
    }

    /// The padded cell of time `t`, looked up from position `at`, which moves to it: a
    /// series' times ascend, so a series' cells are found in one pass.
    fn time_cell(&self, at: &mut usize, t: i64) -> &str {
        let cells = &self.time_cells;
        if cells.get(*at).is_none_or(|(c, _)| *c > t) {
            *at = cells.partition_point(|(c, _)| *c < t);
        }
        while cells[*at].0 < t {
            *at += 1;
        }
        &cells[*at].1
    }
}

/// Appends `text` and the spaces that fill it to `width` characters, then two more.
fn pad(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(text.chars().count()) + 2,
    ));
}

/// Every row has a time but an instant query's vector's (or scalar's), which is one point.
fn has_time_column(result: &QueryResult, instant: bool) -> bool {
    !instant || matches!(result, QueryResult::Range(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::render;
    use parquetry_model::value::format_api_value;

    fn table(result: &QueryResult, instant: bool) -> String {
        let mut out = Vec::new();
        write_result_table(result, instant, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The table as the generic renderer makes it from a row of strings per point.
    fn rendered(result: &QueryResult, instant: bool) -> String {
        let series: Vec<(String, &[(i64, f64)])> = match result {
            QueryResult::String(s) => return format!("{s}\n"),
            QueryResult::Scalar(points) => vec![(String::new(), points)],
            QueryResult::Vector(all) | QueryResult::Range(all) => all
                .iter()
                .map(|s| (s.labels.to_string(), &s.points[..]))
                .collect(),
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
        format!("{}{} series\n", render(header, &rows), series.len())
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
            assert_eq!(table(&result, instant), rendered(&result, instant), "{result:?}");
        }
    }

    #[test]
    fn a_table_written_in_runs_side_by_side_is_the_one_render_makes() {
        // Many runs' worth of rows: series on a shared grid, some shifted off it, some
        // empty, some with labels wider than the rest.
        let matrix: Vec<ResultSeries> = (0..120)
            .map(|i| {
                let shift = if i % 7 == 0 { 500 } else { 0 };
                let points: Vec<(i64, f64)> = (0..(i * 37 % 900))
                    .map(|k| (k as i64 * 15_000 + shift, k as f64 / 7.0))
                    .collect();
                let name = "x".repeat(i % 13);
                series(&[("i", &i.to_string()), ("pad", &name)], &points)
            })
            .collect();
        let result = QueryResult::Vector(matrix);
        let QueryResult::Vector(all) = &result else {
            unreachable!()
        };
        let texts: Vec<String> = all.iter().map(|s| s.labels.to_string()).collect();
        let row_bytes = Layout::of(all, &texts, true).row_bytes();
        assert!(point_runs(all, RUN_BYTES / row_bytes).len() > 2);
        assert!(
            table(&result, false) == rendered(&result, false),
            "the tables differ"
        );
    }
}
