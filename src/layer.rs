//! [`GatewayErrorLayer`]: what the builder makes, and what code that calls
//! the upstream itself uses to answer as the layer would. The builder, and
//! `new`, are in `builder.rs`.

use std::sync::Arc;

use http::{Request, Response};
use tower_layer::Layer;

use crate::lifecycle::Lifecycle;
use crate::request::CapturedRequest;
use crate::{BoxError, Classifier, GatewayErrorService, ResponseBody, UpstreamError};

/// Wraps a service that calls an upstream so that every failure becomes a
/// 502, 503 or 504 response with a useful body and `Proxy-Status`.
///
/// `GatewayErrorLayer::new()` has sensible defaults; use
/// [`builder()`](Self::builder) to change them. Settings are checked, and
/// every body that does not depend on the request is rendered, once, when
/// the layer is built.
///
/// ```
/// use std::convert::Infallible;
/// use std::io;
/// use http::{Request, Response, StatusCode};
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
/// use tower_gateway_error::GatewayErrorLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let upstream = service_fn(|_req: Request<String>| async {
///     Err::<Response<String>, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
/// });
/// let gateway = ServiceBuilder::new()
///     .layer(GatewayErrorLayer::new())
///     .service(upstream);
///
/// let response = gateway.oneshot(Request::new(String::new())).await.unwrap();
/// assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
/// assert_eq!(response.headers()["proxy-status"], "gateway; error=connection_refused");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GatewayErrorLayer {
    lifecycle: Arc<Lifecycle>,
}

impl GatewayErrorLayer {
    pub(crate) fn from_lifecycle(lifecycle: Lifecycle) -> Self {
        Self {
            lifecycle: Arc::new(lifecycle),
        }
    }

    /// Keeps what answering a failure of `request` needs, URI included.
    /// Call it before handing the request to the upstream client, in code
    /// that calls the upstream itself (see [`error_response`](Self::error_response)).
    pub fn capture_request<B>(&self, request: &Request<B>) -> CapturedRequest {
        self.lifecycle.capture_all(request)
    }

    /// [`capture_request`](Self::capture_request) from a request's head
    /// alone, for code that holds no `http::Request`: pingora's
    /// `RequestHeader`, for one, dereferences to `http::request::Parts`.
    pub fn capture_parts(&self, parts: &http::request::Parts) -> CapturedRequest {
        self.lifecycle.capture_parts(parts)
    }

    /// Classifies `error` with this layer's [`Classifier`].
    pub fn classify(&self, error: impl Into<BoxError>) -> UpstreamError {
        self.lifecycle.classify(error.into())
    }

    /// Classifies `error`, which is only lent (as in pingora's
    /// `fail_to_proxy`), with this layer's [`Classifier`]; see
    /// [`Classifier::classify_borrowed`].
    pub fn classify_borrowed(&self, error: &(dyn std::error::Error + 'static)) -> UpstreamError {
        self.lifecycle.classifier().classify_borrowed(error)
    }

    /// This layer's classifier, to share with a
    /// [`RetryPolicy`](crate::retry) or your own code.
    pub fn classifier(&self) -> &Classifier {
        self.lifecycle.classifier()
    }

    /// The response this layer answers `error` with, for code that calls the
    /// upstream itself (a hand-written proxy, a pingora handler) but wants
    /// the same responses, headers, hook and log event as the layer.
    ///
    /// ```
    /// use std::io;
    /// use bytes::Bytes;
    /// use http::{Request, Response, StatusCode};
    /// use http_body_util::Empty;
    /// use tower_gateway_error::{GatewayErrorLayer, ResponseBody};
    ///
    /// async fn call_upstream(_: Request<()>) -> Result<Response<Empty<Bytes>>, io::Error> {
    ///     Err(io::Error::from(io::ErrorKind::ConnectionReset))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let layer = GatewayErrorLayer::new();
    /// let request = Request::new(());
    /// let captured = layer.capture_request(&request);
    /// let response: Response<ResponseBody<Empty<Bytes>>> = match call_upstream(request).await {
    ///     Ok(response) => response.map(ResponseBody::upstream),
    ///     Err(error) => layer.error_response(layer.classify(error), &captured),
    /// };
    /// assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    /// # }
    /// ```
    ///
    /// From pingora's failure hook: with the `pingora-proxy` feature,
    /// `pingora::fail_to_proxy` does all of it (and
    /// answers only the upstream's failures). With `pingora` alone, build
    /// the layer once with your proxy, and in `ProxyHttp::fail_to_proxy`
    /// classify the lent error with
    /// [`classify_borrowed`](Self::classify_borrowed) (first asking
    /// `pingora::failure` whether it is the upstream's)
    /// and answer with this response instead of pingora's empty 502.
    /// pingora's `ConnectTimedout` becomes a 504 here, where pingora itself
    /// answers 502.
    ///
    /// ```
    /// # #[cfg(feature = "pingora")] {
    /// use std::io;
    /// use bytes::Bytes;
    /// use http::{Request, StatusCode};
    /// use http_body_util::Empty;
    /// use pingora_error::{Error, ErrorType};
    /// use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};
    ///
    /// let layer = GatewayErrorLayer::builder().proxy_name("edge-1").build().unwrap();
    ///
    /// // In `fail_to_proxy(&self, session, e, ctx)`: the request head is
    /// // `session.req_header()`, which dereferences to `http::request::Parts`,
    /// // and `e` is the `pingora_error::Error` the proxy failed with.
    /// let (head, ()) = Request::builder()
    ///     .header("accept", "application/json")
    ///     .body(())
    ///     .unwrap()
    ///     .into_parts();
    /// let e = Error::because(
    ///     ErrorType::ConnectTimedout,
    ///     "connecting to the upstream",
    ///     io::Error::from(io::ErrorKind::TimedOut),
    /// )
    /// .into_up();
    ///
    /// let error = layer.classify_borrowed(&*e);
    /// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionTimeout);
    /// assert!(error.is_retry_safe());
    /// let response = layer.error_response::<Empty<Bytes>>(error, &layer.capture_parts(&head));
    /// assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    /// assert_eq!(response.headers()["proxy-status"], "edge-1; error=connection_timeout");
    /// // Then send it, unless `session.response_written()` says a response
    /// // started: a `ResponseHeader` with the response's status and
    /// // headers, and its body's bytes, through `session.write_error_response`
    /// // (which also turns keep-alive off, as pingora closes the connection).
    /// # }
    /// ```
    pub fn error_response<B>(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
    ) -> Response<ResponseBody<B>> {
        self.lifecycle
            .answer(error, request, None)
            .map(ResponseBody::generated)
    }

    /// What the layer's services share.
    #[cfg(any(test, feature = "axum", feature = "pingora-proxy"))]
    pub(crate) fn lifecycle(&self) -> &Arc<Lifecycle> {
        &self.lifecycle
    }
}

impl<S> Layer<S> for GatewayErrorLayer {
    type Service = GatewayErrorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GatewayErrorService::new(inner, self)
    }
}

// Here rather than in `service.rs`, which knows nothing of the layer.
impl<S> GatewayErrorService<S> {
    /// Wraps `inner` with the settings of `layer`.
    pub fn new(inner: S, layer: &GatewayErrorLayer) -> Self {
        Self::from_lifecycle(inner, layer.lifecycle.clone())
    }

    /// A [`GatewayErrorLayer`] with default settings, for use with
    /// `ServiceBuilder`.
    pub fn layer() -> GatewayErrorLayer {
        GatewayErrorLayer::new()
    }
}
