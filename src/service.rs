//! [`GatewayErrorService`]: the service [`GatewayErrorLayer`] makes.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use tower_service::Service;

use crate::settings::Settings;
use crate::{BoxError, FailedRequest, GatewayErrorLayer, ResponseBody, ResponseFuture};

/// Answers every failure of the inner service with an error response, so its
/// own error type is [`Infallible`]; made by [`GatewayErrorLayer`].
///
/// Backpressure is kept: `poll_ready` waits for the inner service. If the
/// inner `poll_ready` fails, this one still reports ready and the next call
/// is answered with an error response instead of a dropped connection.
pub struct GatewayErrorService<S> {
    inner: S,
    settings: Arc<Settings>,
    /// The error the inner `poll_ready` returned, answered by the next call.
    ready_error: Option<BoxError>,
}

impl<S> GatewayErrorService<S> {
    /// Wraps `inner` with the settings of `layer`.
    pub fn new(inner: S, layer: &GatewayErrorLayer) -> Self {
        Self {
            inner,
            settings: layer.settings().clone(),
            ready_error: None,
        }
    }

    /// A [`GatewayErrorLayer`] with default settings, for use with
    /// `ServiceBuilder`.
    pub fn layer() -> GatewayErrorLayer {
        GatewayErrorLayer::new()
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
        if self.ready_error.is_some() {
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => {
                self.ready_error = Some(error.into());
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let failed_request = FailedRequest::capture(&request, &self.settings);
        if let Some(error) = self.ready_error.take() {
            return ResponseFuture::failed(error, self.settings.clone(), failed_request);
        }
        let future = self.inner.call(request);
        ResponseFuture::new(future, self.settings.clone(), failed_request)
    }
}

impl<S: Clone> Clone for GatewayErrorService<S> {
    /// A clone starts without the original's pending `poll_ready` error:
    /// that error belongs to the call the original is about to make.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            settings: self.settings.clone(),
            ready_error: None,
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for GatewayErrorService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayErrorService")
            .field("inner", &self.inner)
            .field("settings", &self.settings)
            .field("ready_error", &self.ready_error)
            .finish()
    }
}
