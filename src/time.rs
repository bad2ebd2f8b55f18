//! Calendar arithmetic for the dates the layer writes: `Retry-After`
//! HTTP-dates and the UTC time on error pages. No time-zone data: UTC only.

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(unix_seconds: u64) -> String {
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

/// `YYYY-MM-DD hh:mm:ss UTC`, the time an error page shows: readable in
/// every language, and always [`UTC_TEXT_LEN`] bytes for years up to 9999.
pub(crate) fn utc_text(unix_seconds: u64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds / 86_400);
    let time = unix_seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        time / 3600,
        time / 60 % 60,
        time % 60,
    )
}

/// The length of every [`utc_text`] up to the year 9999.
pub(crate) const UTC_TEXT_LEN: usize = "1970-01-01 00:00:00 UTC".len();

#[cfg(test)]
mod tests {
    use super::*;

    /// 9999-12-31T23:59:59Z, the last instant an HTTP-date can carry.
    const LATEST: u64 = 253_402_300_799;

    #[test]
    fn formats_known_dates() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(LATEST), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn utc_text_is_iso_like_and_of_fixed_length() {
        assert_eq!(utc_text(784_111_777), "1994-11-06 08:49:37 UTC");
        assert_eq!(utc_text(951_782_400), "2000-02-29 00:00:00 UTC");
        for seconds in [0, 1, 86_399, 951_782_400, LATEST] {
            assert_eq!(utc_text(seconds).len(), UTC_TEXT_LEN);
        }
    }
}
