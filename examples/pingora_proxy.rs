//! A pingora reverse proxy whose failures are answered by this crate: a
//! refused upstream is a 502 `connection_refused`, one that never answers
//! a 504 `connection_read_timeout` after `--timeout`, one that sends
//! garbage a 502 `http_protocol_error`, a name that does not resolve a 502
//! `dns_error`; each with the crate's page (HTML, problem+json or text, by
//! `Accept`), `Proxy-Status` and log event, instead of pingora's empty 502.
//!
//! ```text
//! cargo run --example pingora_proxy --features pingora-proxy -- --upstream 127.0.0.1:8080
//! curl -i -H 'accept: application/json' http://127.0.0.1:3000/anything
//! ```
//!
//! In your own project: `tower-gateway-error = { version = "0.1", features
//! = ["pingora-proxy"] }` beside `pingora-proxy = "0.9"`. pingora-proxy
//! builds zlib-ng, which needs `cmake`.
//!
//! The part to copy is `fail_to_proxy`, one line; and, because pingora's
//! `HttpPeer::new` panics on a name it cannot resolve, `upstream_peer`
//! resolves the name itself and returns the failure as the crate's
//! `DnsError`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use async_trait::async_trait;
use clap::Parser;
use pingora_core::server::{RunArgs, Server};
use pingora_core::upstreams::peer::HttpPeer;
use pingora_error::{Error, ErrorType, Result};
use pingora_proxy::{FailToProxy, ProxyHttp, Session};
use tower_gateway_error::dns::DnsError;
use tower_gateway_error::GatewayErrorLayer;

/// A pingora proxy to one upstream, answering its failures with
/// tower-gateway-error.
#[derive(Debug, Parser)]
#[command(about = "A pingora proxy to one upstream: failures become 502/503/504 responses")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Upstream to forward to, as host:port (an http:// prefix is allowed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080", value_parser = parse_upstream)]
    upstream: String,
    /// The longest the upstream may stay silent, in seconds: a 504.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    timeout: Duration,
    /// Connect timeout, in seconds: a 504 `connection_timeout`.
    #[arg(long = "connect-timeout", value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    connect_timeout: Duration,
}

struct Gateway {
    upstream: String,
    timeout: Duration,
    connect_timeout: Duration,
    layer: GatewayErrorLayer,
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        // `HttpPeer::new` would panic on a name that does not resolve.
        let addr = match tokio::net::lookup_host(self.upstream.as_str()).await {
            Ok(mut addrs) => addrs.next(),
            Err(error) => {
                return Err(Error::because(
                    ErrorType::ConnectError,
                    "resolving the upstream",
                    DnsError::failed(self.upstream.as_str(), error),
                ))
            }
        };
        let Some(addr) = addr else {
            return Err(Error::because(
                ErrorType::ConnectError,
                "resolving the upstream",
                DnsError::failed(self.upstream.as_str(), "no address"),
            ));
        };
        let mut peer = HttpPeer::new(addr, false, String::new());
        peer.options.connection_timeout = Some(self.connect_timeout);
        peer.options.read_timeout = Some(self.timeout);
        Ok(Box::new(peer))
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, _ctx: &mut ()) -> FailToProxy {
        tower_gateway_error::pingora::fail_to_proxy(&self.layer, session, e).await
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tower_gateway_error=warn".into()),
        )
        .init();

    let layer = match GatewayErrorLayer::builder().proxy_name("gateway").build() {
        Ok(layer) => layer,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    // pingora binds when it starts, and does not say where: a port of 0 is
    // replaced by a free one first, so the address can be printed.
    let listen = match pick_port(args.listen) {
        Ok(listen) => listen,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {}: {error}; pick another with --listen",
                args.listen
            );
            return ExitCode::FAILURE;
        }
    };

    let mut server = match Server::new(None) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: cannot start pingora: {error}");
            return ExitCode::FAILURE;
        }
    };
    server.bootstrap();
    let gateway = Gateway {
        upstream: args.upstream.clone(),
        timeout: args.timeout,
        connect_timeout: args.connect_timeout,
        layer,
    };
    let mut proxy = pingora_proxy::http_proxy_service(&server.configuration, gateway);
    proxy.add_tcp(&listen.to_string());
    server.add_service(proxy);
    println!(
        "pingora proxy on http://{listen} -> {}; Ctrl-C stops it",
        args.upstream
    );
    server.run(RunArgs::default());
    ExitCode::SUCCESS
}

fn pick_port(listen: SocketAddr) -> std::io::Result<SocketAddr> {
    // Bound and let go at once: another process could take the port in
    // between, which is as likely as with any fixed port.
    std::net::TcpListener::bind(listen)?.local_addr()
}

fn parse_upstream(text: &str) -> Result<String, String> {
    let host_port = text.strip_prefix("http://").unwrap_or(text);
    let host_port = host_port.strip_suffix('/').unwrap_or(host_port);
    match host_port.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(host_port.to_owned())
        }
        _ => Err("give a host and a port, such as 127.0.0.1:8080".into()),
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("not a number of seconds: {text:?}"))?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("give a positive number of seconds, not {text:?}"))
}
