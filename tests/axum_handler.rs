//! An axum handler that calls the upstream itself and returns
//! `Result<_, UpstreamError>`: on its own, and under the layer. A real axum
//! server, a real hyper-util client, real failing upstreams.
// `?` on hyper-util's client error needs the `hyper` feature too.
#![cfg(all(feature = "axum", feature = "hyper"))]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::{StatusCode, Uri};
use http_body_util::Full;
use tower::ServiceExt;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError, UpstreamErrorKind};

use support::{assert_no_leak, body_bytes, client, closed_port, get as get_request, raw_upstream};

#[derive(Clone)]
struct Upstream {
    addr: SocketAddr,
    client: support::TestClient,
}

/// Forwards to the upstream, with `?` on the client's error.
async fn forward(State(upstream): State<Upstream>) -> Result<Response, UpstreamError> {
    let uri: Uri = format!("http://{}/", upstream.addr).parse().unwrap();
    let request = http::Request::get(uri)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = upstream.client.request(request).await?;
    Ok(response.map(Body::new))
}

/// The same under tower's `Timeout`, so a stall becomes `Elapsed`.
async fn forward_with_timeout(State(upstream): State<Upstream>) -> Result<Response, UpstreamError> {
    let uri: Uri = format!("http://{}/", upstream.addr).parse().unwrap();
    let request = http::Request::get(uri)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let timed = tower::timeout::Timeout::new(upstream.client.clone(), Duration::from_millis(200));
    // tower's `Timeout` boxes its errors, so classify the box.
    let response = timed
        .oneshot(request)
        .await
        .map_err(UpstreamError::classify)?;
    Ok(response.map(Body::new))
}

fn app(upstream: SocketAddr) -> Router {
    Router::new()
        .route("/", get(forward))
        .route("/timed", get(forward_with_timeout))
        .with_state(Upstream {
            addr: upstream,
            client: client(),
        })
}

/// Serves `app` on loopback; returns its address.
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn fetch(
    gateway: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (http::response::Parts, String) {
    let response = client()
        .request(get_request(&format!("http://{gateway}{path}"), headers))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body_bytes(http::Response::new(body)).await;
    (parts, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn alone_a_refused_upstream_is_a_plain_502() {
    let upstream = closed_port().await;
    let gateway = serve(app(upstream)).await;
    let (head, body) = fetch(gateway, "/", &[("accept", "application/json")]).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    // No layer, so no negotiation: the default format.
    assert_eq!(head.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        head.headers["proxy-status"],
        "gateway; error=connection_refused"
    );
    assert!(body.starts_with("Error 502: "), "{body}");
    assert_no_leak(&body, upstream);
}

#[tokio::test]
async fn alone_a_stalled_upstream_is_a_504() {
    let upstream = raw_upstream(support::stall).await;
    let gateway = serve(app(upstream)).await;
    let (head, body) = fetch(gateway, "/timed", &[]).await;
    assert_eq!(head.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        head.headers["proxy-status"],
        "gateway; error=http_response_timeout"
    );
    assert_no_leak(&body, upstream);
}

#[tokio::test]
async fn under_the_layer_the_layer_renders_it_with_its_settings() {
    let upstream = closed_port().await;
    let reported = Arc::new(AtomicUsize::new(0));
    let counter = reported.clone();
    let layer = GatewayErrorLayer::builder()
        .proxy_name("edge")
        .retry_after_for(UpstreamErrorKind::ConnectionRefused, RetryAfter::seconds(9))
        .on_error(
            move |error: &UpstreamError,
                  _: http::StatusCode,
                  _: &tower_gateway_error::CapturedRequest| {
                assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
                counter.fetch_add(1, Ordering::SeqCst);
            },
        )
        .build()
        .unwrap();
    let gateway = serve(app(upstream).layer(layer)).await;

    let (head, body) = fetch(gateway, "/", &[("accept", "application/json")]).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    assert_eq!(head.headers["content-type"], "application/problem+json");
    assert_eq!(head.headers["retry-after"], "9");
    assert_eq!(
        head.headers["proxy-status"],
        "edge; error=connection_refused"
    );
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 502);
    assert_no_leak(&body, upstream);
    // The layer told its hook once; the handler's default response did not.
    assert_eq!(reported.load(Ordering::SeqCst), 1);

    let (head, body) = fetch(gateway, "/", &[("accept", "text/html")]).await;
    assert_eq!(head.headers["content-type"], "text/html; charset=utf-8");
    assert!(body.contains("502"), "{body}");
    assert_eq!(reported.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn under_the_layer_upstream_answers_pass_through() {
    let upstream = raw_upstream(support::reply(support::VALID_503)).await;
    let gateway = serve(app(upstream).layer(GatewayErrorLayer::new())).await;
    let (head, body) = fetch(gateway, "/", &[]).await;
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(head.headers["retry-after"], "120");
    assert!(head.headers.get("proxy-status").is_none());
    assert_eq!(body, "maintenance\n");
}

#[tokio::test]
async fn a_handler_error_is_rendered_by_the_layer_in_process_too() {
    // Without a socket between, through `oneshot`: the same rendering.
    let upstream = closed_port().await;
    let layer = GatewayErrorLayer::builder()
        .fixed_format(tower_gateway_error::render::BodyFormat::Json)
        .build()
        .unwrap();
    let response = app(upstream)
        .layer(layer)
        .oneshot(http::Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let error = response.extensions().get::<UpstreamError>().unwrap();
    assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn handler_errors_under_the_layer_eject_a_dead_upstream() {
    use tower_gateway_error::eject::Ejection;

    let upstream = closed_port().await;
    let layer = GatewayErrorLayer::builder()
        .eject(Ejection::after(2, Duration::from_secs(30)))
        .build()
        .unwrap();
    let gateway = serve(app(upstream).layer(layer)).await;
    for _ in 0..2 {
        let (head, _) = fetch(gateway, "/", &[]).await;
        assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    }
    // The handler's `?` on the client's refusal counted: ejected.
    let (head, body) = fetch(gateway, "/", &[]).await;
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        head.headers["proxy-status"],
        "gateway; error=destination_unavailable"
    );
    assert_no_leak(&body, upstream);
}
