//! An axum gateway that calls its upstream through **reqwest**, with every
//! failure answered by `GatewayErrorLayer`: a refused upstream is a 502
//! `connection_refused`, one that accepts the connection but never answers
//! is a 504 `http_response_timeout` after `--read-timeout` (or `--timeout`),
//! one that cannot be connected to is a 504 `connection_timeout` after
//! `--connect-timeout`.
//!
//! ```text
//! cargo run --example reqwest_gateway --features reqwest-0-13 -- --upstream http://127.0.0.1:8080
//! curl -i -H 'accept: application/json' http://127.0.0.1:3000/anything
//! ```
//!
//! In your own project: `reqwest = "0.13"` (or 0.12) and
//! `tower-gateway-error = { version = "0.1", features = ["reqwest-0-13"] }`
//! (or `reqwest-0-12`); this example names reqwest `reqwest_0_13` only
//! because the crate's tests use both versions side by side.
//!
//! reqwest's `Client` is a tower `Service` of reqwest's own `Request`, and
//! the layer (like axum) speaks `http::Request`: the crate's `Forward`
//! adapter turns one into the other, forwarding each request to the
//! upstream with its path and query.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http::uri::Uri;
use reqwest_0_13 as reqwest;
use tower::Layer;
use tower_gateway_error::forward::reqwest_0_13::Forward;
use tower_gateway_error::GatewayErrorLayer;

/// A gateway to one upstream over reqwest, answering its failures with
/// tower-gateway-error.
#[derive(Debug, Parser)]
#[command(about = "A gateway to one upstream over reqwest: failures become 502/503/504 responses")]
struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Upstream to forward to: scheme, host and port (e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080", value_parser = parse_upstream)]
    upstream: Uri,
    /// reqwest's read timeout, in seconds: the longest the upstream may stay
    /// silent. Before the response head that is a 504; later the transfer
    /// breaks off. It restarts with every read, so long bodies live.
    #[arg(long = "read-timeout", value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    read_timeout: Duration,
    /// reqwest's total timeout, in seconds, off unless given: no response
    /// head by then is a 504, but it also covers the body, so a body still
    /// streaming then breaks off.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// reqwest's connect timeout, in seconds: a 504 `connection_timeout`.
    /// Keep it below the other two.
    #[arg(long = "connect-timeout", value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    connect_timeout: Duration,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tower_gateway_error=warn".into()),
        )
        .init();

    // This crate's tests build reqwest with rustls and no crypto provider,
    // so one is picked here. With reqwest's default features (or any
    // provider feature) you need no such line.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();

    let mut client = reqwest::Client::builder()
        .read_timeout(args.read_timeout)
        .connect_timeout(args.connect_timeout)
        // The upstream is a fixed address, not one to reach through
        // HTTP_PROXY; and its redirects are for the client to follow.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if let Some(total) = args.timeout {
        client = client.timeout(total);
    }
    let client = client.build();
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: cannot build the reqwest client: {error}");
            return ExitCode::FAILURE;
        }
    };
    let forward = match Forward::new(client, &args.upstream.to_string()) {
        Ok(forward) => forward,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let layer = GatewayErrorLayer::builder().proxy_name("gateway").build();
    let layer = match layer {
        Ok(layer) => layer,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let app = axum::Router::new().fallback_service(layer.layer(forward));

    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {}: {error}; pick another with --listen",
                args.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    println!(
        "reqwest gateway on http://{addr} -> {}; Ctrl-C stops it",
        args.upstream
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_upstream(text: &str) -> Result<Uri, String> {
    let uri: Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    match (uri.scheme_str(), uri.authority(), uri.path()) {
        (Some("http" | "https"), Some(_), "" | "/") if uri.query().is_none() => Ok(uri),
        _ => Err(
            "give a scheme (http or https), a host and a port, and no path: http://127.0.0.1:8080"
                .into(),
        ),
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
