//! [`RetryAfter`]: the delay or date sent in `Retry-After` (RFC 9110 §10.2.3).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

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

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(unix_seconds: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds / 86_400;
    let time = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        time / 3600,
        time / 60 % 60,
        time % 60,
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// Counts in 400-year eras that start on 1 March, so the leap day falls at
/// the end of each counted year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // 719_468 days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(LATEST_HTTP_DATE), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn rejects_dates_http_cannot_carry() {
        let before_1970 = UNIX_EPOCH - Duration::from_secs(1);
        assert!(RetryAfter::at(before_1970).header_value().is_err());
        let after_9999 = UNIX_EPOCH + Duration::from_secs(LATEST_HTTP_DATE + 1);
        assert!(RetryAfter::at(after_9999).header_value().is_err());
        assert_eq!(RetryAfter::seconds(120).header_value().unwrap(), "120");
    }
}
