//! `date_trunc` for `UTC` timestamps at the speed of time-zone-free ones.
//!
//! DataFusion's `date_trunc` truncates hours, days and coarser units of time-zone-aware
//! timestamps value by value through the time zone, and only timestamps without a zone
//! by arithmetic. Every `timestamp` column of ours is `UTC`, whose offset is always zero,
//! so truncating such a column as if it had no zone gives the same instants. This
//! wrapper does exactly that: it drops the zone from a millisecond `UTC` column, lets the
//! built-in function truncate it, and puts the zone back. Everything else (other zones,
//! other units, scalars, planning) is the built-in's.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, FieldRef, TimeUnit, TimestampMillisecondType};
use datafusion::common::Result;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use std::sync::Arc;

/// The built-in `date_trunc` with a fast path for millisecond `UTC` timestamp columns.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct UtcDateTrunc {
    builtin: Arc<ScalarUDF>,
}

impl UtcDateTrunc {
    /// The function, to register in place of the built-in one.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(UtcDateTrunc {
            builtin: datafusion::functions::datetime::date_trunc(),
        })
    }
}

/// True for the zone names that mean UTC.
fn is_utc(zone: &str) -> bool {
    matches!(zone, "UTC" | "+00:00" | "Z" | "Etc/UTC")
}

impl ScalarUDFImpl for UtcDateTrunc {
    fn name(&self) -> &str {
        self.builtin.name()
    }

    fn aliases(&self) -> &[String] {
        self.builtin.aliases()
    }

    fn signature(&self) -> &Signature {
        self.builtin.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.builtin.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.builtin.return_field_from_args(args)
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let zone = match args.args.get(1) {
            Some(ColumnarValue::Array(a)) => match a.data_type() {
                DataType::Timestamp(TimeUnit::Millisecond, Some(zone)) if is_utc(zone) => Some(zone.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(zone) = zone else {
            return self.builtin.invoke_with_args(args);
        };
        let naive_type = DataType::Timestamp(TimeUnit::Millisecond, None);
        if let ColumnarValue::Array(a) = &args.args[1] {
            let naive = a
                .as_primitive::<TimestampMillisecondType>()
                .clone()
                .with_timezone_opt(None::<Arc<str>>);
            args.args[1] = ColumnarValue::Array(Arc::new(naive));
        }
        // The call is planned for zoned timestamps; tell the built-in what it is given now.
        if let Some(field) = args.arg_fields.get_mut(1) {
            *field = Arc::new(field.as_ref().clone().with_data_type(naive_type.clone()));
        }
        args.return_field = Arc::new(args.return_field.as_ref().clone().with_data_type(naive_type));
        Ok(match self.builtin.inner().invoke_with_args(args)? {
            ColumnarValue::Array(out)
                if out.data_type() == &DataType::Timestamp(TimeUnit::Millisecond, None) =>
            {
                let zoned = out
                    .as_primitive::<TimestampMillisecondType>()
                    .clone()
                    .with_timezone(zone);
                ColumnarValue::Array(Arc::new(zoned))
            }
            other => other,
        })
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> Result<SortProperties> {
        self.builtin.output_ordering(inputs)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.builtin.documentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, TimestampMillisecondArray};
    use datafusion::prelude::SessionContext;

    /// Truncates a UTC column of a table (so the function sees an array, not literals
    /// folded at planning) at `unit`, with or without the wrapper registered.
    fn truncate(unit: &str, wrapped: bool) -> (DataType, Vec<i64>) {
        let times = [1_767_623_456_789, -86_399_999, 0, 1_709_251_199_999];
        let column: ArrayRef = Arc::new(TimestampMillisecondArray::from(times.to_vec()).with_timezone("UTC"));
        let batch = RecordBatch::try_from_iter([("t", column)]).unwrap();
        let ctx = SessionContext::new();
        if wrapped {
            ctx.register_udf(UtcDateTrunc::udf());
        }
        ctx.register_batch("x", batch).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let batches = runtime.block_on(async {
            let sql = format!(
                "SELECT date_trunc('{unit}', t) AS v, CAST(date_trunc('{unit}', t) AS BIGINT) AS n FROM x"
            );
            ctx.sql(&sql).await.unwrap().collect().await.unwrap()
        });
        let data_type = batches[0].schema().field(0).data_type().clone();
        let values = batches
            .iter()
            .flat_map(|b| {
                let n: &Int64Array = b.column(1).as_primitive();
                n.values().to_vec()
            })
            .collect();
        (data_type, values)
    }

    #[test]
    fn utc_columns_truncate_to_the_same_instants_as_the_builtin_and_stay_utc() {
        for unit in [
            "second", "minute", "hour", "day", "week", "month", "quarter", "year",
        ] {
            let (want_type, want) = truncate(unit, false);
            let (got_type, got) = truncate(unit, true);
            assert_eq!(got, want, "{unit}");
            assert_eq!(got_type, want_type, "{unit}");
            assert_eq!(
                got_type,
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
            );
        }
    }
}
