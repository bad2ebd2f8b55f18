//! `ReadBody`: a request's body read in full, so a retry can send it
//! again.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use tower::Service;
use tower_gateway_error::{UpstreamError, UpstreamErrorKind};

use super::BoxError;

/// Reads a request's body in full, up to `limit` bytes, so that `Retry`
/// below can send it again (as nginx's `proxy_request_buffering`). A body
/// over the limit is not forwarded: `http_request_denied`, which the
/// layer answers 413 (`Args::layer_builder`); one the client breaks off is
/// `http_request_error` (400).
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

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was made ready goes with the request; a clone
        // stays for the next `poll_ready`.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limit = self.limit;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
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
            inner
                .call(Request::from_parts(parts, Full::new(bytes)))
                .await
        })
    }
}
