//! [`ResponseFuture`]: waits for the inner service and turns its failure (or
//! the response timeout) into an error response.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::Response;
use pin_project_lite::pin_project;
use tokio::time::Sleep;

use crate::body::BodyWatch;
use crate::error::ResponseTimeout;
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
            #[pin]
            deadline: Option<Sleep>,
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
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, shared: Arc<Shared>, request: CapturedRequest) -> Self {
        let deadline = shared.response_timeout.map(tokio::time::sleep);
        Self {
            state: State::Calling {
                inner,
                deadline,
                failure: Some(Failure { shared, request }),
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
                failure: Some((error, Failure { shared, request })),
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
            StateProj::Calling {
                inner,
                deadline,
                failure,
            } => match inner.poll(cx) {
                // Written out here rather than in a method: as a method,
                // even `#[inline(always)]`, it cost more on every success
                // (callgrind, benches/run-instructions.sh).
                Poll::Ready(Ok(response)) => {
                    if let Some(error) = unrendered(&response) {
                        (error, take(failure))
                    } else {
                        let Failure { shared, request } = take(failure);
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
                        let watch = BodyWatch {
                            status: response.status(),
                            shared,
                            request,
                        };
                        state.set(State::Done);
                        return Poll::Ready(Ok(
                            response.map(|body| ResponseBody::watched(body, watch))
                        ));
                    }
                }
                Poll::Ready(Err(error)) => {
                    let failure = take(failure);
                    let error = failure.shared.classifier.upstream_error(error.into());
                    (error, failure)
                }
                Poll::Pending => {
                    let Some(deadline) = deadline.as_pin_mut() else {
                        return Poll::Pending;
                    };
                    ready!(deadline.poll(cx));
                    let failure = take(failure);
                    let after = failure.shared.response_timeout.unwrap_or_default();
                    let error = UpstreamError::new(
                        crate::UpstreamErrorKind::HttpResponseTimeout,
                        ResponseTimeout { after },
                    );
                    (error, failure)
                }
            },
            StateProj::Failed { failure } => failure
                .take()
                .expect("ResponseFuture polled after completion"),
            StateProj::Done => panic!("ResponseFuture polled after completion"),
        };
        // Dropping the inner future now also cancels the upstream call when
        // the deadline fired.
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
