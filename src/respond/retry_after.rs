//! `Retry-After` per kind, rendered when the layer is built, and its gRPC
//! counterpart `grpc-retry-pushback-ms`. A date is sent only while it is in
//! the future.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use tokio::time::Instant;

use crate::error::PerKind;
use crate::retry::RetryAfter;
use crate::{ConfigError, UpstreamErrorKind};

/// The advice each kind's answer carries, if any.
#[derive(Debug)]
pub(crate) struct RetryAfters(PerKind<Option<Advice>>);

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

impl RetryAfters {
    /// `everywhere` for every kind, replaced by `per_kind` where given.
    pub(crate) fn compile(
        everywhere: Option<RetryAfter>,
        per_kind: Vec<(UpstreamErrorKind, RetryAfter)>,
    ) -> Result<Self, ConfigError> {
        let mut table = PerKind::from_fn(|_| None);
        for &kind in UpstreamErrorKind::ALL {
            table[kind] = everywhere.map(advice).transpose()?;
        }
        for (kind, value) in per_kind {
            table[kind] = Some(advice(value)?);
        }
        Ok(Self(table))
    }

    /// The header a kind's answer carries always, if any: a delay. A date
    /// is added per answer, by [`dated`](Self::dated).
    pub(crate) fn fixed(&self, kind: UpstreamErrorKind) -> Option<&HeaderValue> {
        match self.0[kind].as_ref()? {
            Advice::Seconds { header, .. } => Some(header),
            Advice::Until { .. } => None,
        }
    }

    /// The delay a kind's answer carries always, in seconds, if any; what
    /// its page tells the visitor to wait.
    pub(crate) fn seconds(&self, kind: UpstreamErrorKind) -> Option<u64> {
        self.fixed(kind)?.to_str().ok()?.parse().ok()
    }

    /// The date a kind's answer carries now, while it is in the future.
    pub(crate) fn dated(&self, kind: UpstreamErrorKind) -> Option<&HeaderValue> {
        match self.0[kind].as_ref()? {
            Advice::Until {
                header, deadline, ..
            } if Instant::now() < *deadline => Some(header),
            _ => None,
        }
    }

    /// `grpc-retry-pushback-ms` for a kind's answer: the delay, or the whole
    /// seconds left until the date; none once the date has passed.
    pub(crate) fn pushback(&self, kind: UpstreamErrorKind) -> Option<HeaderValue> {
        match self.0[kind].as_ref()? {
            Advice::Seconds { pushback, .. } => Some(pushback.clone()),
            Advice::Until {
                deadline, pushback, ..
            } => {
                let left = deadline.checked_duration_since(Instant::now())?;
                let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
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

    /// Whether some kind's advice is a date, checked per answer.
    pub(crate) fn has_dates(&self) -> bool {
        UpstreamErrorKind::ALL
            .iter()
            .any(|&kind| matches!(self.0[kind], Some(Advice::Until { .. })))
    }
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
    }
}
