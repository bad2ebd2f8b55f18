//! One upstream's state: its run of failures, whether it is ejected and
//! until when, and whether a probe is under way. Atomics, so that a
//! request to a healthy upstream reads one value and writes none.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::Ejector;
use crate::UpstreamError;

#[derive(Debug, Default)]
pub(super) struct Health {
    /// When the wait ends, on the ejector's clock; 0 while served.
    until: AtomicU64,
    /// Failures to reach the upstream in a row.
    failures: AtomicU32,
    /// Whether a request holds the one probe.
    probing: AtomicBool,
}

impl Health {
    /// `Ok(is_probe)` when a request at `now` may call the upstream, or
    /// the milliseconds left (zero while a probe is under way).
    #[inline]
    pub(super) fn admit(&self, now: u64) -> Result<bool, u64> {
        let until = self.until.load(Ordering::Acquire);
        if until == 0 {
            return Ok(false);
        }
        if now < until {
            return Err(until - now);
        }
        match self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(true),
            Err(_) => Err(0),
        }
    }

    /// Whether this upstream has nothing to remember: no failures, not
    /// ejected. Such an entry may be forgotten when the table is full.
    pub(super) fn is_clear(&self) -> bool {
        self.failures.load(Ordering::Relaxed) == 0 && self.until.load(Ordering::Relaxed) == 0
    }

    /// A failure to reach the upstream at `now`.
    fn unreachable(&self, probe: bool, ejector: &Ejector, now: u64) {
        let until = now + ejector.duration_ms();
        if probe {
            self.until.store(until, Ordering::Release);
            self.probing.store(false, Ordering::Release);
            return;
        }
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if failures >= ejector.after {
            // Once: failures of calls that were under way when it was
            // ejected do not lengthen the wait.
            if self
                .until
                .compare_exchange(0, until, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                self.probing.store(false, Ordering::Release);
            }
        }
    }

    /// The upstream was reached: the run ends, and so does an ejection.
    #[inline]
    fn reached(&self, probe: bool) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
        if self.until.load(Ordering::Relaxed) != 0 {
            self.until.store(0, Ordering::Release);
        }
        if probe {
            self.probing.store(false, Ordering::Release);
        }
    }
}

/// A call under way to a tracked upstream. Settled by its outcome; a probe
/// dropped unsettled (its caller went away) frees the probe for the next
/// request.
#[derive(Debug)]
pub(crate) struct Attempt {
    health: Arc<Health>,
    probe: bool,
}

impl Attempt {
    pub(super) fn new(health: Arc<Health>, probe: bool) -> Self {
        Self { health, probe }
    }

    /// Records the outcome: `error` is the call's failure, `None` when the
    /// upstream answered.
    pub(crate) fn settle(mut self, error: Option<&UpstreamError>, ejector: &Ejector) {
        let probe = std::mem::take(&mut self.probe);
        match error {
            Some(error) if ejector.counts(error) => {
                self.health.unreachable(probe, ejector, ejector.now())
            }
            _ => self.health.reached(probe),
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.probe {
            self.health.probing.store(false, Ordering::Release);
        }
    }
}
