//! The state an [`EndpointSet`](super::EndpointSet) keeps: one per
//! endpoint (its run of failures, its ejection, its probe) and what the
//! set shares (the settings, the cap, the endpoints alive, the guards
//! waiting). The services of `endpoint.rs` and `guard.rs` drive it.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

use super::health::Outcome;
use super::{report, Ejected, Ejector};
use crate::{Classifier, UpstreamError};

/// One endpoint's state.
#[derive(Default)]
pub(super) struct EndpointState {
    /// Nothing to remember: no failure in a row, not ejected. The path of
    /// a healthy endpoint reads this and takes no lock.
    clean: AtomicBool,
    tracked: Mutex<Tracked>,
}

#[derive(Default)]
struct Tracked {
    failures: u32,
    /// Ejected (out of the balancer's choice) until then; after it, out
    /// until a probe succeeds.
    until: Option<Instant>,
    /// When the probe under way started; also its name, so that a late
    /// probe cannot end the one that took over from it.
    probe: Option<Instant>,
    /// The endpoint's service, waiting: woken when it may be ready again
    /// (a probe ended, an answer brought it back).
    waker: Option<Waker>,
}

/// What an endpoint's `poll_ready` may do now.
pub(super) enum Readiness {
    Serve,
    /// Wait until then: its probe is due, or a probe under way is taken
    /// over.
    WaitUntil(Instant),
}

impl EndpointState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.tracked.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn readiness(&self, now: Instant, waker: &Waker, duration: Duration) -> Readiness {
        if self.clean.load(Ordering::Acquire) {
            return Readiness::Serve;
        }
        let mut tracked = self.lock();
        let wait = match (tracked.until, tracked.probe) {
            (None, _) => return Readiness::Serve,
            (Some(until), _) if now < until => until,
            // A probe that has taken longer than the wait itself (a
            // connect with no timeout) is taken over, so a hung probe
            // cannot keep the endpoint out.
            (Some(_), Some(started)) if now < started + duration => started + duration,
            // The probe is due: ready for one request, which `call` makes
            // the probe (not here: a balancer polls endpoints it may not
            // choose).
            (Some(_), _) => return Readiness::Serve,
        };
        tracked.waker = Some(waker.clone());
        Readiness::WaitUntil(wait)
    }

    /// The probe's start, when a call at `now` is the probe.
    pub(super) fn claim_probe(&self, now: Instant, duration: Duration) -> Option<Instant> {
        if self.clean.load(Ordering::Acquire) {
            return None;
        }
        let mut tracked = self.lock();
        let due = tracked.until.is_some_and(|until| now >= until);
        let free = tracked
            .probe
            .is_none_or(|started| now >= started + duration);
        if due && free {
            tracked.probe = Some(now);
            Some(now)
        } else {
            None
        }
    }

    /// Whether it is out of the set at `now`: ejected, its probe not yet
    /// answered.
    pub(super) fn is_ejected(&self) -> bool {
        !self.clean.load(Ordering::Acquire) && self.lock().until.is_some()
    }

    /// How long it cannot be tried for at `now`: the time to its probe,
    /// zero while its probe is under way; `None` when it can be tried.
    pub(super) fn out_for(&self, now: Instant, duration: Duration) -> Option<Duration> {
        if self.clean.load(Ordering::Acquire) {
            return None;
        }
        let tracked = self.lock();
        let until = tracked.until?;
        if now < until {
            return Some(until - now);
        }
        match tracked.probe {
            Some(started) if now < started + duration => Some(Duration::ZERO),
            _ => None,
        }
    }

    /// Records how a call went; `probe` is the probe's start when it was
    /// the probe.
    pub(super) fn record(&self, outcome: Outcome, probe: Option<Instant>, set: &SetShared) {
        if outcome == Outcome::Reached && probe.is_none() && self.clean.load(Ordering::Acquire) {
            return;
        }
        let now = Instant::now();
        let ejector = &set.ejector;
        // Whether to eject it: asked of the set without this endpoint's
        // lock held, since the set looks at every endpoint's.
        let wants_out = {
            let mut tracked = self.lock();
            if outcome == Outcome::Unreachable {
                tracked.failures = (tracked.failures + 1).min(ejector.after);
            }
            outcome == Outcome::Unreachable
                && (probe.is_some()
                    || (tracked.failures >= ejector.after && tracked.until.is_none()))
        };
        let may_eject = wants_out && set.may_eject(self);
        let mut ejected = false;
        let waker;
        {
            let mut tracked = self.lock();
            match outcome {
                Outcome::Reached => {
                    if tracked.until.is_some() {
                        report::recovered();
                    }
                    tracked.failures = 0;
                    tracked.until = None;
                }
                Outcome::Unreachable if wants_out => {
                    if may_eject {
                        if probe.is_some() {
                            report::probe_failed(ejector.duration);
                        } else {
                            report::ejected(tracked.failures, ejector.duration);
                        }
                        tracked.until = Some(now + ejector.duration);
                        ejected = true;
                    } else {
                        // The cap is reached: it stays in, and its next
                        // failure asks again.
                        tracked.until = None;
                    }
                }
                Outcome::Unreachable | Outcome::Unknown => {}
            }
            if probe.is_some() && tracked.probe == probe {
                tracked.probe = None;
            }
            let clean = tracked.failures == 0 && tracked.until.is_none();
            self.clean.store(clean, Ordering::Release);
            // Whatever changed, a waiting service looks again.
            waker = tracked.waker.take();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        if ejected {
            set.wake_waiters();
        }
    }

    /// The probe that started at `started` ended without telling anything.
    pub(super) fn end_probe(&self, started: Instant) {
        let waker = {
            let mut tracked = self.lock();
            if tracked.probe == Some(started) {
                tracked.probe = None;
            }
            tracked.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What the endpoints of a set, and its guard, share.
pub(super) struct SetShared {
    pub(super) ejector: Ejector,
    pub(super) classifier: Classifier,
    /// The share of the set that may be ejected at once, in percent.
    max_ejected_percent: AtomicU8,
    endpoints: Mutex<Vec<Weak<EndpointState>>>,
    /// Guards waiting for the balancer, woken when an endpoint is ejected
    /// (which may leave none to try).
    waiters: Mutex<Vec<Waker>>,
}

/// The most guards' wakers kept at once.
const MAX_WAITERS: usize = 64;

impl SetShared {
    pub(super) fn new(ejector: Ejector, classifier: Classifier) -> Self {
        Self {
            ejector,
            classifier,
            max_ejected_percent: AtomicU8::new(100),
            endpoints: Mutex::default(),
            waiters: Mutex::default(),
        }
    }

    pub(super) fn max_ejected_percent(&self) -> u8 {
        self.max_ejected_percent.load(Ordering::Relaxed)
    }

    pub(super) fn set_max_ejected_percent(&self, percent: u8) {
        self.max_ejected_percent.store(percent, Ordering::Relaxed);
    }
    pub(super) fn register(&self, endpoint: &Arc<EndpointState>) {
        let mut endpoints = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        // Endpoints removed from the balancer's set are forgotten here.
        endpoints.retain(|weak| weak.strong_count() > 0);
        endpoints.push(Arc::downgrade(endpoint));
    }

    pub(super) fn alive(&self) -> Vec<Arc<EndpointState>> {
        let mut endpoints = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        endpoints.retain(|weak| weak.strong_count() > 0);
        endpoints.iter().filter_map(Weak::upgrade).collect()
    }

    /// Whether `candidate` may be ejected now without taking more of the
    /// set out than the cap allows (at least one endpoint always may).
    pub(super) fn may_eject(&self, candidate: &EndpointState) -> bool {
        let percent = self.max_ejected_percent.load(Ordering::Relaxed);
        if percent >= 100 {
            return true;
        }
        let endpoints = self.alive();
        let allowed = (endpoints.len() * usize::from(percent) / 100).max(1);
        let others = endpoints
            .iter()
            .filter(|e| !std::ptr::eq(&***e, candidate) && e.is_ejected())
            .count();
        others < allowed
    }

    /// The refusal for a request while no endpoint can be tried: every
    /// one is ejected or being probed. `None` while one can be.
    pub(super) fn all_out(&self, now: Instant) -> Option<UpstreamError> {
        let endpoints = self.alive();
        if endpoints.is_empty() {
            return None;
        }
        let mut soonest: Option<Duration> = None;
        for endpoint in &endpoints {
            let wait = endpoint.out_for(now, self.ejector.duration)?;
            soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
        }
        let left = soonest.unwrap_or_default();
        Some(UpstreamError::new(
            Ejector::REFUSED_AS,
            Ejected {
                left,
                failures: self.ejector.after,
            },
        ))
    }

    /// Asks to be woken when an endpoint is ejected.
    pub(super) fn wait(&self, waker: &Waker) {
        let woken = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            if waiters.iter().any(|w| w.will_wake(waker)) {
                return;
            }
            // Guards above a `Buffer` wait from many tasks: past a bound,
            // all are woken (they look again, and wait again if need be)
            // rather than the list growing while the set stays healthy.
            let woken = if waiters.len() >= MAX_WAITERS {
                std::mem::take(&mut *waiters)
            } else {
                Vec::new()
            };
            waiters.push(waker.clone());
            woken
        };
        for waker in woken {
            waker.wake();
        }
    }

    /// An endpoint was ejected: guards waiting may now find none left.
    pub(super) fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|e| e.into_inner()));
        for waker in waiters {
            waker.wake();
        }
    }
}
