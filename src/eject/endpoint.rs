//! One endpoint of an [`EndpointSet`](super::EndpointSet): its state, and
//! the service around its client that takes it out of the balancer's
//! choice while it is ejected. An ejected endpoint is not ready: its
//! `poll_ready` waits, with a timer, until its probe is due, so a balancer
//! (which sends only to ready endpoints) sends it nothing meanwhile.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http::{Request, Response};
use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

use super::health::Outcome;
use super::report;
use super::set::SetShared;
use crate::BoxError;

/// The layer of an [`EndpointSet`](super::EndpointSet) that goes around
/// each endpoint's client, under the balancer. Each service it makes is a
/// new endpoint of the set, with its own run of failures.
#[derive(Clone)]
pub struct EndpointLayer {
    set: Arc<SetShared>,
}

impl EndpointLayer {
    pub(super) fn new(set: Arc<SetShared>) -> Self {
        Self { set }
    }
}

impl fmt::Debug for EndpointLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for EndpointLayer {
    type Service = EndpointService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let state = Arc::new(EndpointState::default());
        self.set.register(&state);
        EndpointService {
            inner,
            state,
            set: self.set.clone(),
            timer: None,
        }
    }
}

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
enum Readiness {
    Serve,
    /// Wait until then: its probe is due, or a probe under way is taken
    /// over.
    WaitUntil(Instant),
}

impl EndpointState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.tracked.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn readiness(&self, now: Instant, waker: &Waker, duration: Duration) -> Readiness {
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
    fn claim_probe(&self, now: Instant, duration: Duration) -> Option<Instant> {
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
    fn record(&self, outcome: Outcome, probe: Option<Instant>, set: &SetShared) {
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
    fn end_probe(&self, started: Instant) {
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

/// The service of one endpoint of an [`EndpointSet`](super::EndpointSet);
/// made by its [`EndpointLayer`].
pub struct EndpointService<S> {
    inner: S,
    state: Arc<EndpointState>,
    set: Arc<SetShared>,
    /// Wakes `poll_ready` when the probe is due. Boxed: made once per
    /// ejection, not per request.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> fmt::Debug for EndpointService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointService")
            .field("ejected", &self.state.is_ejected())
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for EndpointService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<ResBody>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let duration = self.set.ejector.duration;
        loop {
            match self.state.readiness(Instant::now(), cx.waker(), duration) {
                Readiness::Serve => {
                    self.timer = None;
                    return self.inner.poll_ready(cx).map_err(Into::into);
                }
                Readiness::WaitUntil(until) => {
                    let timer = self
                        .timer
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
                    if timer.deadline() != until {
                        timer.as_mut().reset(until);
                    }
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // Due already: look again.
                }
            }
        }
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let duration = self.set.ejector.duration;
        let probe = self.state.claim_probe(Instant::now(), duration);
        ResponseFuture {
            future: self.inner.call(request),
            settle: Some(Settle {
                state: self.state.clone(),
                set: self.set.clone(),
                probe,
            }),
        }
    }
}

/// What records a call's outcome on its endpoint.
struct Settle {
    state: Arc<EndpointState>,
    set: Arc<SetShared>,
    /// When this call is the probe, when it started.
    probe: Option<Instant>,
}

impl Drop for Settle {
    fn drop(&mut self) {
        // Dropped unsettled (its caller went away): nothing was learnt.
        if let Some(started) = self.probe {
            self.state.end_probe(started);
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of an [`EndpointService`].
    pub struct ResponseFuture<F> {
        #[pin]
        future: F,
        settle: Option<Settle>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<ResBody>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.future.poll(cx)).map_err(Into::into);
        if let Some(mut settle) = this.settle.take() {
            let set = &settle.set;
            let outcome = match &result {
                // An answer a proxy made up for its own failure is that
                // failure.
                Ok(response) => match set.classifier.recognize_response(response) {
                    Some(error) => set.ejector.outcome(&error),
                    None => Outcome::Reached,
                },
                Err(error) => {
                    let seen = set.classifier.classification(&**error);
                    let retry_safe = seen.request_not_sent || seen.kind.is_retry_safe();
                    set.ejector.outcome_of(seen.kind, retry_safe)
                }
            };
            let probe = settle.probe.take();
            settle.state.record(outcome, probe, set);
        }
        Poll::Ready(result)
    }
}
