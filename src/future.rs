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

use crate::lifecycle::{Admitted, Call, Kept, Lifecycle, Passage, Refusal};
use crate::{BoxError, ResponseBody};

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
            // Always there until the call ends.
            call: Option<Call>,
        },
        Refused {
            refusal: Option<Refusal>,
        },
        Done,
    }
}

impl<F> ResponseFuture<F> {
    /// The future of an `admitted` request, `kept`, to the upstream of
    /// `lifecycle`, called by `inner`.
    #[inline(always)]
    pub(crate) fn calling(
        inner: F,
        lifecycle: &Arc<Lifecycle>,
        admitted: Admitted,
        kept: Kept,
    ) -> Self {
        Self {
            state: State::Calling {
                inner,
                call: Some(admitted.call(lifecycle, kept)),
            },
        }
    }

    /// The future of a request answered without calling the upstream.
    pub(crate) fn refused(refusal: Refusal) -> Self {
        Self {
            state: State::Refused {
                refusal: Some(refusal),
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
        let answer = match state.as_mut().project() {
            StateProj::Calling { inner, call } => match inner.poll(cx) {
                Poll::Ready(Ok(response)) => {
                    let call = take(call);
                    state.set(State::Done);
                    let (mut head, body) = response.into_parts();
                    return Poll::Ready(Ok(match call.on_response(&mut head) {
                        Passage::Through(watch) => {
                            Response::from_parts(head, ResponseBody::watched(body, watch))
                        }
                        Passage::Answered(answer) => answer.map(ResponseBody::generated),
                    }));
                }
                Poll::Ready(Err(error)) => take(call).on_error(error.into()),
                Poll::Pending => return Poll::Pending,
            },
            StateProj::Refused { refusal } => refusal
                .take()
                .expect("ResponseFuture polled after completion")
                .answer(),
            StateProj::Done => panic!("ResponseFuture polled after completion"),
        };
        state.set(State::Done);
        Poll::Ready(Ok(answer.map(ResponseBody::generated)))
    }
}

/// The call of a future still calling, which is always there. Inlined: out
/// of line it cost more on every successful call (callgrind,
/// benches/run-instructions.sh).
#[inline]
fn take(call: &mut Option<Call>) -> Call {
    call.take().expect("a pending call keeps its call")
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Calling { .. } => "calling",
            State::Refused { .. } => "refused",
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
    use crate::lifecycle::Begun;
    use crate::{GatewayErrorLayer, UpstreamError};

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
        let lifecycle = layer.lifecycle();
        let request = Request::new(());
        let Begun::Admitted(admitted) = lifecycle.begin(&request) else {
            unreachable!("no fast path")
        };
        let kept = lifecycle.keep(&request);
        ResponseFuture::calling(std::future::ready(result), lifecycle, admitted, kept)
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
