//! The time an error page shows ([`Clock`]), written once a second however
//! many failures there are, and shared by all of them.

use std::sync::RwLock;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::time::{utc_text, UTC_TEXT_LEN};

/// The current second as [`utc_text`] writes it, kept until the next one.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    last: RwLock<Option<(u64, TimeText)>>,
}

/// A time as text, shared out of the clock so no lock is held while a page
/// is written, and a prepared page can send it as a piece of its own.
#[derive(Debug, Clone)]
pub(crate) struct TimeText(Bytes);

impl TimeText {
    pub(crate) fn as_str(&self) -> &str {
        // Written from ASCII digits and separators only.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    pub(crate) fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl AsRef<str> for TimeText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Clock {
    /// The time now, in UTC, to the second.
    pub(crate) fn now(&self) -> TimeText {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        // Failures in the same second share one `Bytes` under a read lock,
        // which many tasks hold at once; only the first failure of a second
        // writes. A task that finds the clock being written makes its own
        // time rather than wait.
        if let Ok(last) = self.last.try_read() {
            if let Some((second, text)) = &*last {
                if *second == seconds {
                    return text.clone();
                }
            }
        }
        let text = TimeText::of(seconds);
        if let Ok(mut last) = self.last.try_write() {
            // Kept as a clone: the first clone of a `Bytes` made from a
            // buffer allocates its shared header, so the kept copy is
            // shared before failures clone it.
            *last = Some((seconds, text.clone()));
        }
        text
    }
}

impl TimeText {
    fn of(unix_seconds: u64) -> Self {
        let text = utc_text(unix_seconds);
        Self(if text.len() == UTC_TEXT_LEN {
            Bytes::from(text)
        } else {
            // Past the year 9999: the last time that fits.
            Bytes::from_static(b"9999-12-31 23:59:59 UTC")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_is_now_and_utc() {
        let before = utc_text(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        );
        let clock = Clock::default();
        let now = clock.now();
        let after = utc_text(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        );
        assert!(before.as_str() <= now.as_str() && now.as_str() <= after.as_str());
        assert!(now.as_str().ends_with(" UTC"));
        assert_eq!(
            TimeText::of(784_111_777).as_str(),
            "1994-11-06 08:49:37 UTC"
        );
        assert_eq!(
            TimeText::of(u64::MAX / 2).as_str(),
            "9999-12-31 23:59:59 UTC"
        );
    }
}
