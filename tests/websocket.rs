//! A WebSocket upgrade through the layer, over real sockets: the `101
//! Switching Protocols` and the upgraded connection pass through
//! untouched, as every proxy the layer sits in front of forwards them.
//! (Behind axum-reverse-proxy: `tests/axum_reverse_proxy.rs`.)

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tower_gateway_error::{CapturedRequest, GatewayErrorLayer, UpstreamError};

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if socket.send(message).await.is_err() {
            break;
        }
    }
}

#[tokio::test]
async fn a_websocket_upgrade_passes_through_the_layer() {
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    let layer = GatewayErrorLayer::builder()
        .on_error(
            move |_: &UpstreamError, _: http::StatusCode, _: &CapturedRequest| {
                *count.lock().unwrap() += 1;
            },
        )
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route(
            "/ws",
            axum::routing::get(|upgrade: WebSocketUpgrade| async move { upgrade.on_upgrade(echo) }),
        )
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (mut socket, response) = tokio_tungstenite::connect_async(format!("ws://{gateway}/ws"))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["upgrade"], "websocket");
    for text in ["first", "second"] {
        socket.send(Message::text(text)).await.unwrap();
        let echoed = socket.next().await.unwrap().unwrap();
        assert_eq!(echoed.into_text().unwrap().as_str(), text);
    }
    socket.close(None).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), 0, "no failure was reported");
}
