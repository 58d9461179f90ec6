//! Spans as a table for people and SQL: ids as lowercase hex, kinds and statuses as
//! words, times as UTC timestamps, attributes as `map<string, string>` (values as text),
//! and the promoted attributes as columns of their own. The SQL `spans` table and
//! Python's traces are this table.

use crate::any_value::Attribute;
use crate::parts::SpanParts;
use crate::promoted::{AttributeScope, PROMOTED, PromotedType};
use crate::span::Span;
use arrow::array::{
    ArrayRef, Int64Builder, MapBuilder, MapFieldNames, RecordBatch, StringBuilder, TimestampNanosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use std::sync::{Arc, LazyLock};

/// Columns before the promoted ones.
const FIXED: [&str; 15] = [
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "service_name",
    "start_time",
    "end_time",
    "duration_ns",
    "status_code",
    "status_message",
    "attributes",
    "resource_attributes",
    "scope_name",
    "scope_version",
];

/// The type of the attribute columns: `map<string, string>`.
pub fn attributes_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// The table's schema: the fixed columns, then one per promoted attribute but
/// `service.name` (which is `service_name`).
pub fn view_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let time = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        let mut fields = vec![
            Field::new(FIXED[0], DataType::Utf8, false),
            Field::new(FIXED[1], DataType::Utf8, false),
            Field::new(FIXED[2], DataType::Utf8, true),
            Field::new(FIXED[3], DataType::Utf8, false),
            Field::new(FIXED[4], DataType::Utf8, false),
            Field::new(FIXED[5], DataType::Utf8, false),
            Field::new(FIXED[6], time.clone(), false),
            Field::new(FIXED[7], time, false),
            Field::new(FIXED[8], DataType::Int64, false),
            Field::new(FIXED[9], DataType::Utf8, false),
            Field::new(FIXED[10], DataType::Utf8, false),
            Field::new(FIXED[11], attributes_type(), false),
            Field::new(FIXED[12], attributes_type(), false),
            Field::new(FIXED[13], DataType::Utf8, false),
            Field::new(FIXED[14], DataType::Utf8, false),
        ];
        for p in promoted_columns() {
            let ty = match p.ty {
                PromotedType::String => DataType::Utf8,
                PromotedType::Int => DataType::Int64,
            };
            fields.push(Field::new(p.column, ty, true));
        }
        Arc::new(Schema::new(fields))
    });
    SCHEMA.clone()
}

/// The promoted attributes that have a column in the table.
fn promoted_columns() -> impl Iterator<Item = &'static crate::promoted::Promoted> {
    PROMOTED.iter().filter(|p| p.column != "service_name")
}

fn attributes_builder() -> MapBuilder<StringBuilder, StringBuilder> {
    let names = MapFieldNames {
        entry: "entries".into(),
        key: "key".into(),
        value: "value".into(),
    };
    MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new())
}

fn append_attributes(
    b: &mut MapBuilder<StringBuilder, StringBuilder>,
    attributes: &[Attribute],
) -> Result<(), ArrowError> {
    for a in attributes {
        b.keys().append_value(&a.key);
        b.values().append_value(a.value.to_text());
    }
    b.append(true)
}

/// The parts of each span (see [`SpanParts`]) that fill the columns `projection` of
/// [`view_schema`] (every column when `None`); the other columns of a batch built from
/// spans decoded with them are left empty.
pub fn view_parts(projection: Option<&[usize]>) -> SpanParts {
    let Some(projection) = projection else {
        return SpanParts::whole();
    };
    let schema = view_schema();
    projection.iter().fold(SpanParts::core(), |parts, &i| {
        let name = schema.field(i).name().as_str();
        match name {
            "attributes" => parts.with_all_attributes(AttributeScope::Span),
            "resource_attributes" => parts.with_all_attributes(AttributeScope::Resource),
            "scope_name" | "scope_version" => parts.with_scope(),
            _ => match promoted_columns().find(|p| p.column == name) {
                Some(p) => parts.with_attribute(p.scope, p.key),
                None => parts,
            },
        }
    })
}

/// `spans` as rows of [`view_schema`], in the order given.
pub fn view_batch(spans: &[Span]) -> Result<RecordBatch, ArrowError> {
    let text = |f: &dyn Fn(&Span) -> String| -> ArrayRef {
        let mut b = StringBuilder::new();
        for s in spans {
            b.append_value(f(s));
        }
        Arc::new(b.finish())
    };
    let time = |f: &dyn Fn(&Span) -> i64| -> ArrayRef {
        let mut b = TimestampNanosecondBuilder::new().with_timezone("UTC");
        for s in spans {
            b.append_value(f(s));
        }
        Arc::new(b.finish())
    };
    let mut parents = StringBuilder::new();
    let mut durations = Int64Builder::new();
    let (mut attributes, mut resources) = (attributes_builder(), attributes_builder());
    for s in spans {
        parents.append_option(s.parent_span_id.map(|p| p.to_string()));
        durations.append_value(s.duration());
        append_attributes(&mut attributes, &s.attributes)?;
        append_attributes(&mut resources, &s.resource.attributes)?;
    }
    let mut columns: Vec<ArrayRef> = vec![
        text(&|s| s.trace_id.to_string()),
        text(&|s| s.span_id.to_string()),
        Arc::new(parents.finish()),
        text(&|s| s.name.clone()),
        text(&|s| s.kind.name().to_string()),
        text(&|s| s.service_name()),
        time(&|s| s.start),
        time(&|s| s.end),
        Arc::new(durations.finish()),
        text(&|s| s.status_code.name().to_string()),
        text(&|s| s.status_message.clone()),
        Arc::new(attributes.finish()),
        Arc::new(resources.finish()),
        text(&|s| s.scope.name.clone()),
        text(&|s| s.scope.version.clone()),
    ];
    for p in promoted_columns() {
        let find = |s: &Span| {
            let attributes = match p.scope {
                AttributeScope::Span => &s.attributes,
                AttributeScope::Resource => &s.resource.attributes,
            };
            attributes
                .iter()
                .find(|a| a.key == p.key)
                .map(|a| a.value.clone())
        };
        columns.push(match p.ty {
            PromotedType::String => {
                let mut b = StringBuilder::new();
                for s in spans {
                    b.append_option(find(s).map(|v| v.to_text()));
                }
                Arc::new(b.finish())
            }
            PromotedType::Int => {
                let mut b = Int64Builder::new();
                for s in spans {
                    b.append_option(find(s).and_then(|v| match v {
                        crate::AnyValue::Int(n) => Some(n),
                        _ => None,
                    }));
                }
                Arc::new(b.finish())
            }
        });
    }
    RecordBatch::try_new(view_schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::any_value::AnyValue;
    use crate::span::{Event, Resource, Scope};
    use crate::test_support::{span, store_of};
    use arrow::array::{Array, AsArray};

    /// The view's columns `projection` of every span in `store`, read with `parts`.
    fn projected(store: &crate::SpanStore, parts: &SpanParts, projection: &[usize]) -> RecordBatch {
        let mut spans = Vec::new();
        for file in store.files() {
            let every_row = std::iter::once(0..file.rows).collect::<Vec<_>>();
            spans.extend(store.read_rows(file, &every_row, parts).unwrap());
        }
        view_batch(&spans).unwrap().project(projection).unwrap()
    }

    #[test]
    fn every_column_reads_the_same_from_its_parts_as_from_whole_spans() {
        let dir = tempfile::tempdir().unwrap();
        let mut odd = span(1, 2, Some(1), 5_000, "cart");
        // An integer route stays in the map: the file does not trust its column.
        odd.attributes = vec![
            Attribute::new("http.route", AnyValue::Int(7)),
            Attribute::new("user.id", AnyValue::String("u1".into())),
        ];
        odd.resource = Arc::new(Resource {
            attributes: vec![
                Attribute::new("service.name", AnyValue::String("cart".into())),
                Attribute::new("k8s.pod.name", AnyValue::String("cart-0".into())),
            ],
            ..Resource::default()
        });
        odd.scope = Arc::new(Scope {
            name: "lib".into(),
            version: "1.2".into(),
            ..Scope::default()
        });
        odd.events = vec![Event {
            name: "retry".into(),
            ..Event::default()
        }];
        let store = store_of(&dir, vec![vec![span(1, 1, None, 4_000, "front"), odd]]);
        let width = view_schema().fields().len();
        let everything: Vec<usize> = (0..width).collect();
        let whole = projected(&store, &SpanParts::whole(), &everything);
        for i in 0..width {
            for j in [i, (i + 5) % width] {
                let mut projection = vec![i, j];
                projection.dedup();
                let got = projected(&store, &view_parts(Some(&projection)), &projection);
                assert_eq!(got, whole.project(&projection).unwrap(), "{projection:?}");
            }
        }
    }

    #[test]
    fn spans_read_as_words_hex_and_timestamps() {
        let mut s = span(1, 2, Some(1), 5_000, "cart");
        s.status_code = crate::StatusCode::Error;
        let batch = view_batch(&[s]).unwrap();
        let column = |name: &str| batch.column(batch.schema().index_of(name).unwrap()).clone();
        assert_eq!(column("trace_id").as_string::<i32>().value(0), "01".repeat(16));
        assert_eq!(
            column("parent_span_id").as_string::<i32>().value(0),
            "01".repeat(8)
        );
        assert_eq!(column("kind").as_string::<i32>().value(0), "server");
        assert_eq!(column("status_code").as_string::<i32>().value(0), "error");
        assert_eq!(column("service_name").as_string::<i32>().value(0), "cart");
        assert_eq!(column("http_route").as_string::<i32>().value(0), "/x");
        assert!(column("db_system").is_null(0));
        let attributes = column("attributes");
        let map = attributes.as_map();
        assert_eq!(map.keys().as_string::<i32>().value(0), "http.route");
    }
}
