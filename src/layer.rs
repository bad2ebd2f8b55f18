//! [`GatewayErrorLayer`] and its builder.

use std::fmt;
use std::sync::Arc;

use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;

use crate::eject::{Ejection, Ejector};
use crate::hook::OnUpstreamError;
use crate::render::{BodyFormat, Languages, Pages, RenderBody, Translation};
use crate::report::Reporter;
use crate::request::{CapturePlan, CapturedRequest};
use crate::respond::{
    self, ExtraHeaders, FormatChoice, GrpcCodes, Interception, NextHop, ProxyStatus, Responder,
    RetryAfters, Statuses, SupportUrl,
};
use crate::retry::RetryAfter;
use crate::state::Shared;
use crate::{
    BoxError, Classifier, ConfigError, GatewayErrorService, ResponseBody, UpstreamError,
    UpstreamErrorKind,
};

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
#[derive(Clone)]
pub struct GatewayErrorLayer {
    shared: Arc<Shared>,
}

impl GatewayErrorLayer {
    /// A layer with the default settings (see [`GatewayErrorLayerBuilder`]).
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default settings are valid")
    }

    /// Starts from the default settings.
    pub fn builder() -> GatewayErrorLayerBuilder {
        GatewayErrorLayerBuilder::default()
    }

    /// Keeps what answering a failure of `request` needs, URI included.
    /// Call it before handing the request to the upstream client, in code
    /// that calls the upstream itself (see [`error_response`](Self::error_response)).
    pub fn capture_request<B>(&self, request: &Request<B>) -> CapturedRequest {
        self.shared.capture.capture_all(request)
    }

    /// [`capture_request`](Self::capture_request) from a request's head
    /// alone, for code that holds no `http::Request`: pingora's
    /// `RequestHeader`, for one, dereferences to `http::request::Parts`.
    pub fn capture_parts(&self, parts: &http::request::Parts) -> CapturedRequest {
        self.shared.capture.capture_parts(parts)
    }

    /// Classifies `error` with this layer's [`Classifier`].
    pub fn classify(&self, error: impl Into<BoxError>) -> UpstreamError {
        self.shared.classifier.classify(error)
    }

    /// This layer's classifier, to share with a
    /// [`RetryPolicy`](crate::retry) or your own code.
    pub fn classifier(&self) -> &Classifier {
        &self.shared.classifier
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
    /// From pingora's failure hook (feature `pingora`): build the layer once
    /// with your proxy, and in `ProxyHttp::fail_to_proxy` answer with its
    /// response instead of pingora's empty 502. pingora's `ConnectTimedout`
    /// becomes a 504 here, where pingora itself answers 502.
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
    /// let error = layer.classify(e);
    /// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionTimeout);
    /// assert!(error.is_retry_safe());
    /// let response = layer.error_response::<Empty<Bytes>>(error, &layer.capture_parts(&head));
    /// assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    /// assert_eq!(response.headers()["proxy-status"], "edge-1; error=connection_timeout");
    /// // Then send it: `ResponseHeader::build(response.status(), None)` with
    /// // the response's headers copied in, `session.write_response_header`,
    /// // and `session.write_response_body` with its body's bytes.
    /// # }
    /// ```
    pub fn error_response<B>(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
    ) -> Response<ResponseBody<B>> {
        self.shared
            .answer(error, request)
            .map(ResponseBody::generated)
    }

    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The answer to `error`, without telling the log or the hook.
    #[cfg(feature = "axum")]
    pub(crate) fn unreported_answer(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
    ) -> Response<bytes::Bytes> {
        self.shared
            .responder
            .answer(error, request, None)
            .map(crate::render::Chunks::into_bytes)
    }
}

impl Default for GatewayErrorLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for GatewayErrorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayErrorLayer")
            .field("shared", &self.shared)
            .finish()
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
        Self::from_shared(inner, layer.shared.clone())
    }

    /// A [`GatewayErrorLayer`] with default settings, for use with
    /// `ServiceBuilder`.
    pub fn layer() -> GatewayErrorLayer {
        GatewayErrorLayer::new()
    }
}

/// Settings for a [`GatewayErrorLayer`]; [`build`](Self::build) checks them.
/// Cloning it is cheap, so one base configuration can be varied per route.
///
/// Defaults: each kind's RFC 9209 status; the body format negotiated by
/// `Accept`, plain text when the client does not say; `Proxy-Status:
/// gateway; error=<type>`; no error details in responses; no `Retry-After`;
/// request ids read from `x-request-id`.
///
/// ```
/// use http::{HeaderName, HeaderValue, StatusCode};
/// use tower_gateway_error::render::BodyFormat;
/// use tower_gateway_error::retry::RetryAfter;
/// use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};
///
/// let layer = GatewayErrorLayer::builder()
///     .proxy_name("edge-1")
///     .default_format(BodyFormat::Json)
///     .retry_after_for(UpstreamErrorKind::ConnectionLimitReached, RetryAfter::seconds(5))
///     .status_for(UpstreamErrorKind::ConnectionRefused, StatusCode::SERVICE_UNAVAILABLE)
///     .header(HeaderName::from_static("x-served-by"), HeaderValue::from_static("edge-1"))
///     .build()
///     .expect("valid settings");
/// # let _ = layer;
///
/// let error = GatewayErrorLayer::builder()
///     .status_for(UpstreamErrorKind::ConnectionRefused, StatusCode::OK)
///     .build()
///     .unwrap_err();
/// assert!(error.to_string().contains("use a 4xx or 5xx code"));
/// ```
#[derive(Clone)]
pub struct GatewayErrorLayerBuilder {
    statuses: Vec<(UpstreamErrorKind, StatusCode)>,
    fixed_format: Option<BodyFormat>,
    default_format: BodyFormat,
    retry_after: Option<RetryAfter>,
    retry_after_for: Vec<(UpstreamErrorKind, RetryAfter)>,
    proxy_name: String,
    proxy_status: bool,
    next_hop: NextHop,
    show_details: bool,
    error_extension: bool,
    headers: Vec<(HeaderName, HeaderValue)>,
    hook: Option<Arc<dyn OnUpstreamError>>,
    renderer: Option<Arc<dyn RenderBody>>,
    classifier: Classifier,
    request_id_header: HeaderName,
    html_template: Option<String>,
    json_template: Option<String>,
    intercept: Vec<StatusCode>,
    grpc: bool,
    grpc_codes: Vec<(UpstreamErrorKind, u8)>,
    translations: Vec<Translation>,
    languages: Option<Vec<String>>,
    default_language: Option<String>,
    support_url: Option<String>,
    log_path: bool,
    ejection: Option<Ejection>,
}

impl Default for GatewayErrorLayerBuilder {
    fn default() -> Self {
        Self {
            statuses: Vec::new(),
            fixed_format: None,
            default_format: BodyFormat::Text,
            retry_after: None,
            retry_after_for: Vec::new(),
            proxy_name: "gateway".to_owned(),
            proxy_status: true,
            next_hop: NextHop::default(),
            show_details: false,
            error_extension: true,
            headers: Vec::new(),
            hook: None,
            renderer: None,
            classifier: Classifier::new(),
            request_id_header: HeaderName::from_static("x-request-id"),
            html_template: None,
            json_template: None,
            intercept: Vec::new(),
            grpc: true,
            grpc_codes: Vec::new(),
            translations: Vec::new(),
            languages: None,
            default_language: None,
            support_url: None,
            log_path: true,
            ejection: None,
        }
    }
}

impl GatewayErrorLayerBuilder {
    /// Answers failures of `kind` with `status` instead of the RFC 9209
    /// recommendation. Only 4xx and 5xx are accepted.
    pub fn status_for(mut self, kind: UpstreamErrorKind, status: StatusCode) -> Self {
        self.statuses.push((kind, status));
        self
    }

    /// Always uses `format`, whatever the request's `Accept` says (no
    /// `Vary: Accept` is sent then). Unless set, the format is negotiated
    /// by `Accept`, with [`default_format`](Self::default_format) as the
    /// fallback.
    pub fn fixed_format(mut self, format: BodyFormat) -> Self {
        self.fixed_format = Some(format);
        self
    }

    /// The format used when `Accept` is missing, is `*/*`, or names nothing
    /// the layer can write. Plain text unless set; no effect with a
    /// [`fixed_format`](Self::fixed_format).
    pub fn default_format(mut self, format: BodyFormat) -> Self {
        self.default_format = format;
        self
    }

    /// Sends `Retry-After` with every error response.
    pub fn retry_after(mut self, retry_after: RetryAfter) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Sends `Retry-After` with error responses of `kind`, overriding
    /// [`retry_after`](Self::retry_after) for that kind.
    pub fn retry_after_for(mut self, kind: UpstreamErrorKind, retry_after: RetryAfter) -> Self {
        self.retry_after_for.push((kind, retry_after));
        self
    }

    /// The name this gateway has in `Proxy-Status` (`gateway` unless set).
    /// Printable ASCII; a name that is not an sf-token is sent quoted.
    pub fn proxy_name(mut self, name: impl Into<String>) -> Self {
        self.proxy_name = name.into();
        self
    }

    /// Whether to send `Proxy-Status` (on unless turned off).
    pub fn proxy_status(mut self, enabled: bool) -> Self {
        self.proxy_status = enabled;
        self
    }

    /// Sends `next-hop` in `Proxy-Status`: the upstream this layer's
    /// service calls, as a host and port (`10.0.0.7:8080`). Off unless set:
    /// it shows clients the topology behind the gateway (RFC 9209 §4).
    /// Never shown in a body.
    pub fn next_hop(mut self, host: impl Into<String>) -> Self {
        self.next_hop.host = Some(host.into());
        self
    }

    /// Sends `next-protocol` in `Proxy-Status`: the ALPN id of the protocol
    /// spoken to the upstream (`h2`, `http/1.1`). Off unless set, like
    /// [`next_hop`](Self::next_hop).
    pub fn next_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.next_hop.protocol = Some(protocol.into());
        self
    }

    /// Whether responses may show the error chain (off unless turned on).
    ///
    /// The chain can reveal upstream addresses, ports and library messages;
    /// turn this on only where the clients are your own operators. When on,
    /// bodies show it escaped for their format and `Proxy-Status` carries it
    /// as `details`.
    pub fn show_details(mut self, enabled: bool) -> Self {
        self.show_details = enabled;
        self
    }

    /// Whether each error response carries its [`UpstreamError`] in its
    /// extensions, for middleware outside the layer to read (on unless
    /// set).
    ///
    /// Putting it there costs three allocations per failure, the first
    /// value of a response's `http::Extensions`; a failure without a
    /// request id then costs 7 allocations instead of 4. Turn it off when
    /// nothing reads it: the hook ([`on_error`](Self::on_error)) and the
    /// log see every error either way.
    ///
    /// ```
    /// use http::{Request, Response};
    /// use tower::{service_fn, Layer, ServiceExt};
    /// use tower_gateway_error::{GatewayErrorLayer, UpstreamError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let layer = GatewayErrorLayer::builder()
    ///     .error_extension(false)
    ///     .build()
    ///     .unwrap();
    /// let refused = service_fn(|_: Request<()>| async {
    ///     Err::<Response<String>, _>(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
    /// });
    /// let response = layer.layer(refused).oneshot(Request::new(())).await.unwrap();
    /// assert_eq!(response.status(), 502);
    /// assert!(response.extensions().get::<UpstreamError>().is_none());
    /// # }
    /// ```
    pub fn error_extension(mut self, enabled: bool) -> Self {
        self.error_extension = enabled;
        self
    }

    /// Adds a header to every error response, replacing the layer's own
    /// header of that name (`Cache-Control`, say). The headers the layer
    /// writes from its other settings (`Content-Type`, `Content-Length`,
    /// `Transfer-Encoding`, `Proxy-Status`, `Retry-After`, `Vary`,
    /// `grpc-status`, `grpc-message`) are refused by [`build`](Self::build),
    /// with the setting to use instead.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Calls `hook` for every failure, e.g. to count them.
    pub fn on_error(mut self, hook: impl OnUpstreamError) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Writes bodies with `renderer` instead of the built-in ones.
    pub fn renderer(mut self, renderer: impl RenderBody) -> Self {
        self.renderer = Some(Arc::new(renderer));
        self
    }

    /// Classifies with `classifier` (your rules, then the default ones)
    /// instead of the default rules alone. Share it with a
    /// [`RetryPolicy`](crate::retry), so both judge an error
    /// the same way.
    pub fn classifier(mut self, classifier: Classifier) -> Self {
        self.classifier = classifier;
        self
    }

    /// The request header whose value bodies show as the request id
    /// (`x-request-id` unless set).
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id_header = name;
        self
    }

    /// An HTML page in the [template language](crate::render#templates):
    /// `{{field}}` placeholders, filled HTML-escaped, and
    /// `{{#field}}…{{/field}}` sections. The fields are listed there.
    pub fn html_template(mut self, template: impl Into<String>) -> Self {
        self.html_template = Some(template.into());
        self
    }

    /// A JSON body in the [template language](crate::render#templates).
    /// Each field expands to a complete JSON value — `status` to a number,
    /// the others to strings or `null` — so placeholders go where values
    /// go: `{"code": {{status}}, "id": {{request_id}}}`. The body is sent as
    /// `application/json`, since its shape is yours rather than RFC 9457's.
    pub fn json_template(mut self, template: impl Into<String>) -> Self {
        self.json_template = Some(template.into());
        self
    }

    /// Adds a language to the pages, or changes strings of one: see
    /// [`Translation`]. Later translations of the same language change
    /// what earlier ones set.
    pub fn translation(mut self, translation: Translation) -> Self {
        self.translations.push(translation);
        self
    }

    /// Offers only these languages (by tag, such as `["en", "de"]`) of the
    /// built-in and translated ones; with one, `Accept-Language` is not
    /// looked at. All are offered unless set.
    pub fn languages<I>(mut self, tags: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.languages = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// The language of pages for visitors whose `Accept-Language` matches
    /// none offered (`en` unless set).
    pub fn default_language(mut self, tag: impl Into<String>) -> Self {
        self.default_language = Some(tag.into());
        self
    }

    /// A link on every HTML and text page where visitors get help or see
    /// the site's status, such as `https://status.example.com`. It must be
    /// an absolute `http` or `https` URL; anything else is refused when the
    /// layer is built. It is escaped like any other field.
    pub fn support_url(mut self, url: impl Into<String>) -> Self {
        self.support_url = Some(url.into());
        self
    }

    /// Whether the failure event (feature `tracing`) carries the request's
    /// path as `url.path` (on unless set). The path is only kept while a
    /// subscriber would record the event; turn it off where paths carry
    /// personal data.
    pub fn log_path(mut self, enabled: bool) -> Self {
        self.log_path = enabled;
        self
    }

    /// Replaces the body of the upstream's own responses with these
    /// statuses (typically 502, 503 and 504) by the layer's page, so
    /// clients see one branded page whatever the upstream sent. Off by
    /// default: upstream responses pass through untouched.
    ///
    /// The upstream's status and its other headers, `Retry-After` among
    /// them, are kept; the headers that described its body go, and
    /// `Proxy-Status` gets this gateway's member,
    /// `<name>; received-status=<code>`, after the upstream's own members.
    /// The body comes from the built-in pages or your templates, in the
    /// negotiated format, with `{{error}}` empty (`null` in JSON): there is
    /// no error type, since the upstream did answer. A custom
    /// [`renderer`](Self::renderer) is not used for them, and the hook is
    /// not called. The upstream's other headers (`Server`, `Set-Cookie`,
    /// its own `Proxy-Status` members) pass through; remove them in a layer
    /// of your own if they must not reach clients.
    ///
    /// ```
    /// use http::StatusCode;
    /// use tower_gateway_error::GatewayErrorLayer;
    ///
    /// let layer = GatewayErrorLayer::builder()
    ///     .intercept([StatusCode::BAD_GATEWAY, StatusCode::SERVICE_UNAVAILABLE, StatusCode::GATEWAY_TIMEOUT])
    ///     .build()
    ///     .unwrap();
    /// # let _ = layer;
    /// let error = GatewayErrorLayer::builder().intercept([StatusCode::OK]).build().unwrap_err();
    /// assert!(error.to_string().contains("4xx or 5xx"));
    /// ```
    pub fn intercept(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Self {
        self.intercept.extend(statuses);
        self
    }

    /// Whether gRPC calls get gRPC errors (on unless set). A failure
    /// answering an HTTP/2 request whose `content-type` is
    /// `application/grpc` or `application/grpc+...` is then HTTP 200 with no body and
    /// the call's own `content-type`, `grpc-status` (see
    /// [`grpc_status_for`](Self::grpc_status_for)), a percent-encoded
    /// `grpc-message`, `grpc-retry-pushback-ms` where a `Retry-After`
    /// applies, and `Proxy-Status`: a trailers-only response, which gRPC
    /// clients read as the call's status. A gRPC upstream's own statuses
    /// pass through untouched, and [`intercept`](Self::intercept) leaves
    /// gRPC calls alone. The body is never rendered, so
    /// [`show_details`](Self::show_details) and a custom
    /// [`renderer`](Self::renderer) do not apply.
    ///
    /// A gRPC stream that breaks after it started (the upstream dies after
    /// some messages) ends with trailers too: `grpc-status` 14
    /// (UNAVAILABLE), or 13 (INTERNAL) if the upstream sent something
    /// invalid, or the code set here for `http_response_incomplete`, and a
    /// `grpc-message`, as linkerd2-proxy does, instead of a reset stream the
    /// client would report as its own transport error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use http::{Request, StatusCode};
    /// use tower::{Layer, ServiceExt};
    /// use tower_gateway_error::GatewayErrorLayer;
    ///
    /// let refused = tower::service_fn(|_: Request<()>| async {
    ///     Err::<http::Response<String>, _>(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
    /// });
    /// let call = Request::post("/orders.Orders/Get")
    ///     .version(http::Version::HTTP_2)
    ///     .header("content-type", "application/grpc")
    ///     .body(())
    ///     .unwrap();
    /// let response = GatewayErrorLayer::new().layer(refused).oneshot(call).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// assert_eq!(response.headers()["grpc-status"], "14"); // UNAVAILABLE
    /// # }
    /// ```
    pub fn grpc(mut self, enabled: bool) -> Self {
        self.grpc = enabled;
        self
    }

    /// The `grpc-status` code gRPC calls get for `kind`. Unless set:
    /// 4 (DEADLINE_EXCEEDED) for timeouts after the request was sent
    /// (`http_response_timeout`, `connection_read_timeout`,
    /// `connection_write_timeout`), 13 (INTERNAL) for `http_request_error`,
    /// 14 (UNAVAILABLE) for the rest, `dns_timeout` and `connection_timeout`
    /// included: the request never left, so a retry may succeed. Codes 1 to 16
    /// are accepted; 0 is OK, not an error.
    pub fn grpc_status_for(mut self, kind: UpstreamErrorKind, code: u8) -> Self {
        self.grpc_codes.push((kind, code));
        self
    }

    /// Turns on the dead-upstream fast path: after a run of failures to
    /// reach the upstream, requests are answered at once with a 503 and
    /// the time left as `Retry-After`, while one probe at a time goes
    /// through. Off unless set; see [`eject`](crate::eject) for what
    /// counts and the trade-offs.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http::{Request, Response, StatusCode};
    /// use tower::{service_fn, Layer, Service, ServiceExt};
    /// use tower_gateway_error::eject::Ejection;
    /// use tower_gateway_error::GatewayErrorLayer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let refused = service_fn(|_: Request<()>| async {
    ///     Err::<Response<String>, _>(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
    /// });
    /// let layer = GatewayErrorLayer::builder()
    ///     .eject(Ejection::after(2, Duration::from_secs(30)))
    ///     .build()
    ///     .unwrap();
    /// let mut gateway = layer.layer(refused);
    /// for _ in 0..2 {
    ///     let response = gateway.ready().await.unwrap().call(Request::new(())).await.unwrap();
    ///     assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    /// }
    /// // Ejected: answered without calling the upstream.
    /// let response = gateway.ready().await.unwrap().call(Request::new(())).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(response.headers()["retry-after"], "30");
    /// assert_eq!(response.headers()["proxy-status"], "gateway; error=destination_unavailable");
    /// # }
    /// ```
    pub fn eject(mut self, ejection: Ejection) -> Self {
        self.ejection = Some(ejection);
        self
    }

    /// Checks the settings and builds the layer: each part of the answer
    /// is worked out here, once, with its own checks.
    pub fn build(self) -> Result<GatewayErrorLayer, ConfigError> {
        let statuses = Statuses::compile(self.statuses)?;
        let ejector = self.ejection.map(Ejector::compile).transpose()?;
        let mut retry_after_for = self.retry_after_for;
        if let Some(ejector) = &ejector {
            // Answers while ejected carry the seconds left; the prepared
            // header and page say the whole wait, an upper bound of it,
            // unless the user chose a `Retry-After` for the kind.
            let unavailable = UpstreamErrorKind::DestinationUnavailable;
            if self.retry_after.is_none() && !retry_after_for.iter().any(|(k, _)| *k == unavailable)
            {
                retry_after_for.push((unavailable, RetryAfter::seconds(ejector.whole_seconds())));
            }
        }
        let retry_after = RetryAfters::compile(self.retry_after, retry_after_for)?;
        let proxy_status = ProxyStatus::compile(self.proxy_name, self.proxy_status, self.next_hop)?;
        let intercept = Interception::compile(self.intercept)?;
        let grpc = GrpcCodes::compile(self.grpc, self.grpc_codes)?;
        let extra = ExtraHeaders::compile(self.headers)?;
        let pages = Pages::compile(self.html_template.as_deref(), self.json_template.as_deref())
            .map_err(|(format, error)| ConfigError::Template { format, error })?;
        let format = FormatChoice::compile(self.fixed_format, self.default_format);
        let languages =
            Languages::compile(self.translations, self.languages, self.default_language)?;
        let support_url = self.support_url.map(SupportUrl::compile).transpose()?;
        let keep_uri = self.hook.is_some() || self.renderer.is_some();

        let responder = Responder::new(respond::Parts {
            statuses,
            format,
            pages,
            languages,
            support_url,
            retry_after,
            proxy_status,
            extra,
            grpc,
            intercept,
            show_details: self.show_details,
            error_extension: self.error_extension,
            renderer: self.renderer,
        });
        let capture = CapturePlan::compile(
            responder.negotiates(),
            responder.negotiates_language(),
            keep_uri,
            self.log_path,
            responder.answers_grpc(),
            self.request_id_header,
        );
        let reporter = Reporter::new(self.hook, self.log_path, |kind| responder.status(kind));
        Ok(GatewayErrorLayer {
            shared: Arc::new(Shared {
                capture,
                classifier: self.classifier,
                responder,
                reporter,
                ejector,
            }),
        })
    }
}

impl fmt::Debug for GatewayErrorLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayErrorLayerBuilder")
            .field("statuses", &self.statuses)
            .field("fixed_format", &self.fixed_format)
            .field("default_format", &self.default_format)
            .field("retry_after", &self.retry_after)
            .field("retry_after_for", &self.retry_after_for)
            .field("proxy_name", &self.proxy_name)
            .field("proxy_status", &self.proxy_status)
            .field("next_hop", &self.next_hop)
            .field("show_details", &self.show_details)
            .field("error_extension", &self.error_extension)
            .field("headers", &self.headers)
            .field("hook", &self.hook.as_ref().map(|_| ".."))
            .field("renderer", &self.renderer.as_ref().map(|_| ".."))
            .field("classifier", &self.classifier)
            .field("request_id_header", &self.request_id_header)
            .field("html_template", &self.html_template)
            .field("json_template", &self.json_template)
            .field("intercept", &self.intercept)
            .field("grpc", &self.grpc)
            .field("grpc_codes", &self.grpc_codes)
            .field("translations", &self.translations)
            .field("languages", &self.languages)
            .field("default_language", &self.default_language)
            .field("support_url", &self.support_url)
            .field("log_path", &self.log_path)
            .field("ejection", &self.ejection)
            .finish()
    }
}
