//! One endpoint of an [`EndpointSet`](super::EndpointSet): the service
//! around its client that takes it out of the balancer's choice while it
//! is ejected (its state is in `set_state.rs`). An ejected endpoint is not ready: its
//! `poll_ready` waits, with a timer, until its probe is due, so a balancer
//! (which sends only to ready endpoints) sends it nothing meanwhile.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

use super::health::Outcome;
use super::set_state::{EndpointState, Readiness, SetShared};
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
