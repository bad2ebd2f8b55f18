//! [`GatewayErrorLayerBuilder`]: the settings of a [`GatewayErrorLayer`],
//! each kept by the feature it is for and checked by that feature when the
//! layer is built; and the layer's own constructors, which build one.

use http::{HeaderName, HeaderValue, StatusCode};

use crate::eject::Ejection;
use crate::hook::{Hook, OnUpstreamError};
use crate::lifecycle::{Lifecycle, Settings};
use crate::render::{BodyFormat, RenderBody, Renderer, Translation};
use crate::retry::RetryAfter;
use crate::{Classifier, ConfigError, GatewayErrorLayer, UpstreamErrorKind};

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
}

impl Default for GatewayErrorLayer {
    fn default() -> Self {
        Self::new()
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
#[derive(Debug, Clone, Default)]
pub struct GatewayErrorLayerBuilder {
    settings: Settings,
}

impl GatewayErrorLayerBuilder {
    /// Answers failures of `kind` with `status` instead of the RFC 9209
    /// recommendation. Only 4xx and 5xx are accepted.
    pub fn status_for(mut self, kind: UpstreamErrorKind, status: StatusCode) -> Self {
        self.settings.answer.statuses.push((kind, status));
        self
    }

    /// Always uses `format`, whatever the request's `Accept` says (no
    /// `Vary: Accept` is sent then). Unless set, the format is negotiated
    /// by `Accept`, with [`default_format`](Self::default_format) as the
    /// fallback.
    pub fn fixed_format(mut self, format: BodyFormat) -> Self {
        self.settings.answer.format.fixed = Some(format);
        self
    }

    /// The format used when `Accept` is missing, is `*/*`, or names nothing
    /// the layer can write. Plain text unless set; no effect with a
    /// [`fixed_format`](Self::fixed_format).
    pub fn default_format(mut self, format: BodyFormat) -> Self {
        self.settings.answer.format.fallback = Some(format);
        self
    }

    /// Sends `Retry-After` with every error response.
    pub fn retry_after(mut self, retry_after: RetryAfter) -> Self {
        self.settings.answer.retry_after.everywhere = Some(retry_after);
        self
    }

    /// Sends `Retry-After` with error responses of `kind`, overriding
    /// [`retry_after`](Self::retry_after) for that kind.
    pub fn retry_after_for(mut self, kind: UpstreamErrorKind, retry_after: RetryAfter) -> Self {
        self.settings
            .answer
            .retry_after
            .per_kind
            .push((kind, retry_after));
        self
    }

    /// The name this gateway has in `Proxy-Status` (`gateway` unless set).
    /// Printable ASCII; a name that is not an sf-token is sent quoted.
    pub fn proxy_name(mut self, name: impl Into<String>) -> Self {
        self.settings.answer.proxy_status.name = Some(name.into());
        self
    }

    /// Whether to send `Proxy-Status` (on unless turned off).
    pub fn proxy_status(mut self, enabled: bool) -> Self {
        self.settings.answer.proxy_status.enabled = Some(enabled);
        self
    }

    /// Sends `next-hop` in `Proxy-Status`: the upstream this layer's
    /// service calls, as a host and port (`10.0.0.7:8080`). Off unless set:
    /// it shows clients the topology behind the gateway (RFC 9209 §4).
    /// Never shown in a body.
    pub fn next_hop(mut self, host: impl Into<String>) -> Self {
        self.settings.answer.proxy_status.next_hop = Some(host.into());
        self
    }

    /// Sends `next-protocol` in `Proxy-Status`: the ALPN id of the protocol
    /// spoken to the upstream (`h2`, `http/1.1`). Off unless set, like
    /// [`next_hop`](Self::next_hop).
    pub fn next_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.settings.answer.proxy_status.next_protocol = Some(protocol.into());
        self
    }

    /// Whether responses may show the error chain (off unless turned on).
    ///
    /// The chain can reveal upstream addresses, ports and library messages;
    /// turn this on only where the clients are your own operators. When on,
    /// bodies show it escaped for their format and `Proxy-Status` carries it
    /// as `details`.
    pub fn show_details(mut self, enabled: bool) -> Self {
        self.settings.answer.show_details = enabled;
        self
    }

    /// Whether each error response carries its [`UpstreamError`](crate::UpstreamError) in its
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
        self.settings.answer.error_extension = Some(enabled);
        self
    }

    /// Adds a header to every error response, replacing the layer's own
    /// header of that name (`Cache-Control`, say), and on an intercepted
    /// answer the upstream's; `Set-Cookie` is added instead, beside the
    /// upstream's cookies. The headers the layer writes from its other
    /// settings (`Content-Type`, `Content-Length`, `Transfer-Encoding`,
    /// `Proxy-Status`, `Retry-After`, `Vary`, `grpc-status`,
    /// `grpc-message`) are refused by [`build`](Self::build), with the
    /// setting to use instead, as are hop-by-hop headers and those that
    /// describe a representation (`Content-Encoding`, `Content-Range`,
    /// `ETag`, `Last-Modified`): the layer's body is its own, written
    /// whole and unencoded.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.settings.answer.headers.push((name, value));
        self
    }

    /// Calls `hook` for every failure, e.g. to count them.
    pub fn on_error(mut self, hook: impl OnUpstreamError) -> Self {
        self.settings.report.hook = Some(Hook::new(hook));
        self
    }

    /// Writes bodies with `renderer` instead of the built-in ones.
    pub fn renderer(mut self, renderer: impl RenderBody) -> Self {
        self.settings.answer.renderer = Some(Renderer::new(renderer));
        self
    }

    /// Classifies with `classifier` (your rules, then the default ones)
    /// instead of the default rules alone. Share it with a
    /// [`RetryPolicy`](crate::retry), so both judge an error
    /// the same way.
    pub fn classifier(mut self, classifier: Classifier) -> Self {
        self.settings.classifier = classifier;
        self
    }

    /// The request header whose value bodies show as the request id
    /// (`x-request-id` unless set).
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        self.settings.request_id_header = Some(name);
        self
    }

    /// An HTML page in the [template language](crate::render#templates):
    /// `{{field}}` placeholders, filled HTML-escaped, and
    /// `{{#field}}…{{/field}}` sections. The fields are listed there.
    pub fn html_template(mut self, template: impl Into<String>) -> Self {
        self.settings.answer.templates.html = Some(template.into());
        self
    }

    /// A JSON body in the [template language](crate::render#templates).
    /// Each field expands to a complete JSON value — `status` to a number,
    /// the others to strings or `null` — so placeholders go where values
    /// go: `{"code": {{status}}, "id": {{request_id}}}`. The body is sent as
    /// `application/json`, since its shape is yours rather than RFC 9457's.
    pub fn json_template(mut self, template: impl Into<String>) -> Self {
        self.settings.answer.templates.json = Some(template.into());
        self
    }

    /// Adds a language to the pages, or changes strings of one: see
    /// [`Translation`]. Later translations of the same language change
    /// what earlier ones set.
    pub fn translation(mut self, translation: Translation) -> Self {
        self.settings
            .answer
            .languages
            .translations
            .push(translation);
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
        self.settings.answer.languages.only = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// The language of pages for visitors whose `Accept-Language` matches
    /// none offered (`en` unless set).
    pub fn default_language(mut self, tag: impl Into<String>) -> Self {
        self.settings.answer.languages.default = Some(tag.into());
        self
    }

    /// A link on every HTML and text page where visitors get help or see
    /// the site's status, such as `https://status.example.com`. It must be
    /// an absolute `http` or `https` URL; anything else is refused when the
    /// layer is built. It is escaped like any other field.
    pub fn support_url(mut self, url: impl Into<String>) -> Self {
        self.settings.answer.support_url = Some(url.into());
        self
    }

    /// Whether the failure event (feature `tracing`) carries the request's
    /// path as `url.path` (on unless set). The path is only kept while a
    /// subscriber would record the event; turn it off where paths carry
    /// personal data.
    pub fn log_path(mut self, enabled: bool) -> Self {
        self.settings.report.log_path = Some(enabled);
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
        self.settings.answer.intercept.extend(statuses);
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
        self.settings.answer.grpc.enabled = Some(enabled);
        self
    }

    /// The `grpc-status` code gRPC calls get for `kind`. Unless set:
    /// 4 (DEADLINE_EXCEEDED) for timeouts after the request was sent
    /// (`http_response_timeout`, `connection_read_timeout`,
    /// `connection_write_timeout`), 7 (PERMISSION_DENIED) for
    /// `http_request_denied` and `destination_ip_prohibited`, 8
    /// (RESOURCE_EXHAUSTED) for the five `http_response_*_size` kinds, 13
    /// (INTERNAL) for `http_protocol_error`, `http_request_error` and the
    /// gateway's own failures (`destination_not_found`,
    /// `proxy_loop_detected`, `proxy_configuration_error`,
    /// `proxy_internal_response`), 14 (UNAVAILABLE) for the rest, `dns_timeout` and `connection_timeout`
    /// included: the request never left, so a retry may succeed. Codes 1 to 16
    /// are accepted; 0 is OK, not an error.
    pub fn grpc_status_for(mut self, kind: UpstreamErrorKind, code: u8) -> Self {
        self.settings.answer.grpc.codes.push((kind, code));
        self
    }

    /// Turns on the dead-upstream fast path: after a run of failures to
    /// reach the upstream, requests are answered at once with a 503 and
    /// the time left as `Retry-After`, while one probe at a time goes
    /// through. Off unless set; see [`eject`](crate::eject) for what
    /// counts and the trade-offs.
    ///
    /// The state is the layer's: every service it makes shares it, which
    /// is right for one upstream behind many axum routes and wrong for
    /// several endpoints behind a balancer, where an
    /// [`EndpointSet`](crate::eject::EndpointSet) ejects each on its own.
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
        self.settings.ejection = Some(ejection);
        self
    }

    /// Checks the settings and builds the layer: each feature is worked out
    /// once, now, by its own `compile`, with its own checks.
    pub fn build(self) -> Result<GatewayErrorLayer, ConfigError> {
        Lifecycle::compile(self.settings).map(GatewayErrorLayer::from_lifecycle)
    }
}
