//! [`RetryAfter`]: the delay or date sent in `Retry-After` (RFC 9110 §10.2.3).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

use crate::time::http_date;
use crate::ConfigError;

/// When the client may try again: a delay in seconds, or an HTTP-date.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use tower_gateway_error::retry::RetryAfter;
/// use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};
///
/// // Sent until then, and not after.
/// let maintenance_ends = SystemTime::now() + Duration::from_secs(2 * 3600);
/// let layer = GatewayErrorLayer::builder()
///     .retry_after(RetryAfter::seconds(30))
///     .retry_after_for(UpstreamErrorKind::DestinationUnavailable, RetryAfter::at(maintenance_ends))
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(When);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Seconds(u32),
    At(SystemTime),
}

/// 9999-12-31T23:59:59Z: IMF-fixdate has a four-digit year.
const LATEST_HTTP_DATE: u64 = 253_402_300_799;

impl RetryAfter {
    /// `Retry-After: <seconds>`.
    pub const fn seconds(seconds: u32) -> Self {
        Self(When::Seconds(seconds))
    }

    /// `Retry-After: <HTTP-date>`, e.g. the end of a planned maintenance.
    ///
    /// The date is formatted once, when the layer is built; a date before
    /// 1970 or after the year 9999 is rejected then. It is sent only while
    /// it is in the future: after it, the advice no longer holds, and
    /// answers carry no `Retry-After` at all. gRPC callers get the time
    /// left as `grpc-retry-pushback-ms`, in whole seconds.
    pub const fn at(time: SystemTime) -> Self {
        Self(When::At(time))
    }

    /// The date, for a `Retry-After` given as one.
    pub(crate) fn date(&self) -> Option<SystemTime> {
        match self.0 {
            When::Seconds(_) => None,
            When::At(time) => Some(time),
        }
    }

    pub(crate) fn header_value(&self) -> Result<HeaderValue, ConfigError> {
        match self.0 {
            When::Seconds(seconds) => Ok(HeaderValue::from(seconds)),
            When::At(time) => {
                let seconds = time
                    .duration_since(UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs())
                    .filter(|&s| s <= LATEST_HTTP_DATE)
                    .ok_or(ConfigError::RetryAfterDateOutOfRange)?;
                let text = http_date(seconds);
                Ok(HeaderValue::from_str(&text).expect("an IMF-fixdate is visible ASCII"))
            }
        }
    }
}

impl From<Duration> for RetryAfter {
    /// Whole seconds, saturating at `u32::MAX`.
    fn from(delay: Duration) -> Self {
        Self::seconds(u32::try_from(delay.as_secs()).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_dates_http_cannot_carry() {
        let before_1970 = UNIX_EPOCH - Duration::from_secs(1);
        assert!(RetryAfter::at(before_1970).header_value().is_err());
        let after_9999 = UNIX_EPOCH + Duration::from_secs(LATEST_HTTP_DATE + 1);
        assert!(RetryAfter::at(after_9999).header_value().is_err());
        assert_eq!(RetryAfter::seconds(120).header_value().unwrap(), "120");
    }
}
