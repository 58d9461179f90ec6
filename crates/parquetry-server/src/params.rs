//! Request parameters as Prometheus reads them: the form body of a POST
//! (`application/x-www-form-urlencoded`) first, then the URL's query string, with
//! repeated names (`match[]`) kept; times as RFC 3339 or Unix seconds, durations as
//! seconds or Prometheus durations.

use crate::api_error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use parquetry_model::time::{parse_duration, parse_timestamp};

/// The parameters of one request, in the order Go's `Request.Form` holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The parameters of a request with URL query `query` and form body `form` (empty
    /// when the body is not a form).
    pub fn from_parts(query: &str, form: &[u8]) -> Params {
        let pairs = form_urlencoded::parse(form)
            .chain(form_urlencoded::parse(query.as_bytes()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params(pairs)
    }

    /// The first value of `name`, if given (an empty value counts as given).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or `""` when absent, as Go's `FormValue` gives it.
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The time in `name`, milliseconds; `default` when absent or empty.
    pub fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.value(name) {
            "" => Ok(default),
            text => parse_time(text).map_err(|why| ApiError::invalid_param(name, why)),
        }
    }

    /// The time in `name`, milliseconds; an error when absent.
    pub fn time(&self, name: &str) -> Result<i64, ApiError> {
        parse_time(self.value(name)).map_err(|why| ApiError::invalid_param(name, why))
    }

    /// The duration in `name`, milliseconds; an error when absent.
    pub fn duration(&self, name: &str) -> Result<i64, ApiError> {
        parse_api_duration(self.value(name)).map_err(|why| ApiError::invalid_param(name, why))
    }

    /// The duration in `name`, milliseconds, when given.
    pub fn optional_duration(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.value(name) {
            "" => Ok(None),
            _ => self.duration(name).map(Some),
        }
    }

    /// The `limit` parameter: `None` when absent or 0 (no limit), an error when it is
    /// not a number or is negative.
    pub fn limit(&self) -> Result<Option<usize>, ApiError> {
        match self.value("limit") {
            "" => Ok(None),
            text => match text.parse::<i64>() {
                Ok(0) => Ok(None),
                Ok(n) if n > 0 => Ok(Some(n as usize)),
                Ok(_) => Err(ApiError::invalid_param("limit", "limit must be non-negative")),
                Err(_) => Err(ApiError::invalid_param(
                    "limit",
                    format!("cannot parse {text:?} to a valid limit"),
                )),
            },
        }
    }
}

/// A time as Prometheus' API takes it: Unix seconds with an optional fraction (kept to
/// the millisecond), or RFC 3339.
pub fn parse_time(text: &str) -> Result<i64, String> {
    parse_timestamp(text).map_err(|_| format!("cannot parse {text:?} to a valid timestamp"))
}

/// A duration as Prometheus' API takes it: seconds with an optional fraction, or a
/// Prometheus duration (`5m`, `1h30m`); milliseconds.
pub fn parse_api_duration(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
    {
        let ms = (seconds * 1000.0).round();
        if ms.abs() >= i64::MAX as f64 {
            return Err(format!(
                "cannot parse {text:?} to a valid duration. It overflows int64"
            ));
        }
        return Ok(ms as i64);
    }
    parse_duration(text).map_err(|_| format!("cannot parse {text:?} to a valid duration"))
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Params, ApiError> {
        let query = request.uri().query().unwrap_or("").to_string();
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_data(format!("error parsing form values: {}", e.body_text())))?;
        Ok(Params::from_parts(&query, if is_form { &body } else { &[] }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_come_before_the_query_string_and_repeats_are_kept() {
        let p = Params::from_parts("query=a&match[]=x", b"query=b&match%5B%5D=y");
        assert_eq!(p.get("query"), Some("b"));
        assert_eq!(p.all("match[]"), ["y", "x"]);
        assert_eq!(p.get("missing"), None);
        assert_eq!(p.value("missing"), "");
    }

    #[test]
    fn times_are_seconds_or_rfc3339() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1700000000.1234"), Ok(1_700_000_000_123));
        assert_eq!(parse_time("2026-01-05T00:00:00Z"), Ok(1_767_571_200_000));
        assert_eq!(parse_time("2026-01-05T00:00:00.5+01:00"), Ok(1_767_567_600_500));
        assert_eq!(
            parse_time(""),
            Err("cannot parse \"\" to a valid timestamp".to_string())
        );
        assert_eq!(
            parse_time("yesterday"),
            Err("cannot parse \"yesterday\" to a valid timestamp".to_string())
        );
    }

    #[test]
    fn durations_are_seconds_or_prometheus_durations() {
        assert_eq!(parse_api_duration("15"), Ok(15_000));
        assert_eq!(parse_api_duration("0.25"), Ok(250));
        assert_eq!(parse_api_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_api_duration("-2"), Ok(-2_000));
        assert_eq!(
            parse_api_duration("x"),
            Err("cannot parse \"x\" to a valid duration".to_string())
        );
        assert!(parse_api_duration("1e300").unwrap_err().contains("overflows"));
    }

    #[test]
    fn limits_are_non_negative_numbers() {
        assert_eq!(Params::from_parts("limit=5", b"").limit(), Ok(Some(5)));
        assert_eq!(Params::from_parts("limit=0", b"").limit(), Ok(None));
        assert_eq!(Params::from_parts("", b"").limit(), Ok(None));
        assert!(Params::from_parts("limit=-1", b"").limit().is_err());
        assert!(Params::from_parts("limit=x", b"").limit().is_err());
    }
}
