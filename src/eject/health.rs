//! One upstream's state: its run of failures, whether it is ejected and
//! until when, and which probe, if any, is under way. Atomics, so that a
//! request to a healthy upstream reads one value and writes none.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::{report, Ejector};
use crate::UpstreamError;

#[derive(Debug, Default)]
pub(super) struct Health {
    /// When the wait ends, on the ejector's clock; 0 while served.
    until: AtomicU64,
    /// Failures to reach the upstream in a row, up to the number that
    /// ejects it.
    failures: AtomicU32,
    /// When the probe under way started, on the ejector's clock; 0 when
    /// none is. Also the probe's name: only the request that started it
    /// can end it, so a late probe cannot free a newer one's slot.
    probe: AtomicU64,
    /// When a request last used this state, for the keyed table.
    last_used: AtomicU64,
}

/// How a call to the upstream went, for its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The upstream answered, or failed after it was reached.
    Reached,
    /// It could not be reached: a failure that counts.
    Unreachable,
    /// Nothing was learnt of it: the call was refused or timed out before
    /// the upstream was known to be reached (shed by `LoadShed`, a closed
    /// `Buffer`, a timeout, the gateway's own decisions).
    Unknown,
}

impl Health {
    /// `Ok(probe)` when a request at `now` may call the upstream, with the
    /// probe's start when it is the probe, or the milliseconds left (zero
    /// while a probe is under way).
    #[inline]
    pub(super) fn admit(&self, now: u64, ejector: &Ejector) -> Result<Option<u64>, u64> {
        let until = self.until.load(Ordering::Acquire);
        if until == 0 {
            return Ok(None);
        }
        if now < until {
            return Err(until - now);
        }
        // The wait is over: one probe at a time, and a probe that has
        // taken longer than the wait itself (a connect with no timeout
        // below the layer) is taken over, so a hung probe cannot keep the
        // upstream shut.
        let current = self.probe.load(Ordering::Acquire);
        if current != 0 && now.saturating_sub(current) < ejector.duration_ms() {
            return Err(0);
        }
        if self
            .probe
            .compare_exchange(current, now, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(0);
        }
        // A probe that failed between the two loads above started a new
        // wait: this request is not a probe after all.
        let until = self.until.load(Ordering::Acquire);
        if until > now {
            self.end_probe(now);
            return Err(until - now);
        }
        Ok(Some(now))
    }

    /// Marks a use at `now`.
    pub(super) fn touch(&self, now: u64) {
        if self.last_used.load(Ordering::Relaxed) != now {
            self.last_used.store(now, Ordering::Relaxed);
        }
    }

    /// Whether this state may be forgotten when the table is full at
    /// `now`: not ejected with time left and no probe under way; those
    /// with nothing to remember first, then those unused the longest.
    pub(super) fn forgettable(&self, now: u64) -> Option<(bool, u64)> {
        let until = self.until.load(Ordering::Relaxed);
        if (until != 0 && until > now) || self.probe.load(Ordering::Relaxed) != 0 {
            return None;
        }
        let clear = until == 0 && self.failures.load(Ordering::Relaxed) == 0;
        Some((!clear, self.last_used.load(Ordering::Relaxed)))
    }

    fn end_probe(&self, started: u64) {
        let _ = self
            .probe
            .compare_exchange(started, 0, Ordering::AcqRel, Ordering::Relaxed);
    }

    fn record(&self, outcome: Outcome, probe: Option<u64>, ejector: &Ejector, now: u64) {
        match outcome {
            Outcome::Unreachable => {
                let until = now + ejector.duration_ms();
                if probe.is_some() {
                    self.until.store(until, Ordering::Release);
                    report::probe_failed(ejector.duration);
                } else {
                    let failures = self.failures.load(Ordering::Relaxed);
                    let failures = if failures < ejector.after {
                        self.failures.fetch_add(1, Ordering::AcqRel) + 1
                    } else {
                        failures
                    };
                    if failures >= ejector.after {
                        // Once: calls that were under way when it was
                        // ejected do not lengthen the wait.
                        let ejected = self.until.compare_exchange(
                            0,
                            until,
                            Ordering::AcqRel,
                            Ordering::Relaxed,
                        );
                        if ejected.is_ok() {
                            report::ejected(failures, ejector.duration);
                        }
                    }
                }
            }
            Outcome::Reached => {
                if self.failures.load(Ordering::Relaxed) != 0 {
                    self.failures.store(0, Ordering::Relaxed);
                }
                if self.until.load(Ordering::Relaxed) != 0
                    && self.until.swap(0, Ordering::AcqRel) != 0
                {
                    report::recovered();
                }
            }
            Outcome::Unknown => {}
        }
        if let Some(started) = probe {
            self.end_probe(started);
        }
    }
}

/// A call under way to a tracked upstream. Settled by its outcome; a probe
/// dropped unsettled (its caller went away) frees the probe for the next
/// request.
#[derive(Debug)]
pub(crate) struct Attempt {
    health: Arc<Health>,
    /// When this call is the probe, when it started; 0 when it is not (the
    /// clock starts at 1). Not an `Option`, which would make every
    /// response future 8 bytes larger to move.
    probe: u64,
}

impl Attempt {
    pub(super) fn new(health: Arc<Health>, probe: Option<u64>) -> Self {
        Self {
            health,
            probe: probe.unwrap_or(0),
        }
    }

    /// Records the outcome: `error` is the call's failure, `None` when the
    /// upstream answered.
    pub(crate) fn settle(mut self, error: Option<&UpstreamError>, ejector: &Ejector) {
        let outcome = match error {
            None => Outcome::Reached,
            Some(error) => ejector.outcome(error),
        };
        let probe = Some(std::mem::take(&mut self.probe)).filter(|&started| started != 0);
        if outcome == Outcome::Reached && probe.is_none() {
            // The common case, without reading the clock.
            self.health.record(outcome, None, ejector, 0);
        } else {
            self.health.record(outcome, probe, ejector, ejector.now());
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.probe != 0 {
            self.health.end_probe(self.probe);
        }
    }
}
