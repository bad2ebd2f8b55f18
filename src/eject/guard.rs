//! [`AllEjectedLayer`]: above the balancer, the answer while no endpoint
//! of an [`EndpointSet`](super::EndpointSet) can be tried. A balancer with
//! no ready endpoint waits for one; this answers at once instead.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use super::set_state::SetShared;
use crate::{BoxError, UpstreamError};

/// The layer of an [`EndpointSet`](super::EndpointSet) that goes right
/// above the balancer: under a `Buffer` in front of it (so a request queued
/// there is answered once no endpoint can be tried) and under a `Retry`
/// (each try is asked again; `RetryPolicy` does not retry the refusal).
#[derive(Clone)]
pub struct AllEjectedLayer {
    set: Arc<SetShared>,
}

impl AllEjectedLayer {
    pub(super) fn new(set: Arc<SetShared>) -> Self {
        Self { set }
    }
}

impl fmt::Debug for AllEjectedLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllEjectedLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for AllEjectedLayer {
    type Service = AllEjectedService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AllEjectedService {
            inner,
            set: self.set.clone(),
            refusal: None,
        }
    }
}

/// The service of an [`AllEjectedLayer`]: it answers at once with the
/// refusal of an ejected upstream while every endpoint is ejected or
/// being probed, and passes requests to the balancer otherwise.
pub struct AllEjectedService<S> {
    inner: S,
    set: Arc<SetShared>,
    /// `poll_ready` found no endpoint to try: the next call's answer.
    refusal: Option<UpstreamError>,
}

impl<S: Clone> Clone for AllEjectedService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            set: self.set.clone(),
            refusal: None,
        }
    }
}

impl<S> fmt::Debug for AllEjectedService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllEjectedService").finish_non_exhaustive()
    }
}

impl<S, Request> Service<Request> for AllEjectedService<S>
where
    S: Service<Request>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if self.refusal.is_some() {
            return Poll::Ready(Ok(()));
        }
        if let Some(refusal) = self.set.all_out(Instant::now()) {
            self.refusal = Some(refusal);
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Ready(ready) => Poll::Ready(ready.map_err(Into::into)),
            Poll::Pending => {
                // Woken when an endpoint is ejected, which may leave none.
                self.set.wait(cx.waker());
                // It may have happened just now.
                if let Some(refusal) = self.set.all_out(Instant::now()) {
                    self.refusal = Some(refusal);
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.refusal.take() {
            Some(refusal) => ResponseFuture {
                state: State::Refused {
                    error: Some(refusal),
                },
            },
            None => ResponseFuture {
                state: State::Called {
                    future: self.inner.call(request),
                },
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of an [`AllEjectedService`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        Called { #[pin] future: F },
        Refused { error: Option<UpstreamError> },
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Called { future } => future.poll(cx).map_err(Into::into),
            StateProj::Refused { error } => Poll::Ready(Err(Box::new(
                error
                    .take()
                    .expect("a ResponseFuture is not polled after it is ready"),
            ))),
        }
    }
}
