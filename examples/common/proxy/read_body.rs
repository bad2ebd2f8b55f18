//! `ReadBody`: a request's body read in full, so a retry can send it
//! again.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use tower::{Service, ServiceExt};
use tower_gateway_error::{UpstreamError, UpstreamErrorKind};

use super::BoxError;

/// Reads a request's body in full, up to `limit` bytes, so that `Retry`
/// below can send it again (as nginx's `proxy_request_buffering`). A body
/// over the limit is not forwarded: `http_request_denied`, which the
/// layer answers 413 (`Args::layer_builder`); one the client breaks off is
/// `http_request_error` (400). Request trailers are not kept, and a
/// request that streams (gRPC client streaming, a long upload) waits for
/// its end: a proxy for those should not buffer, nor retry after sending.
///
/// It is always ready, and readies the service below only once it has the
/// body: a slow upload must not hold a place in the `Buffer` in front of
/// the balancer, or a concurrency permit below, while it arrives.
#[derive(Clone)]
pub struct ReadBody<S> {
    pub(super) inner: S,
    pub(super) limit: usize,
}

impl<S, B> Service<Request<B>> for ReadBody<S>
where
    S: Service<Request<Full<Bytes>>, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        let limit = self.limit;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let too_large = || -> BoxError {
                Box::new(UpstreamError::new(
                    UpstreamErrorKind::HttpRequestDenied,
                    format!("request body over --max-request-body ({limit} bytes)"),
                ))
            };
            // A declared length over the limit is turned down unread.
            if body.size_hint().lower() > limit as u64 {
                return Err(too_large());
            }
            let bytes = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) if error.is::<LengthLimitError>() => return Err(too_large()),
                Err(error) => {
                    return Err(Box::new(UpstreamError::new(
                        UpstreamErrorKind::HttpRequestError,
                        error,
                    )))
                }
            };
            // The body is here: the client's `100-continue` was answered by
            // reading it, and the upstream has nothing to wait for.
            parts.headers.remove(http::header::EXPECT);
            inner
                .oneshot(Request::from_parts(parts, Full::new(bytes)))
                .await
        })
    }
}
