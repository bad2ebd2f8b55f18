//! The service fits where users put it: axum 0.8's `Router::layer` and
//! `fallback_service`, a plain hyper 1 server, `ServiceBuilder`, and code
//! that calls the upstream itself and answers with the layer's responses;
//! and it crosses threads as they need. Each fit is exercised over real
//! sockets, not only compiled.

mod support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::routing::get as get_route;
use axum::Router;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::{Layer, ServiceExt};
use tower_gateway_error::{GatewayErrorLayer, GatewayErrorService, ResponseBody, ResponseFuture};

use support::*;

/// Checked when this file compiles, not when it runs: the layer and the
/// service over a hyper-util client are `Send + Sync + Clone` (tokio's
/// multi-threaded runtime, axum's router and hyper's servers clone and
/// share them), and the future and body are `Send` (spawned tasks hold
/// them). If one stops being so, this file no longer builds.
const _: () = {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send + 'static>() {}
    type Proxy = Client<HttpConnector, Full<Bytes>>;
    let _: [fn(); 4] = [
        send_sync_clone::<GatewayErrorService<Proxy>>,
        send_sync_clone::<GatewayErrorLayer>,
        send::<ResponseFuture<hyper_util::client::legacy::ResponseFuture>>,
        send::<ResponseBody<Incoming>>,
    ];
};

async fn serve_axum(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

#[tokio::test]
async fn axum_fallback_service_and_router_layer() {
    let refused = closed_port().await;
    let router = Router::new()
        .route("/local", get_route(|| async { "served locally" }))
        .fallback_service(GatewayErrorLayer::new().layer(proxy_to::<Body>(refused)))
        .layer(GatewayErrorLayer::new());
    let gateway = serve_axum(router).await;

    let response = client()
        .request(get(
            &format!("http://{gateway}/api/x"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=connection_refused"
    );
    let body = body_bytes(response).await;
    assert!(body.starts_with(b"{\"type\":\"about:blank\""), "{body:?}");

    let response = client()
        .request(get(&format!("http://{gateway}/local"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_bytes(response).await, &b"served locally"[..]);
}

#[tokio::test]
async fn plain_hyper_server_over_the_wire() {
    let refused = closed_port().await;
    let gateway = GatewayErrorLayer::new().layer(proxy_to::<Incoming>(refused));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(gateway.clone());
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });

    let response = client()
        .request(get(&format!("http://{addr}/"), &[("accept", "text/html")]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = body_as_declared(response).await;

    // HEAD over the wire: same Content-Length, no body bytes.
    let response = client()
        .request(request(
            "HEAD",
            &format!("http://{addr}/"),
            &[("accept", "text/html")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["content-length"],
        body.len().to_string().as_str()
    );
    assert!(body_bytes(response).await.is_empty());
}

#[tokio::test]
async fn oneshot_through_service_builder() {
    let refused = closed_port().await;
    let service = tower::ServiceBuilder::new()
        .layer(GatewayErrorLayer::new())
        .service(proxy_to::<Full<Bytes>>(refused));
    let response = service.oneshot(get("/", &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_hand_written_proxy_gets_the_same_answers() {
    // Code that calls the upstream itself, as a pingora handler would.
    let url = format!("http://{}/some/path?q=1", closed_port().await);
    let layer = GatewayErrorLayer::builder()
        .proxy_name("edge")
        .build()
        .unwrap();
    let request = get(&url, &[("accept", "application/json")]);
    let captured = layer.capture_request(&request);
    let response = match client().request(request).await {
        Ok(response) => response.map(tower_gateway_error::ResponseBody::upstream),
        Err(error) => layer.error_response(layer.classify(error), &captured),
    };
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["proxy-status"],
        "edge; error=connection_refused"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(captured.uri().path(), "/some/path");
}
