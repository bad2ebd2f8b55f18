//! The proxies' flags, and the layer's settings and the client they ask
//! for.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use http::uri::Scheme;
use http::Uri;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_gateway_error::eject::Ejection;
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{GatewayErrorLayer, GatewayErrorLayerBuilder};

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
    /// Seconds to wait for the upstream's response head before answering
    /// 504, from when the request arrives: with --retries, reading the
    /// request's body, every try and the pauses between them count too.
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
    // The crate's `retry` feature (on by default) brings `RetryPolicy`.
    /// Retry a failed upstream call up to N times, when that is safe (the
    /// crate's RetryPolicy): a request that never reached an upstream
    /// (refused, connect timeout); an idempotent one whose connection
    /// failed after sending. With several upstreams the balancer picks
    /// again, and with --eject-after a refusing one soon drops out of its
    /// choice. Request bodies are then read in full before they are
    /// forwarded, so not for streaming requests.
    #[cfg(feature = "retry")]
    #[arg(long, value_name = "N", default_value = "0")]
    pub retries: usize,
    /// With --retries: the largest request body read for sending again, in
    /// bytes; a larger one is answered 413 and not forwarded.
    #[cfg(feature = "retry")]
    #[arg(
        long = "max-request-body",
        value_name = "BYTES",
        default_value = "1048576",
        requires = "retries"
    )]
    pub max_request_body: usize,
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
        #[cfg(feature = "retry")]
        if self.retries > 0 {
            // Only `ReadBody` turns a request down by policy here: for a
            // body over `--max-request-body`, RFC 9110's answer.
            builder = builder.status_for(
                tower_gateway_error::UpstreamErrorKind::HttpRequestDenied,
                http::StatusCode::PAYLOAD_TOO_LARGE,
            );
        }
        match self.format {
            Format::Auto => builder,
            Format::Html => builder.fixed_format(BodyFormat::Html),
            Format::Json => builder.fixed_format(BodyFormat::Json),
            Format::Text => builder.fixed_format(BodyFormat::Text),
        }
    }

    /// The ejection settings, when asked for: the layer's fast path with
    /// one upstream, an `EndpointSet` with several.
    pub(super) fn ejection(&self) -> Option<Ejection> {
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

    /// The connector for the upstreams, with the connect timeout asked for.
    pub fn connector(&self) -> HttpConnector {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(self.connect_timeout));
        connector
    }

    /// A hyper-util client over `connector`, with the HTTP version asked for.
    pub(super) fn client<C, B>(&self, connector: C) -> Client<C, B>
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
