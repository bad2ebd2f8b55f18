//! Where the layer goes among tower's and tower-http's middleware, as the
//! README's "Where it goes in a stack" says: middleware that fails with an
//! error goes under it (a timeout, a buffer), middleware that answers by
//! itself goes over it. Real hyper-util client, real stalling upstream,
//! real server.
#![cfg(feature = "hyper")]

mod support;

use std::time::Duration;

use http::StatusCode;
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError};
use tower_http::timeout::TimeoutLayer;

use support::*;

/// tower's `Timeout` under the layer: its error becomes the layer's 504.
#[tokio::test]
async fn tower_timeout_under_the_layer_answers_504() {
    let addr = raw_upstream(stall).await;
    let gateway = tower::ServiceBuilder::new()
        .layer(
            GatewayErrorLayer::builder()
                .retry_after(RetryAfter::seconds(5))
                .build()
                .unwrap(),
        )
        .timeout(Duration::from_millis(200))
        .service(client());
    let response = gateway
        .oneshot(get(
            &format!("http://{addr}/"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=http_response_timeout"
    );
    assert_eq!(response.headers()["retry-after"], "5");
    let error = response.extensions().get::<UpstreamError>().unwrap();
    assert!(error.is_timeout());
    let problem: serde_json::Value = serde_json::from_slice(&body_bytes(response).await).unwrap();
    assert_eq!(problem["title"], "Gateway Timeout");
}

/// A `Buffer` under the layer whose worker is gone fails in `poll_ready`:
/// that call and every later one are answered, as a 503.
#[tokio::test]
async fn a_buffer_whose_worker_is_gone_is_answered_on_every_call() {
    let (buffer, worker) = tower::buffer::Buffer::pair(client(), 4);
    drop(worker);
    let mut gateway = GatewayErrorLayer::new().layer(buffer);
    for _ in 0..3 {
        let response = tower::Service::call(
            tower::ServiceExt::ready(&mut gateway).await.unwrap(),
            get("http://127.0.0.1:9/", &[]),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()["proxy-status"],
            "gateway; error=destination_unavailable"
        );
    }
}

/// tower-http's `TimeoutLayer` under the layer: its 408 is a response, so
/// it passes through as if the upstream had answered it: no 504, no
/// `Proxy-Status`, no body. This is the mistake the README warns about.
#[tokio::test]
async fn tower_http_timeout_under_the_layer_passes_through_as_its_own_answer() {
    let upstream = raw_upstream(stall).await;
    let service = ServiceBuilder::new()
        .layer(GatewayErrorLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(200),
        ))
        .map_response(|response: http::Response<hyper::body::Incoming>| {
            response.map(axum::body::Body::new)
        })
        .service(proxy_to(upstream));
    let gateway = serve(service).await;

    let response = client()
        .request(get(&format!("http://{gateway}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(response.headers().get("proxy-status").is_none());
    assert!(body_bytes(response).await.is_empty());
}

/// The order the README gives: a longer backstop timeout over the layer,
/// tower's `Timeout` under it. The layer's 504 comes first, with its body
/// and `Proxy-Status`, not the backstop's empty answer.
#[tokio::test]
async fn tower_timeout_under_the_layer_and_a_backstop_over_it() {
    let upstream = raw_upstream(stall).await;
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(10),
        ))
        .layer(
            GatewayErrorLayer::builder()
                .default_format(BodyFormat::Json)
                .build()
                .unwrap(),
        )
        .timeout(Duration::from_millis(200))
        .service(proxy_to(upstream));
    let gateway = serve(service).await;

    let response = client()
        .request(get(
            &format!("http://{gateway}/"),
            &[("x-request-id", "stack-1")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=http_response_timeout"
    );
    let problem: serde_json::Value = serde_json::from_slice(&body_bytes(response).await).unwrap();
    assert_eq!(problem["proxy_error"], "http_response_timeout");
    assert_eq!(problem["request_id"], "stack-1");
}
