//! The service fits where users put it: axum 0.8's `Router::layer` and
//! `fallback_service`, and a plain hyper 1 server; and it is Send + Sync +
//! Clone. Each fit is exercised over real sockets, not only compiled.

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

fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
fn assert_send<T: Send + 'static>() {}

#[test]
fn service_future_and_body_are_thread_safe() {
    type Proxy = Client<HttpConnector, Full<Bytes>>;
    assert_send_sync_clone::<GatewayErrorService<Proxy>>();
    assert_send_sync_clone::<GatewayErrorLayer>();
    assert_send::<ResponseFuture<hyper_util::client::legacy::ResponseFuture>>();
    assert_send::<ResponseBody<Incoming>>();
}

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
