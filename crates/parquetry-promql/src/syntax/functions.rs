//! The function table: every PromQL function with its argument and return types.

use super::ast::ValueType::{self, Matrix as M, Scalar as S, String as Str, Vector as V};

/// One PromQL function's signature.
#[derive(Debug, PartialEq, Eq)]
pub struct Function {
    /// Name as called.
    pub name: &'static str,
    /// Types of the arguments in order.
    pub args: &'static [ValueType],
    /// 0: exactly `args.len()` arguments. n > 0: the last argument is optional and may be
    /// given up to n times. -1: the last argument may repeat any number of times, including
    /// zero.
    pub variadic: i32,
    /// Type of the result.
    pub returns: ValueType,
    /// Only available with experimental functions enabled.
    pub experimental: bool,
}

const fn f(name: &'static str, args: &'static [ValueType], returns: ValueType) -> Function {
    Function {
        name,
        args,
        variadic: 0,
        returns,
        experimental: false,
    }
}

const fn var(name: &'static str, args: &'static [ValueType], variadic: i32, returns: ValueType) -> Function {
    Function {
        name,
        args,
        variadic,
        returns,
        experimental: false,
    }
}

const fn exp(function: Function) -> Function {
    Function {
        experimental: true,
        ..function
    }
}

/// Every function, sorted by name.
pub static FUNCTIONS: &[Function] = &[
    f("abs", &[V], V),
    f("absent", &[V], V),
    f("absent_over_time", &[M], V),
    f("acos", &[V], V),
    f("acosh", &[V], V),
    f("asin", &[V], V),
    f("asinh", &[V], V),
    f("atan", &[V], V),
    f("atanh", &[V], V),
    f("avg_over_time", &[M], V),
    f("ceil", &[V], V),
    f("changes", &[M], V),
    f("clamp", &[V, S, S], V),
    f("clamp_max", &[V, S], V),
    f("clamp_min", &[V, S], V),
    f("cos", &[V], V),
    f("cosh", &[V], V),
    f("count_over_time", &[M], V),
    var("day_of_month", &[V], 1, V),
    var("day_of_week", &[V], 1, V),
    var("day_of_year", &[V], 1, V),
    var("days_in_month", &[V], 1, V),
    f("deg", &[V], V),
    f("delta", &[M], V),
    f("deriv", &[M], V),
    exp(f("double_exponential_smoothing", &[M, S, S], V)),
    exp(f("end", &[], S)),
    f("exp", &[V], V),
    exp(f("first_over_time", &[M], V)),
    f("floor", &[V], V),
    f("histogram_avg", &[V], V),
    f("histogram_count", &[V], V),
    f("histogram_fraction", &[S, S, V], V),
    f("histogram_quantile", &[S, V], V),
    exp(var("histogram_quantiles", &[V, Str, S], -1, V)),
    f("histogram_stddev", &[V], V),
    f("histogram_stdvar", &[V], V),
    f("histogram_sum", &[V], V),
    var("hour", &[V], 1, V),
    f("idelta", &[M], V),
    f("increase", &[M], V),
    exp(var("info", &[V, V], 1, V)),
    f("irate", &[M], V),
    var("label_join", &[V, Str, Str, Str], -1, V),
    f("label_replace", &[V, Str, Str, Str, Str], V),
    f("last_over_time", &[M], V),
    f("ln", &[V], V),
    f("log10", &[V], V),
    f("log2", &[V], V),
    exp(f("mad_over_time", &[M], V)),
    exp(f("max_of", &[S, S], S)),
    f("max_over_time", &[M], V),
    exp(f("min_of", &[S, S], S)),
    f("min_over_time", &[M], V),
    var("minute", &[V], 1, V),
    var("month", &[V], 1, V),
    f("pi", &[], S),
    f("predict_linear", &[M, S], V),
    f("present_over_time", &[M], V),
    f("quantile_over_time", &[S, M], V),
    f("rad", &[V], V),
    exp(f("range", &[], S)),
    f("rate", &[M], V),
    f("resets", &[M], V),
    var("round", &[V, S], 1, V),
    f("scalar", &[V], S),
    f("sgn", &[V], V),
    f("sin", &[V], V),
    f("sinh", &[V], V),
    f("sort", &[V], V),
    exp(var("sort_by_label", &[V, Str], -1, V)),
    exp(var("sort_by_label_desc", &[V, Str], -1, V)),
    f("sort_desc", &[V], V),
    f("sqrt", &[V], V),
    exp(f("start", &[], S)),
    exp(f("start_timestamp", &[V], V)),
    f("stddev_over_time", &[M], V),
    f("stdvar_over_time", &[M], V),
    exp(f("step", &[], S)),
    f("sum_over_time", &[M], V),
    f("tan", &[V], V),
    f("tanh", &[V], V),
    f("time", &[], S),
    f("timestamp", &[V], V),
    exp(f("ts_of_first_over_time", &[M], V)),
    exp(f("ts_of_last_over_time", &[M], V)),
    exp(f("ts_of_max_over_time", &[M], V)),
    exp(f("ts_of_min_over_time", &[M], V)),
    f("vector", &[S], V),
    var("year", &[V], 1, V),
];

/// The function called `name` (case-sensitive, as in Prometheus).
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

impl Function {
    /// Checks the number of arguments; the error says how many were expected.
    pub fn check_arity(&self, given: usize) -> Result<(), String> {
        let declared = self.args.len();
        let (min, max) = match self.variadic {
            0 => (declared, Some(declared)),
            n if n > 0 => (declared - 1, Some(declared - 1 + n as usize)),
            _ => (declared - 1, None),
        };
        let name = self.name;
        if min == max.unwrap_or(usize::MAX) && given != min {
            return Err(format!(
                "expected {min} argument(s) in call to {name:?}, got {given}"
            ));
        }
        if given < min {
            return Err(format!(
                "expected at least {min} argument(s) in call to {name:?}, got {given}"
            ));
        }
        if let Some(max) = max
            && given > max
        {
            return Err(format!(
                "expected at most {max} argument(s) in call to {name:?}, got {given}"
            ));
        }
        Ok(())
    }

    /// The declared type of argument `i` (repeating the last for variadic functions).
    pub fn arg_type(&self, i: usize) -> ValueType {
        self.args[i.min(self.args.len().saturating_sub(1))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(lookup("rate").unwrap().args, &[M]);
        assert!(lookup("Rate").is_none());
    }

    #[test]
    fn arity_rules() {
        assert!(
            lookup("rate")
                .unwrap()
                .check_arity(2)
                .unwrap_err()
                .contains("expected 1 argument(s)")
        );
        let round = lookup("round").unwrap();
        assert!(round.check_arity(1).is_ok() && round.check_arity(2).is_ok());
        assert!(round.check_arity(3).unwrap_err().contains("at most 2"));
        let join = lookup("label_join").unwrap();
        assert!(join.check_arity(3).is_ok() && join.check_arity(7).is_ok());
        assert!(join.check_arity(2).unwrap_err().contains("at least 3"));
        let hour = lookup("hour").unwrap();
        assert!(hour.check_arity(0).is_ok() && hour.check_arity(1).is_ok());
    }
}
