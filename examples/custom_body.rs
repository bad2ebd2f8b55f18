//! Branded error bodies and per-route settings in axum.
//!
//! `/api/...` answers failures as JSON only, in the API's own error shape,
//! with a 1-second response timeout; everything else gets a branded HTML
//! page. The upstream is embedded: `/api/slow` and `/slow` take 3 seconds,
//! and every other path goes to a port nobody listens on. The forwarding
//! here is the bare minimum; `reverse_proxy` shows it done properly
//! (hop-by-hop headers, `Host`).
//!
//! ```text
//! cargo run --example custom_body                 # listens on 127.0.0.1:3000
//! cargo run --example custom_body -- --listen 127.0.0.1:8000
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use clap::Parser;
use http::{Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceBuilder;
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};

#[path = "common/support.rs"]
mod support;

/// The API's own error shape. Each `{{field}}` expands to a JSON value.
const API_ERROR: &str = r#"{
  "error": {
    "code": {{status}},
    "type": {{error}},
    "message": {{detail}},
    "request_id": {{request_id}}
  },
  "docs": "https://example.com/docs/errors",
  "status_page": "https://status.example.com"
}"#;

/// The site's branded page. Fields are HTML-escaped.
const BRANDED_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{status}} · Example Shop</title>
<style>body{font-family:Georgia,serif;background:#fdf6e3;color:#073642;text-align:center;padding:4em}
.code{font-size:4em;color:#cb4b16;margin:0}.hint{color:#657b83}</style></head>
<body>
<p class="code">{{status}}</p>
<h1>We're having trouble reaching our shop right now.</h1>
<p>{{detail}}</p>
<p class="hint">Please try again in a minute. Reference: {{error}} {{request_id}}</p>
</body>
</html>
"#;

#[derive(Parser)]
#[command(about = "Branded error bodies and per-route settings in axum")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let slow = slow_upstream().await;
    let nobody = support::port_nobody_listens_on();

    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    let proxy = move |upstream: SocketAddr| {
        let client = client.clone();
        tower::service_fn(move |mut request: Request<Body>| {
            let client = client.clone();
            let target = if request.uri().path().ends_with("/slow") {
                slow
            } else {
                upstream
            };
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
            *request.uri_mut() = Uri::try_from(format!("http://{target}{path}"))
                .expect("a path from a parsed URI stays valid");
            async move { client.request(request).await }
        })
    };

    // One base, varied per route: the builder is cheap to clone.
    let base = GatewayErrorLayer::builder()
        .proxy_name("shop-edge")
        .retry_after_for(
            UpstreamErrorKind::ConnectionRefused,
            RetryAfter::seconds(30),
        );
    let api_errors = base
        .clone()
        .fixed_format(BodyFormat::Json)
        .json_template(API_ERROR)
        .build()
        .expect("the API template is valid JSON");
    let site_errors = base
        .fixed_format(BodyFormat::Html)
        .html_template(BRANDED_PAGE)
        .build()
        .expect("the page template is valid");

    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        // A route, not `nest_service`, which would strip `/api` from the
        // path the upstream sees.
        .route_service(
            "/api/{*rest}",
            ServiceBuilder::new()
                .layer(api_errors)
                .timeout(Duration::from_secs(1))
                .service(proxy(nobody.0)),
        )
        .fallback_service(
            ServiceBuilder::new()
                .layer(site_errors)
                .timeout(Duration::from_secs(10))
                .service(proxy(nobody.0)),
        );

    let (listener, addr) = support::listen(args.listen).await;
    println!("custom_body example on http://{addr}\n");
    println!("# the API's JSON error shape (502, then 504 after 1 s):");
    println!("curl -i -H 'x-request-id: abc-123' http://{addr}/api/orders");
    println!("curl -i http://{addr}/api/slow\n");
    println!("# the branded HTML page, whatever the Accept header says:");
    println!("curl -i -H 'accept: application/json' http://{addr}/checkout\n");
    println!("Ctrl-C stops it.");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("the server runs until Ctrl-C");
}

/// Answers every request after 3 seconds.
async fn slow_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        "finally\n"
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}
