//! A failure after the response head was sent: the upstream sends `200`,
//! `Content-Length: 100`, 10 bytes, then resets. The status cannot change
//! any more, so the client must see a broken response — never a clean
//! short body — and the layer's hook must still hear of it.
//!
//! Driven through the `reverse_proxy` example's own code on a real
//! listener, by a real hyper client.

#[path = "../examples/reverse_proxy/app.rs"]
mod app;
#[path = "../examples/common/proxy/mod.rs"]
#[allow(dead_code)]
mod proxy;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_gateway_error::CapturedRequest;
use tower_gateway_error::{UpstreamError, UpstreamErrorKind};

use support::*;

type Seen = Arc<Mutex<Vec<(UpstreamErrorKind, Method, String)>>>;

async fn gateway_to(upstream: std::net::SocketAddr, seen: Seen) -> std::net::SocketAddr {
    let args =
        proxy::Args::try_parse_from(["reverse_proxy", "--upstream", &format!("http://{upstream}")])
            .unwrap();
    let router = app::router(&args, args.connector(), move |layer| {
        layer.on_error(
            move |error: &UpstreamError, _: http::StatusCode, request: &CapturedRequest| {
                seen.lock().unwrap().push((
                    error.kind(),
                    request.method().clone(),
                    request.uri().path().to_owned(),
                ));
            },
        )
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

#[tokio::test]
async fn a_body_cut_short_reaches_the_client_broken_and_the_hook_hears_of_it() {
    let upstream = raw_upstream(breaks_mid_body).await;
    let seen = Seen::default();
    let gateway = gateway_to(upstream, seen.clone()).await;

    let response = client()
        .request(get(&format!("http://{gateway}/download"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-length"], "100");
    let collected = response.into_body().collect().await;
    assert!(
        collected.is_err(),
        "the client got a clean body instead of a broken one: {:?}",
        collected.map(|c| c.to_bytes())
    );

    // The hook runs when the server polls the broken body; give it a moment.
    for _ in 0..50 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(
            UpstreamErrorKind::HttpResponseIncomplete,
            Method::GET,
            "/download".to_owned()
        )]
    );
}

#[tokio::test]
async fn on_the_wire_the_client_gets_fewer_bytes_than_promised_and_a_close() {
    let upstream = raw_upstream(breaks_mid_body).await;
    let gateway = gateway_to(upstream, Seen::default()).await;

    let mut stream = tokio::net::TcpStream::connect(gateway).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: gateway\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .expect("the gateway closes the connection after the broken body")
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&received);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("content-length: 100"), "{head}");
    assert_eq!(
        body, "0123456789",
        "the connection must end right after what arrived"
    );
}

/// With chunked framing only the gateway passing the error on tells the
/// client the body is incomplete: were it swallowed, the server would end
/// the chunked body cleanly.
#[tokio::test]
async fn a_chunked_body_cut_short_is_not_ended_cleanly() {
    let upstream = raw_upstream(breaks_mid_chunked_body).await;
    let seen = Seen::default();
    let gateway = gateway_to(upstream, seen.clone()).await;

    let response = client()
        .request(get(&format!("http://{gateway}/stream"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let collected = response.into_body().collect().await;
    assert!(
        collected.is_err(),
        "a cut chunked body reached the client as complete: {:?}",
        collected.map(|c| c.to_bytes())
    );
    wait_for_report(&seen).await;
    assert_eq!(
        seen.lock().unwrap()[0].0,
        UpstreamErrorKind::HttpResponseIncomplete
    );
}

/// An HTTP/2 client has no connection close to notice: the stream must be
/// reset, not ended.
#[tokio::test]
async fn an_http2_client_sees_the_stream_reset() {
    let upstream = raw_upstream(breaks_mid_chunked_body).await;
    let gateway = gateway_to(upstream, Seen::default()).await;
    let response = h2_client()
        .request(get(&format!("http://{gateway}/stream"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.into_body().collect().await.is_err());
}

async fn wait_for_report(seen: &Seen) {
    for _ in 0..50 {
        if !seen.lock().unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_complete_body_is_not_reported() {
    let upstream = raw_upstream(reply(VALID_500)).await;
    let seen = Seen::default();
    let gateway = gateway_to(upstream, seen.clone()).await;
    let response = client()
        .request(get(&format!("http://{gateway}/"), &[]))
        .await
        .unwrap();
    let body = body_bytes(response).await;
    assert_eq!(body.len(), 20);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(seen.lock().unwrap().is_empty());
}
