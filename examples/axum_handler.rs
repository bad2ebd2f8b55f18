//! An axum handler that calls the upstream itself and returns
//! `Result<_, UpstreamError>`, using `?` on the client call. Needs the
//! `axum` feature.
//!
//! `/weather` is under a `GatewayErrorLayer`, which renders the handler's
//! error with its own settings (format by `Accept`, `Retry-After`, the log
//! event). `/bare/weather` is the same handler with no layer: the error's
//! own default response, a plain 502 or 504. The upstream is a port nobody
//! listens on.
//!
//! ```text
//! cargo run --example axum_handler --features axum     # 127.0.0.1:3000
//! cargo run --example axum_handler --features axum -- --listen 127.0.0.1:8000
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clap::Parser;
use http::{Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError};

#[path = "common/support.rs"]
mod support;

#[derive(Parser)]
#[command(about = "An axum handler returning Result<_, UpstreamError>")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
}

#[derive(Clone)]
struct Upstream {
    client: Client<HttpConnector, Body>,
    addr: SocketAddr,
}

/// Asks the weather service. A failed call becomes an `UpstreamError`
/// through `?`; a response the service gives, errors included, is returned
/// as it is.
async fn weather(State(upstream): State<Upstream>) -> Result<Response, UpstreamError> {
    let uri = Uri::try_from(format!("http://{}/forecast", upstream.addr))
        .expect("an address makes a valid URI");
    let request = Request::get(uri)
        .body(Body::empty())
        .expect("a GET with a valid URI");
    let response = upstream.client.request(request).await?;
    Ok(response.map(Body::new))
}

#[tokio::main]
async fn main() {
    support::init_logging();
    let args = Args::parse();
    let nobody = support::port_nobody_listens_on();
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(2)));
    let upstream = Upstream {
        client: Client::builder(TokioExecutor::new()).build(connector),
        addr: nobody.0,
    };

    let layer = GatewayErrorLayer::builder()
        .proxy_name("weather-edge")
        .retry_after(RetryAfter::seconds(10))
        .build()
        .expect("valid settings");
    let app = Router::new()
        .route("/weather", get(weather))
        .layer(layer)
        .route("/bare/weather", get(weather))
        .with_state(upstream);

    let (listener, addr) = support::listen(args.listen).await;
    println!("axum_handler example on http://{addr}\n");
    println!("# under the layer: negotiated format, Retry-After, a log line");
    println!("curl -i -H 'accept: application/json' http://{addr}/weather");
    println!("# the handler alone: the error's default plain-text 502");
    println!("curl -i http://{addr}/bare/weather\n");
    println!("Ctrl-C stops it.");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("the server runs until Ctrl-C");
}
