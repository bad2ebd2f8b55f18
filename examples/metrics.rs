//! Counting failures with the `metrics` feature, exported for Prometheus.
//!
//! ```text
//! cargo run --example metrics --features metrics   # listens on 127.0.0.1:3000
//! curl -i http://127.0.0.1:3000/orders             # 502: the upstream refuses
//! curl http://127.0.0.1:3000/metrics               # the count, by error.type and status
//! ```
//!
//! The layer counts every failure in `gateway_upstream_failures_total`
//! through the `metrics` facade, labelled `error.type` and
//! `http.response.status_code`; which recorder receives it is the app's
//! choice. Here it is `metrics-exporter-prometheus`, rendered on
//! `/metrics` (the exporter writes the labels' dots as `_`):
//!
//! ```text
//! gateway_upstream_failures_total{error_type="connection_refused",http_response_status_code="502",proxy="gateway"} 1
//! ```

use std::net::SocketAddr;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use clap::Parser;
use http::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use metrics_exporter_prometheus::PrometheusBuilder;
use tower_gateway_error::GatewayErrorLayer;

#[path = "common/support.rs"]
mod support;

#[derive(Parser, Debug)]
#[command(about = "A gateway whose failures are counted and shown on /metrics")]
struct Args {
    /// Where the gateway listens.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    // Install the recorder before the first failure; the layer itself
    // installs none.
    let prometheus = PrometheusBuilder::new()
        .install_recorder()
        .expect("no other recorder is installed");

    // Every request goes to a port nobody listens on: each one is a 502.
    let (refused, _reserved) = support::port_nobody_listens_on();
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    let proxy = tower::service_fn(move |mut request: Request<Body>| {
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = format!("http://{refused}{path}")
            .parse()
            .expect("a path from a parsed URI stays valid");
        client.request(request)
    });
    let gateway = tower::ServiceBuilder::new()
        .layer(GatewayErrorLayer::new())
        .service(proxy);

    let app = Router::new()
        .route("/metrics", get(move || async move { prometheus.render() }))
        .fallback_service(gateway);
    let (listener, addr) = support::listen(args.listen).await;
    println!("gateway with metrics on http://{addr}/");
    println!("  curl -i http://{addr}/orders    # a 502, counted");
    println!("  curl http://{addr}/metrics      # the count");
    axum::serve(listener, app).await.expect("the server runs");
}
