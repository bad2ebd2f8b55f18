//! The layer in front of axum-reverse-proxy's `ReverseProxy`, over real
//! sockets: the proxy answers its own failures (`Ok(502)`, `Ok(504)`),
//! and with the `axum-reverse-proxy` feature the layer recognises those
//! answers as the failures they are, with nothing else to write. The
//! client × fault cells are in `tests/clients.rs`; this file holds what
//! the matrix does not show: what passes through, what the hook, the
//! interception, the fast path and the retry policy make of a recognised
//! answer, and a WebSocket upgrade through both (the layer straight
//! around an upgrading app is in `tests/websocket.rs`).
#![cfg(feature = "axum-reverse-proxy")]

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum_reverse_proxy::{ProxyPolicy, ReverseProxy};
use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use tower::{Layer, ServiceExt};
use tower_gateway_error::eject::Ejection;
use tower_gateway_error::recognize::ReverseProxyFailure;
use tower_gateway_error::{CapturedRequest, GatewayErrorLayer, UpstreamError, UpstreamErrorKind};

use support::*;

fn proxy_to(url: &str) -> ReverseProxy<hyper_util::client::legacy::connect::HttpConnector> {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_millis(250)));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    ReverseProxy::new_with_client("/", url, client)
        .with_policy(ProxyPolicy::new().with_upstream_timeout(Duration::from_millis(500)))
}

/// Serves `service` with axum (which hands upgrades on), as an
/// axum-reverse-proxy user does.
async fn serve_axum<S>(service: S) -> SocketAddr
where
    S: tower::Service<Request<Body>, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Response: axum::response::IntoResponse,
    S::Future: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback_service(service);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

type Seen = Arc<Mutex<Vec<(UpstreamError, StatusCode)>>>;

fn recording() -> (tower_gateway_error::GatewayErrorLayerBuilder, Seen) {
    let seen = Seen::default();
    let record = seen.clone();
    let builder = GatewayErrorLayer::builder().on_error(
        move |error: &UpstreamError, status: StatusCode, _: &CapturedRequest| {
            record.lock().unwrap().push((error.clone(), status));
        },
    );
    (builder, seen)
}

#[tokio::test]
async fn the_upstreams_own_502_passes_through_untouched() {
    let upstream = raw_upstream(reply(
        b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nproxy-status: lb-7; error=connection_refused\r\ncontent-length: 13\r\n\r\nfrom upstream",
    ))
    .await;
    let (builder, seen) = recording();
    let layer = builder
        .intercept([StatusCode::BAD_GATEWAY, StatusCode::GATEWAY_TIMEOUT])
        .build()
        .unwrap();
    let gateway = serve_axum(layer.layer(proxy_to(&format!("http://{upstream}")))).await;

    let response = client()
        .request(get(&format!("http://{gateway}/x"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    // Intercepted, the upstream's 502 says it was received from there;
    // without interception it would be untouched. Either way it is not
    // the proxy's own failure.
    let proxy_status = response.headers()["proxy-status"].to_str().unwrap();
    assert!(
        proxy_status.contains("received-status=502"),
        "{proxy_status}"
    );
    assert!(seen.lock().unwrap().is_empty());

    let layer = GatewayErrorLayer::new();
    let gateway = serve_axum(layer.layer(proxy_to(&format!("http://{upstream}")))).await;
    let response = client()
        .request(get(&format!("http://{gateway}/x"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.headers()["proxy-status"],
        "lb-7; error=connection_refused"
    );
    assert_eq!(body_bytes(response).await, "from upstream");
}

#[tokio::test]
async fn a_recognised_answer_keeps_its_cause_and_never_says_the_upstream_answered() {
    let (url, upstream) = refused_url().await;
    let (builder, seen) = recording();
    // Intercepting 502 and 504 must not turn the proxy's own answer into
    // "the upstream answered 502".
    let layer = builder
        .intercept([StatusCode::BAD_GATEWAY, StatusCode::GATEWAY_TIMEOUT])
        .build()
        .unwrap();
    let gateway = serve_axum(layer.layer(proxy_to(&url))).await;

    let response = client()
        .request(get(
            &format!("http://{gateway}/orders"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let proxy_status = response.headers()["proxy-status"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        proxy_status.ends_with("; error=connection_refused"),
        "{proxy_status}"
    );
    assert!(!proxy_status.contains("received-status"), "{proxy_status}");
    let body = body_bytes(response).await;
    let problem = json(&body);
    assert_eq!(problem["proxy_error"], "connection_refused");
    // Its default body said only "Bad Gateway"; the address stays out.
    assert_no_leak(&String::from_utf8_lossy(&body), upstream);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (error, status) = &seen[0];
    assert_eq!(*status, StatusCode::BAD_GATEWAY);
    assert!(error.is_retry_safe());
    let cause = std::error::Error::source(error)
        .and_then(|cause| cause.downcast_ref::<ReverseProxyFailure>())
        .expect("the proxy's failure is the cause");
    assert!(cause.is_connect());
    assert_eq!(cause.status(), StatusCode::BAD_GATEWAY);
    assert!(cause.message().contains("Connection refused"), "{cause:?}");
}

#[tokio::test]
async fn its_stall_past_upstream_timeout_is_a_504_not_retry_safe() {
    let upstream = raw_upstream(stall).await;
    let (builder, seen) = recording();
    let layer = builder.build().unwrap();
    let gateway = serve_axum(layer.layer(proxy_to(&format!("http://{upstream}")))).await;
    let response = client()
        .request(get(&format!("http://{gateway}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), 504);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0.kind(), UpstreamErrorKind::HttpResponseTimeout);
    assert!(!seen[0].0.is_retry_safe());
}

/// A client that stops mid-upload is the request's failure, not the
/// upstream's: the proxy's text says its body stream failed.
#[tokio::test]
async fn a_client_that_stops_mid_upload_is_a_request_error() {
    use tokio::io::AsyncWriteExt;

    let upstream = raw_upstream(stall).await;
    let (builder, seen) = recording();
    let layer = builder.build().unwrap();
    let gateway = serve_axum(layer.layer(proxy_to(&format!("http://{upstream}")))).await;
    let mut stream = tokio::net::TcpStream::connect(gateway).await.unwrap();
    stream
        .write_all(b"POST /orders HTTP/1.1\r\nhost: gw\r\ncontent-length: 100\r\n\r\n0123456789")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
    for _ in 0..100 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].0.kind(),
        UpstreamErrorKind::HttpRequestError,
        "{:?}",
        seen[0].0
    );
    assert!(!seen[0].0.is_retry_safe());
}

/// A recognised answer counts toward ejection: after two refused calls
/// the third is answered at once, without dialling.
#[tokio::test]
async fn recognised_answers_trip_the_dead_upstream_fast_path() {
    let dials = Arc::new(AtomicUsize::new(0));
    let counted = dials.clone();
    let (url, _) = refused_url().await;
    let proxy = proxy_to(&url);
    let counting = tower::service_fn(move |request: Request<Body>| {
        counted.fetch_add(1, Ordering::SeqCst);
        proxy.clone().oneshot(request)
    });
    let layer = GatewayErrorLayer::builder()
        .eject(Ejection::after(2, Duration::from_secs(30)))
        .build()
        .unwrap();
    let gateway = serve_axum(layer.layer(counting)).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = client()
            .request(get(&format!("http://{gateway}/"), &[]))
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [502, 502, 503, 503]);
    assert_eq!(dials.load(Ordering::SeqCst), 2);
}

/// `RetryPolicy` under the layer retries the proxy's answer as the error
/// it stands for: a refused connect is retried even for a POST; an
/// upstream's own 502 is not retried.
#[cfg(feature = "retry")]
#[tokio::test]
async fn retry_policy_retries_a_recognised_answer_as_its_error() {
    use bytes::Bytes;
    use http_body_util::Full;
    use tower_gateway_error::retry::RetryPolicy;
    use tower_gateway_error::BoxError;

    async fn calls_for(url: String, method: &str) -> (u16, usize) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let proxy = proxy_to(&url);
        let counting = tower::service_fn(move |request: Request<Full<Bytes>>| {
            counted.fetch_add(1, Ordering::SeqCst);
            let proxy = proxy.clone();
            async move {
                // Infallible, but the retry policy judges errors it knows.
                let response = proxy.oneshot(request.map(Body::new)).await;
                response.map_err(|never| -> BoxError { match never {} })
            }
        });
        let policy = RetryPolicy::builder()
            .max_retries(2)
            .backoff(Duration::from_millis(1), Duration::from_millis(2))
            .build()
            .unwrap();
        let service = tower::ServiceBuilder::new()
            .layer(GatewayErrorLayer::new())
            .retry(policy)
            .service(counting);
        let request = Request::builder()
            .method(method)
            .uri("/orders")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        (response.status().as_u16(), calls.load(Ordering::SeqCst))
    }

    let (refused, _) = refused_url().await;
    assert_eq!(calls_for(refused, "POST").await, (502, 3));
    let upstream = raw_upstream(reply(
        b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n",
    ))
    .await;
    assert_eq!(
        calls_for(format!("http://{upstream}"), "GET").await,
        (502, 1)
    );
}

/// An axum app that echoes WebSocket messages: the upstream.
async fn websocket_echo() -> SocketAddr {
    use axum::extract::ws::{WebSocket, WebSocketUpgrade};

    async fn echo(mut socket: WebSocket) {
        while let Some(Ok(message)) = socket.recv().await {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    }
    let app = axum::Router::new().route(
        "/ws",
        axum::routing::get(|upgrade: WebSocketUpgrade| async move { upgrade.on_upgrade(echo) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A WebSocket session through `gateway`: the handshake's status, and a
/// message sent and echoed.
async fn websocket_round_trip(gateway: SocketAddr) -> (u16, String) {
    use tokio_tungstenite::tungstenite::Message;

    let (mut socket, response) = tokio_tungstenite::connect_async(format!("ws://{gateway}/ws"))
        .await
        .unwrap();
    socket.send(Message::text("hello through")).await.unwrap();
    let echoed = socket.next().await.unwrap().unwrap();
    socket.close(None).await.unwrap();
    (
        response.status().as_u16(),
        echoed.into_text().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_websocket_upgrade_passes_through_the_layer_behind_the_proxy() {
    let upstream = websocket_echo().await;
    let (builder, seen) = recording();
    let layer = builder.build().unwrap();
    let gateway = serve_axum(layer.layer(proxy_to(&format!("http://{upstream}")))).await;
    assert_eq!(
        websocket_round_trip(gateway).await,
        (101, "hello through".to_owned())
    );
    assert!(seen.lock().unwrap().is_empty());
}
