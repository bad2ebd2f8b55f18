//! [`GatewayErrorService`]: the service [`GatewayErrorLayer`] makes.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use tower_service::Service;

use crate::lifecycle::{Begun, Lifecycle};
use crate::{BoxError, ResponseBody, ResponseFuture, UpstreamError};

/// Answers every failure of the inner service with an error response, so its
/// own error type is [`Infallible`]; made by
/// [`GatewayErrorLayer`](crate::GatewayErrorLayer).
///
/// Backpressure is kept: `poll_ready` waits for the inner service. If the
/// inner `poll_ready` fails, this one still reports ready, and from then on
/// every call is answered with that error's response instead of a dropped
/// connection; the failed inner service is not polled or called again, as
/// tower's `Service` contract requires.
#[derive(Debug)]
pub struct GatewayErrorService<S> {
    inner: S,
    lifecycle: Arc<Lifecycle>,
    /// The failure of the inner `poll_ready`; it answers every later call.
    ready_failure: Option<UpstreamError>,
}

impl<S> GatewayErrorService<S> {
    pub(crate) fn from_lifecycle(inner: S, lifecycle: Arc<Lifecycle>) -> Self {
        Self {
            inner,
            lifecycle,
            ready_failure: None,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B, ResB> Service<Request<B>> for GatewayErrorService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    S::Error: Into<BoxError>,
    ResB: http_body::Body<Data = Bytes>,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.ready_failure.is_some() {
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => {
                self.ready_failure = Some(self.lifecycle.classify(error.into()));
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if let Some(error) = &self.ready_failure {
            return ResponseFuture::refused(self.lifecycle.refuse(&request, error.clone()));
        }
        match self.lifecycle.begin(&request) {
            Begun::Admitted(admitted) => {
                // Kept before the inner service takes the request.
                let kept = self.lifecycle.keep(&request);
                let inner = self.inner.call(request);
                ResponseFuture::calling(inner, &self.lifecycle, admitted, kept)
            }
            Begun::Refused(refusal) => ResponseFuture::refused(refusal),
        }
    }
}

impl<S: Clone> Clone for GatewayErrorService<S> {
    /// A clone polls its own copy of the inner service, so it does not
    /// inherit the original's `poll_ready` failure.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            lifecycle: self.lifecycle.clone(),
            ready_failure: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Waker;

    use super::*;
    use crate::{GatewayErrorLayer, UpstreamErrorKind};

    /// An inner service whose `poll_ready` fails, and that must then never
    /// be polled or called again.
    #[derive(Clone, Default)]
    struct FailsReady {
        polled: usize,
    }

    impl Service<Request<()>> for FailsReady {
        type Response = Response<String>;
        type Error = std::io::Error;
        type Future = std::future::Ready<Result<Response<String>, std::io::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
            self.polled += 1;
            assert_eq!(self.polled, 1, "a failed service is not polled again");
            Poll::Ready(Err(std::io::ErrorKind::ConnectionRefused.into()))
        }

        fn call(&mut self, _: Request<()>) -> Self::Future {
            panic!("a service whose poll_ready failed is not called");
        }
    }

    fn ready_and_call<S>(service: &mut S) -> S::Response
    where
        S: Service<Request<()>, Error = Infallible>,
    {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(service.poll_ready(&mut cx).is_ready());
        let mut future = pin!(service.call(Request::new(())));
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(response)) => response,
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => panic!("the answer to a latched failure is ready at once"),
        }
    }

    #[test]
    fn a_failed_poll_ready_answers_every_later_call() {
        let mut service =
            GatewayErrorService::new(FailsReady::default(), &GatewayErrorLayer::new());
        for _ in 0..3 {
            let response = ready_and_call(&mut service);
            assert_eq!(response.status(), http::StatusCode::BAD_GATEWAY);
            let error = response.extensions().get::<UpstreamError>().unwrap();
            assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
        }
        // A clone polls its own copy of the inner service afresh.
        let mut clone = service.clone();
        clone.inner.polled = 0;
        assert!(clone.ready_failure.is_none());
        ready_and_call(&mut clone);
    }
}
