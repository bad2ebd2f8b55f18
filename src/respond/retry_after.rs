//! `Retry-After` per kind, rendered when the layer is built, and its gRPC
//! counterpart `grpc-retry-pushback-ms`. A date is sent only while it is in
//! the future. Also the advice of an answer the gateway gave on its own
//! while it refuses requests for a while (a dead upstream's ejection): the
//! time left.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use tokio::time::Instant;

use crate::error::PerKind;
use crate::retry::RetryAfter;
use crate::{ConfigError, UpstreamErrorKind};

/// The builder's `Retry-After` settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// For every kind.
    pub(crate) everywhere: Option<RetryAfter>,
    /// For some kinds, replacing `everywhere`.
    pub(crate) per_kind: Vec<(UpstreamErrorKind, RetryAfter)>,
}

/// The advice each kind's answer carries, if any, and the values for the
/// time left of a refused request.
#[derive(Debug)]
pub(super) struct RetryAfters {
    per_kind: PerKind<Option<Advice>>,
    /// Whether some kind's advice is a date, checked per answer.
    dated: bool,
    /// `Retry-After` for each whole number of seconds up to the longest
    /// wait (at most an hour), so a refused request's answer allocates
    /// nothing.
    waits: Vec<HeaderValue>,
}

#[derive(Debug)]
enum Advice {
    /// A delay: the same header on every answer.
    Seconds {
        header: HeaderValue,
        pushback: HeaderValue,
    },
    /// A date: sent until it passes.
    Until {
        header: HeaderValue,
        /// The date on the runtime's clock, which tests can pause.
        deadline: Instant,
        /// The pushback for the whole seconds left, written at most once
        /// a second.
        pushback: Mutex<Option<(u64, HeaderValue)>>,
    },
}

/// Longest wait for which each `Retry-After` value is made ahead.
const PREPARED_SECONDS: u64 = 3600;

impl RetryAfters {
    /// `everywhere` for every kind, replaced by `per_kind` where given. When
    /// the gateway refuses requests on its own, answering them as
    /// `refused_as` for up to `longest` (`refusals`), answers of that kind
    /// advise that whole wait (an upper bound of the time left), unless a
    /// `Retry-After` is set for them.
    pub(super) fn compile(
        settings: Settings,
        refusals: Option<(UpstreamErrorKind, Duration)>,
    ) -> Result<Self, ConfigError> {
        let everywhere = settings.everywhere;
        let mut per_kind = settings.per_kind;
        let mut waits = Vec::new();
        if let Some((refused_as, longest)) = refusals {
            if everywhere.is_none() && !per_kind.iter().any(|(kind, _)| *kind == refused_as) {
                let seconds = u32::try_from(whole_seconds(longest)).unwrap_or(u32::MAX);
                per_kind.push((refused_as, RetryAfter::seconds(seconds)));
            }
            waits = (0..=whole_seconds(longest).clamp(1, PREPARED_SECONDS))
                .map(HeaderValue::from)
                .collect();
        }
        let mut table = PerKind::from_fn(|_| None);
        for &kind in UpstreamErrorKind::ALL {
            table[kind] = everywhere.map(advice).transpose()?;
        }
        for (kind, value) in per_kind {
            table[kind] = Some(advice(value)?);
        }
        let dated = UpstreamErrorKind::ALL
            .iter()
            .any(|&kind| matches!(table[kind], Some(Advice::Until { .. })));
        Ok(Self {
            per_kind: table,
            dated,
            waits,
        })
    }

    /// The header a kind's answer carries always, if any: a delay. A date
    /// is added per answer, by [`dated`](Self::dated).
    pub(super) fn fixed(&self, kind: UpstreamErrorKind) -> Option<&HeaderValue> {
        match self.per_kind[kind].as_ref()? {
            Advice::Seconds { header, .. } => Some(header),
            Advice::Until { .. } => None,
        }
    }

    /// The delay a kind's answer carries always, in seconds, if any; what
    /// its page tells the visitor to wait.
    pub(super) fn seconds(&self, kind: UpstreamErrorKind) -> Option<u64> {
        self.fixed(kind)?.to_str().ok()?.parse().ok()
    }

    /// The date a kind's answer carries now, while it is in the future.
    pub(super) fn dated(&self, kind: UpstreamErrorKind) -> Option<&HeaderValue> {
        if !self.dated {
            return None;
        }
        match self.per_kind[kind].as_ref()? {
            Advice::Until {
                header, deadline, ..
            } if Instant::now() < *deadline => Some(header),
            _ => None,
        }
    }

    /// `grpc-retry-pushback-ms` for a kind's answer: the delay, or the whole
    /// seconds left until the date; none once the date has passed.
    pub(super) fn pushback(&self, kind: UpstreamErrorKind) -> Option<HeaderValue> {
        match self.per_kind[kind].as_ref()? {
            Advice::Seconds { pushback, .. } => Some(pushback.clone()),
            Advice::Until {
                deadline, pushback, ..
            } => {
                let left = deadline.checked_duration_since(Instant::now())?;
                let seconds = whole_seconds(left);
                if seconds == 0 {
                    return None;
                }
                let mut cached = pushback.lock().unwrap_or_else(|e| e.into_inner());
                match &*cached {
                    Some((at, value)) if *at == seconds => Some(value.clone()),
                    _ => {
                        let value = HeaderValue::from(milliseconds(seconds));
                        *cached = Some((seconds, value.clone()));
                        Some(value)
                    }
                }
            }
        }
    }

    /// `Retry-After` for an answer refused for `wait`: the whole seconds
    /// left, at least 1.
    pub(super) fn for_wait(&self, wait: Duration) -> HeaderValue {
        let seconds = whole_seconds(wait).max(1);
        usize::try_from(seconds)
            .ok()
            .and_then(|seconds| self.waits.get(seconds))
            .cloned()
            .unwrap_or_else(|| HeaderValue::from(seconds))
    }

    /// `grpc-retry-pushback-ms` for a gRPC call refused for `wait`: the
    /// time left, at least a second, as `Retry-After`.
    pub(super) fn pushback_for_wait(wait: Duration) -> HeaderValue {
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        HeaderValue::from(millis.clamp(1000, i32::MAX as u64))
    }
}

/// `duration` rounded up to whole seconds.
fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// `seconds` in milliseconds, at most `i32::MAX`: gRPC clients read the
/// pushback as a 32-bit signed number, and some take a larger one for
/// "do not retry".
fn milliseconds(seconds: u64) -> u64 {
    seconds.saturating_mul(1000).min(i32::MAX as u64)
}

fn advice(retry_after: RetryAfter) -> Result<Advice, ConfigError> {
    let header = retry_after.header_value()?;
    Ok(match retry_after.date() {
        None => {
            let seconds: u64 = header
                .to_str()
                .ok()
                .and_then(|s| s.parse().ok())
                .expect("a delay is written as its seconds");
            Advice::Seconds {
                header,
                pushback: HeaderValue::from(milliseconds(seconds)),
            }
        }
        Some(date) => {
            // The HTTP-date shows whole seconds: stop at the second it
            // shows, not within the one after.
            let shown = date
                .duration_since(UNIX_EPOCH)
                .map(|since| UNIX_EPOCH + Duration::from_secs(since.as_secs()))
                .unwrap_or(date);
            let left = shown
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            Advice::Until {
                header,
                deadline: Instant::now() + left,
                pushback: Mutex::new(None),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushback_stays_within_what_grpc_clients_read() {
        assert_eq!(milliseconds(7), 7_000);
        assert_eq!(milliseconds(u64::from(u32::MAX)), i32::MAX as u64);
        let wait = RetryAfters::pushback_for_wait;
        assert_eq!(wait(Duration::from_millis(14_500)), "14500");
        assert_eq!(wait(Duration::ZERO), "1000", "at least a second");
        assert_eq!(wait(Duration::from_secs(1 << 40)), "2147483647");
    }

    #[test]
    fn a_refused_request_is_told_the_whole_seconds_left() {
        let unavailable = UpstreamErrorKind::DestinationUnavailable;
        let compile = |settings, longest: Option<Duration>| {
            RetryAfters::compile(settings, longest.map(|longest| (unavailable, longest))).unwrap()
        };
        let ten = compile(Settings::default(), Some(Duration::from_secs(10)));
        assert_eq!(ten.for_wait(Duration::from_millis(9_500)), "10");
        assert_eq!(ten.for_wait(Duration::from_millis(500)), "1");
        assert_eq!(
            ten.for_wait(Duration::ZERO),
            "1",
            "while a probe is under way"
        );
        // Past the values made ahead, still the time left.
        assert_eq!(ten.for_wait(Duration::from_secs(7200)), "7200");
        // The refusals' pages advise the whole wait...
        assert_eq!(ten.seconds(unavailable), Some(10));
        assert_eq!(ten.seconds(UpstreamErrorKind::ConnectionRefused), None);
        // ...unless a `Retry-After` is set for them.
        let set = Settings {
            everywhere: Some(RetryAfter::seconds(3)),
            per_kind: vec![],
        };
        assert_eq!(
            compile(set, Some(Duration::from_secs(10))).seconds(unavailable),
            Some(3)
        );
        let rounded = compile(Settings::default(), Some(Duration::from_millis(2_100)));
        assert_eq!(rounded.seconds(unavailable), Some(3), "rounded up");
        assert!(compile(Settings::default(), None)
            .seconds(unavailable)
            .is_none());
    }
}
