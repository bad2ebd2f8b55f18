//! [`ResponseFuture`]: waits for the inner service and turns its failure
//! into an error response.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use crate::body::BodyWatch;
use crate::eject::{Attempt, Ejector};
use crate::request::CapturedRequest;
use crate::state::Shared;
use crate::{BoxError, ResponseBody, UpstreamError};

pin_project! {
    /// The future of [`GatewayErrorService`](crate::GatewayErrorService).
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Calling {
            #[pin]
            inner: F,
            failure: Option<Failure>,
        },
        Failed {
            failure: Option<(UpstreamError, Failure)>,
        },
        Done,
    }
}

/// What answering a failure needs; only used if the call fails.
struct Failure {
    shared: Arc<Shared>,
    request: CapturedRequest,
    /// The call as the dead-upstream fast path tracks it, if it does.
    attempt: Option<Attempt>,
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        shared: Arc<Shared>,
        request: CapturedRequest,
        attempt: Option<Attempt>,
    ) -> Self {
        Self {
            state: State::Calling {
                inner,
                failure: Some(Failure {
                    shared,
                    request,
                    attempt,
                }),
            },
        }
    }

    pub(crate) fn failed(
        error: UpstreamError,
        shared: Arc<Shared>,
        request: CapturedRequest,
    ) -> Self {
        Self {
            state: State::Failed {
                failure: Some((
                    error,
                    Failure {
                        shared,
                        request,
                        attempt: None,
                    },
                )),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<ResponseBody<B>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let (error, failure) = match state.as_mut().project() {
            StateProj::Calling { inner, failure } => match inner.poll(cx) {
                // Written out here rather than in a method: as a method,
                // even `#[inline(always)]`, it cost more on every success
                // (callgrind, benches/run-instructions.sh).
                Poll::Ready(Ok(response)) => {
                    if let Some(error) = unrendered(&response) {
                        let mut failure = take(failure);
                        failure.settle(&error);
                        (error, failure)
                    } else {
                        let Failure {
                            shared,
                            request,
                            attempt,
                        } = take(failure);
                        if let Some(attempt) = attempt {
                            attempt.settle(None, ejector(&shared));
                        }
                        if let Some(intercepted) =
                            shared.responder.intercepted(response.status(), &request)
                        {
                            let response =
                                shared
                                    .responder
                                    .replace_body(intercepted, response, &request);
                            state.set(State::Done);
                            return Poll::Ready(Ok(response.map(ResponseBody::generated)));
                        }
                        let grpc_stream = request.is_grpc() && is_grpc_stream(&response);
                        state.set(State::Done);
                        let (head, body) = response.into_parts();
                        let watch = BodyWatch {
                            status: head.status,
                            grpc_stream,
                            shared,
                            request,
                        };
                        return Poll::Ready(Ok(Response::from_parts(
                            head,
                            ResponseBody::watched(body, watch),
                        )));
                    }
                }
                Poll::Ready(Err(error)) => {
                    let mut failure = take(failure);
                    let error = failure.shared.classifier.upstream_error(error.into());
                    failure.settle(&error);
                    (error, failure)
                }
                Poll::Pending => return Poll::Pending,
            },
            StateProj::Failed { failure } => failure
                .take()
                .expect("ResponseFuture polled after completion"),
            StateProj::Done => panic!("ResponseFuture polled after completion"),
        };
        state.set(State::Done);
        let response = failure.shared.answer(error, &failure.request);
        Poll::Ready(Ok(response.map(ResponseBody::generated)))
    }
}

// An error a handler returned as a response (`UpstreamError` as axum's
// `IntoResponse`), which the layer answers with its own settings.
#[cfg(feature = "axum")]
use crate::axum::marker::unrendered;

#[cfg(not(feature = "axum"))]
#[inline]
fn unrendered<B>(_: &Response<B>) -> Option<UpstreamError> {
    None
}

impl Failure {
    /// Tells the fast path, if it tracks this call, that it failed with
    /// `error`.
    #[inline]
    fn settle(&mut self, error: &UpstreamError) {
        if let Some(attempt) = self.attempt.take() {
            attempt.settle(Some(error), ejector(&self.shared));
        }
    }
}

/// The fast path of a layer that made an attempt to track.
fn ejector(shared: &Shared) -> &Ejector {
    shared
        .ejector
        .as_ref()
        .expect("attempts are made by the layer's ejector")
}

/// Whether the upstream answered a gRPC call with a gRPC stream (a 200 of a
/// gRPC content type), not with an error page of its own.
fn is_grpc_stream<B>(response: &Response<B>) -> bool {
    response.status() == http::StatusCode::OK
        && response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
}

/// The failure context of a call still in progress, which is always there.
/// Inlined: out of line it cost more on every successful call (callgrind,
/// benches/run-instructions.sh).
#[inline]
fn take(failure: &mut Option<Failure>) -> Failure {
    failure
        .take()
        .expect("a pending call keeps its failure context")
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Calling { .. } => "calling",
            State::Failed { .. } => "failed",
            State::Done => "done",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::Waker;

    use bytes::Bytes;
    use http::{Request, StatusCode};

    use super::*;
    use crate::GatewayErrorLayer;

    fn poll_once<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("ready futures make a ready answer"),
        }
    }

    fn future_of<B>(
        result: Result<Response<B>, std::io::Error>,
    ) -> ResponseFuture<std::future::Ready<Result<Response<B>, std::io::Error>>> {
        let layer = GatewayErrorLayer::new();
        let shared = layer.shared().clone();
        let request = shared.capture.capture(&Request::new(()));
        ResponseFuture::new(std::future::ready(result), shared, request, None)
    }

    #[test]
    fn a_response_passes_through_with_its_body_watched() {
        let upstream = Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(String::from("upstream's own"))
            .unwrap();
        let Ok(response) = poll_once(future_of(Ok(upstream)));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.extensions().get::<UpstreamError>().is_none());
        assert_eq!(
            http_body::Body::size_hint(response.body()).exact(),
            Some(14)
        );
    }

    #[test]
    fn a_failure_becomes_the_answer_carrying_its_error() {
        let failed = Err(std::io::ErrorKind::ConnectionReset.into());
        let Ok(response) = poll_once(future_of::<Bytes>(failed));
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let error = response.extensions().get::<UpstreamError>().unwrap();
        assert_eq!(error.kind(), crate::UpstreamErrorKind::ConnectionTerminated);
        assert_eq!(
            format!(
                "{:?}",
                future_of::<Bytes>(Err(std::io::ErrorKind::Other.into()))
            ),
            "ResponseFuture { state: \"calling\" }"
        );
    }
}
