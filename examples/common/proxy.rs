//! What the `reverse_proxy` and `hyper_proxy` examples share: their flags,
//! the forwarding service, and the stack `GatewayErrorLayer` wraps around
//! it. The fault-matrix tests drive this same code.

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
use tower::limit::ConcurrencyLimit;
use tower::load_shed::LoadShed;
use tower::timeout::Timeout;
use tower::{Layer, Service};
use tower_gateway_error::eject::Ejection;
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{
    ConfigError, GatewayErrorLayer, GatewayErrorLayerBuilder, GatewayErrorService,
};

/// A reverse proxy to one upstream, answering its failures with
/// tower-gateway-error.
#[derive(Debug, Clone, Parser)]
#[command(
    version,
    about = "A reverse proxy to one upstream: its failures become 502/503/504 responses \
             with Proxy-Status and a body chosen by Accept (tower-gateway-error)"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Upstream to forward to: scheme, host and port only (e.g. http://127.0.0.1:8080).
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080",
        value_parser = parse_upstream
    )]
    pub upstream: Uri,
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
        if let (Some(failures), Some(duration)) = (self.eject_after, self.eject_for) {
            builder = builder.eject(Ejection::after(failures, duration));
        }
        match self.format {
            Format::Auto => builder,
            Format::Html => builder.fixed_format(BodyFormat::Html),
            Format::Json => builder.fixed_format(BodyFormat::Json),
            Format::Text => builder.fixed_format(BodyFormat::Text),
        }
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
pub type Limited<C, B> = Timeout<LoadShed<ConcurrencyLimit<Forward<C, B>>>>;

/// The whole proxy service: `Forward` with its timeout and load shedding,
/// wrapped by the layer the flags describe. `customize` may change the layer's settings
/// further (the tests add a hook there).
pub fn service<C, B>(
    args: &Args,
    client: Client<C, B>,
    customize: impl FnOnce(GatewayErrorLayerBuilder) -> GatewayErrorLayerBuilder,
) -> Result<GatewayErrorService<Limited<C, B>>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let forward = Forward::new(client, &args.upstream, args.upstream_http2);
    let limit = args
        .max_concurrency
        .unwrap_or(tokio::sync::Semaphore::MAX_PERMITS);
    let inner = Timeout::new(
        LoadShed::new(ConcurrencyLimit::new(forward, limit)),
        args.timeout,
    );
    let layer = customize(args.layer_builder()).build()?;
    Ok(layer.layer(inner))
}
