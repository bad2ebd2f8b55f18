//! What the `reverse_proxy` and `hyper_proxy` examples share: their flags,
//! the forwarding service, and the stack `GatewayErrorLayer` wraps around
//! it: one upstream, or several balanced (tower's p2c) with ejection per
//! endpoint. The fault-matrix tests drive this same code.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{header, HeaderMap, HeaderName, Request, Uri, Version};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::ServiceList;
use tower::limit::ConcurrencyLimit;
use tower::load::{CompleteOnResponse, PendingRequestsDiscover};
use tower::load_shed::LoadShed;
use tower::timeout::Timeout;
use tower::util::{BoxCloneSyncService, BoxService};
use tower::{Layer, Service, ServiceExt};
use tower_gateway_error::eject::{Ejection, EndpointSet};
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{
    ConfigError, GatewayErrorLayer, GatewayErrorLayerBuilder, GatewayErrorService,
};

/// A reverse proxy to one upstream or several, answering their failures
/// with tower-gateway-error.
#[derive(Debug, Clone, Parser)]
#[command(
    version,
    about = "A reverse proxy to one upstream or several: failures become 502/503/504 responses \
             with Proxy-Status and a body chosen by Accept (tower-gateway-error)"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Upstream to forward to: scheme, host and port only (e.g. http://127.0.0.1:8080).
    /// Give it several times to balance over them (tower's p2c); with
    /// --eject-after, each is then ejected on its own.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080",
        value_parser = parse_upstream,
        action = clap::ArgAction::Append
    )]
    pub upstream: Vec<Uri>,
    /// Seconds to wait for the upstream's response head before answering 504.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Seconds to wait for a connection to the upstream before answering 504.
    #[arg(
        long = "connect-timeout",
        value_name = "SECS",
        default_value = "5",
        value_parser = parse_seconds
    )]
    pub connect_timeout: Duration,
    /// Send `Retry-After: SECS` with every error response.
    #[arg(long = "retry-after", value_name = "SECS")]
    pub retry_after: Option<u32>,
    /// Error body format; `auto` picks by the request's Accept header.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// This proxy's name in the Proxy-Status header.
    #[arg(long = "proxy-name", value_name = "NAME", default_value = "gateway")]
    pub proxy_name: String,
    /// Talk HTTP/2 to the upstream (h2c with prior knowledge).
    #[arg(long = "upstream-http2")]
    pub upstream_http2: bool,
    /// Answer 503 beyond this many requests in flight (tower's load_shed).
    #[arg(long = "max-concurrency", value_name = "N", value_parser = parse_concurrency)]
    pub max_concurrency: Option<usize>,
    /// After N failures in a row to reach the upstream (refused, connect
    /// timeout, DNS, TLS handshake), answer 503 at once, without trying it,
    /// for --eject-for seconds; then one request at a time probes it.
    #[arg(long = "eject-after", value_name = "N", requires = "eject_for",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub eject_after: Option<u32>,
    /// Seconds a failing upstream is left alone (with --eject-after).
    #[arg(long = "eject-for", value_name = "SECS", requires = "eject_after",
          value_parser = parse_seconds)]
    pub eject_for: Option<Duration>,
}

/// The `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// By the request's Accept header; plain text when it says nothing.
    Auto,
    /// Always HTML.
    Html,
    /// Always RFC 9457 problem+json.
    Json,
    /// Always plain text.
    Text,
}

fn parse_upstream(value: &str) -> Result<Uri, String> {
    let uri: Uri = value
        .parse()
        .map_err(|e| format!("{value:?} is not a URL ({e})"))?;
    if uri.scheme() != Some(&Scheme::HTTP) {
        return Err(format!(
            "{value:?}: use an http:// upstream (these examples speak plain HTTP/1.1 or h2c)"
        ));
    }
    match uri.authority() {
        None => return Err(format!("{value:?} has no host")),
        // HTTP/2 forbids userinfo in :authority, and it would be printed.
        Some(authority) if authority.as_str().contains('@') => {
            return Err(format!(
                "{value:?}: credentials in the URL are not supported"
            ));
        }
        Some(_) => {}
    }
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return Err(format!(
            "{value:?}: give scheme, host and port only; request paths are forwarded as they come"
        ));
    }
    Ok(uri)
}

fn parse_seconds(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d >= Duration::from_millis(1) && *d <= Duration::from_secs(86_400 * 365))
        .ok_or_else(|| format!("{value:?}: use between 0.001 and 31536000 seconds"))
}

fn parse_concurrency(value: &str) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|n| (1..=tokio::sync::Semaphore::MAX_PERMITS).contains(n))
        .ok_or_else(|| format!("{value:?}: use a whole number of requests, at least 1"))
}

impl Args {
    /// The layer's settings these flags ask for.
    pub fn layer_builder(&self) -> GatewayErrorLayerBuilder {
        let mut builder = GatewayErrorLayer::builder().proxy_name(self.proxy_name.clone());
        if let Some(seconds) = self.retry_after {
            builder = builder.retry_after(RetryAfter::seconds(seconds));
        }
        // Several upstreams are ejected each on its own, below the
        // balancer (`balanced`); the layer's own fast path is for one.
        if let (Some(ejection), false) = (self.ejection(), self.balances()) {
            builder = builder.eject(ejection);
        }
        match self.format {
            Format::Auto => builder,
            Format::Html => builder.fixed_format(BodyFormat::Html),
            Format::Json => builder.fixed_format(BodyFormat::Json),
            Format::Text => builder.fixed_format(BodyFormat::Text),
        }
    }

    /// The fast path's settings, when asked for.
    fn ejection(&self) -> Option<Ejection> {
        let (failures, duration) = self.eject_after.zip(self.eject_for)?;
        Some(Ejection::after(failures, duration))
    }

    /// Whether requests are balanced over several upstreams.
    pub fn balances(&self) -> bool {
        self.upstream.len() > 1
    }

    /// The upstreams, for people: `a, b, c`.
    pub fn upstreams(&self) -> String {
        let names: Vec<String> = self.upstream.iter().map(Uri::to_string).collect();
        names.join(", ")
    }

    /// A hyper-util client with the connect timeout and HTTP version asked for.
    pub fn client<B>(&self) -> Client<HttpConnector, B>
    where
        B: http_body::Body + Send,
        B::Data: Send,
    {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(self.connect_timeout));
        self.client_with(connector)
    }

    /// The same client over another connector (a TLS one, a custom resolver).
    pub fn client_with<C, B>(&self, connector: C) -> Client<C, B>
    where
        C: Connect + Clone,
        B: http_body::Body + Send,
        B::Data: Send,
    {
        Client::builder(TokioExecutor::new())
            .http2_only(self.upstream_http2)
            .build(connector)
    }
}

/// Forwards every request to one upstream: same method, path, query, body;
/// headers minus hop-by-hop ones; `Host` set from the upstream.
#[derive(Debug)]
pub struct Forward<C, B> {
    client: Client<C, B>,
    scheme: Scheme,
    authority: Authority,
    version: Version,
}

// By hand: deriving would demand `B: Clone`, which the client does not need.
impl<C: Clone, B> Clone for Forward<C, B> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            version: self.version,
        }
    }
}

impl<C, B> Forward<C, B> {
    pub fn new(client: Client<C, B>, upstream: &Uri, http2: bool) -> Self {
        Self {
            client,
            scheme: upstream.scheme().cloned().unwrap_or(Scheme::HTTP),
            authority: upstream
                .authority()
                .cloned()
                .expect("an upstream has a host"),
            version: if http2 {
                Version::HTTP_2
            } else {
                Version::HTTP_11
            },
        }
    }
}

impl<C, B> Service<Request<B>> for Forward<C, B>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper_util::client::legacy::Error;
    type Future = ForwardFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The client queues and pools by itself.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *request.uri_mut() = Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .expect("scheme, authority and path from valid parts");
        *request.version_mut() = self.version;
        remove_hop_by_hop(request.headers_mut());
        // The client writes Host (or :authority) from the URI.
        request.headers_mut().remove(header::HOST);
        ForwardFuture {
            inner: self.client.request(request),
        }
    }
}

/// The client's response future, with the response's hop-by-hop headers
/// removed too (an upstream's `Connection: close` is about its connection
/// to us, not ours to the client).
pub struct ForwardFuture {
    inner: hyper_util::client::legacy::ResponseFuture,
}

impl Future for ForwardFuture {
    type Output = Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(Pin::new(&mut self.inner).poll(cx))?;
        remove_hop_by_hop(response.headers_mut());
        Poll::Ready(Ok(response))
    }
}

/// RFC 9110 §7.6.1: headers that describe one connection, not the message,
/// including any the `Connection` header names. `TE: trailers` is kept: it
/// is end-to-end in effect (gRPC needs it) and HTTP/2 allows exactly it.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let te_trailers = headers
        .get(header::TE)
        .is_some_and(|te| te.as_bytes().eq_ignore_ascii_case(b"trailers"));
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
    if te_trailers {
        headers.insert(header::TE, http::HeaderValue::from_static("trailers"));
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `Forward` under tower's timeout (`--timeout`: the layer answers 504)
/// and load shedding (beyond `--max-concurrency` requests in flight,
/// unlimited unless set, the layer answers 503). Both fail with errors,
/// which is why they go under the layer.
pub type Limited<S> = Timeout<LoadShed<ConcurrencyLimit<S>>>;

/// Several upstreams balanced by tower's p2c, each one's `Forward` in an
/// `EndpointSet`'s endpoint layer (with `--eject-after`), the set's guard
/// above the balancer, and a `Buffer` that shares them between
/// connections. Boxed: the composed type is long, and a box per request
/// costs little beside a balancer's work.
pub type Balanced<B> =
    BoxCloneSyncService<Request<B>, http::Response<hyper::body::Incoming>, BoxError>;

/// What the layer wraps: one upstream, or several.
// Made once and cloned per connection; boxing the one-upstream variant
// would put a pointer between it and every request.
#[allow(clippy::large_enum_variant)]
pub enum Upstreams<C, B> {
    One(Limited<Forward<C, B>>),
    Several(Limited<Balanced<B>>),
}

// By hand: deriving would demand `B: Clone`.
impl<C: Clone, B> Clone for Upstreams<C, B> {
    fn clone(&self) -> Self {
        match self {
            Self::One(one) => Self::One(one.clone()),
            Self::Several(several) => Self::Several(several.clone()),
        }
    }
}

impl<C, B> Service<Request<B>> for Upstreams<C, B>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<hyper::body::Incoming>;
    type Error = BoxError;
    type Future = UpstreamsFuture<
        <Limited<Forward<C, B>> as Service<Request<B>>>::Future,
        <Limited<Balanced<B>> as Service<Request<B>>>::Future,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Self::One(one) => one.poll_ready(cx),
            Self::Several(several) => several.poll_ready(cx),
        }
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        match self {
            Self::One(one) => UpstreamsFuture::One {
                future: one.call(request),
            },
            Self::Several(several) => UpstreamsFuture::Several {
                future: several.call(request),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of `Upstreams`.
    #[project = UpstreamsFutureProj]
    pub enum UpstreamsFuture<O, S> {
        One { #[pin] future: O },
        Several { #[pin] future: S },
    }
}

impl<O, S, T> Future for UpstreamsFuture<O, S>
where
    O: Future<Output = Result<T, BoxError>>,
    S: Future<Output = Result<T, BoxError>>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            UpstreamsFutureProj::One { future } => future.poll(cx),
            UpstreamsFutureProj::Several { future } => future.poll(cx),
        }
    }
}

/// The whole proxy service: the upstream (or the balanced upstreams) with
/// the timeout and load shedding, wrapped by the layer the flags describe.
/// `customize` may change the layer's settings further (the tests add a
/// hook there).
pub fn service<C, B>(
    args: &Args,
    client: Client<C, B>,
    customize: impl FnOnce(GatewayErrorLayerBuilder) -> GatewayErrorLayerBuilder,
) -> Result<GatewayErrorService<Upstreams<C, B>>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limit = args
        .max_concurrency
        .unwrap_or(tokio::sync::Semaphore::MAX_PERMITS);
    let upstreams = if args.balances() {
        Upstreams::Several(limited(balanced(args, client)?, limit, args.timeout))
    } else {
        let forward = Forward::new(client, &args.upstream[0], args.upstream_http2);
        Upstreams::One(limited(forward, limit, args.timeout))
    };
    let layer = customize(args.layer_builder()).build()?;
    Ok(layer.layer(upstreams))
}

fn limited<S>(inner: S, limit: usize, timeout: Duration) -> Limited<S> {
    Timeout::new(LoadShed::new(ConcurrencyLimit::new(inner, limit)), timeout)
}

/// The upstreams of `args`, balanced.
fn balanced<C, B>(args: &Args, client: Client<C, B>) -> Result<Balanced<B>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Endpoint<B> = BoxService<Request<B>, http::Response<hyper::body::Incoming>, BoxError>;
    let set = args.ejection().map(EndpointSet::new).transpose()?;
    let endpoints: Vec<Endpoint<B>> = args
        .upstream
        .iter()
        .map(|upstream| {
            let forward = Forward::new(client.clone(), upstream, args.upstream_http2);
            match &set {
                Some(set) => BoxService::new(set.endpoint_layer().layer(forward)),
                None => BoxService::new(forward.map_err(
                    |error: hyper_util::client::legacy::Error| -> BoxError { Box::new(error) },
                )),
            }
        })
        .collect();
    let balance = Balance::new(PendingRequestsDiscover::new(
        ServiceList::new(endpoints),
        CompleteOnResponse::default(),
    ));
    let guarded = match &set {
        Some(set) => BoxService::new(set.all_ejected_layer().layer(balance)),
        None => BoxService::new(balance),
    };
    Ok(BoxCloneSyncService::new(Buffer::new(guarded, 1024)))
}
