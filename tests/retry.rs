//! `RetryPolicy` under tower's `Retry`, inside the layer, against real
//! upstreams: a first connection refused by the kernel, an upstream that
//! resets after reading the request, and a budget that allows nothing.
// hyper-util's client error is classifiable with the `hyper` feature.
#![cfg(all(feature = "retry", feature = "hyper"))]

mod support;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tower::retry::budget::TpsBudget;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_gateway_error::retry::RetryPolicy;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError};

use support::{body_bytes, client, closed_port, raw_upstream, reset_after_head, serve};

type ConnectFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<TokioIo<TcpStream>>> + Send>>;

/// A connector whose first connection goes to a port nobody listens on (a
/// real refusal from the kernel) and every later one to `live`; counts the
/// connections it opened.
fn refused_first(
    refused: SocketAddr,
    live: SocketAddr,
    attempts: Arc<AtomicUsize>,
) -> impl tower::Service<Uri, Response = TokioIo<TcpStream>, Error = io::Error, Future = ConnectFuture>
       + Clone
       + Send
       + Sync
       + 'static {
    tower::service_fn(move |_: Uri| {
        let attempt = attempts.fetch_add(1, Ordering::SeqCst);
        let target = if attempt == 0 { refused } else { live };
        // hyper-util wants an `Unpin` connect future.
        Box::pin(async move { Ok(TokioIo::new(TcpStream::connect(target).await?)) })
            as ConnectFuture
    })
}

/// An upstream that counts connections and answers each with `answer`.
async fn counting_upstream<F, Fut>(answer: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let answer = Arc::new(answer);
    let addr = raw_upstream(move |stream| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        answer(n, stream)
    })
    .await;
    (addr, seen)
}

fn quick_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .backoff(Duration::from_millis(5), Duration::from_millis(50))
        .build()
        .unwrap()
}

/// Makes a streaming request body replayable: collects it, up to a limit,
/// into `Full<Bytes>`, which is `Clone`. This is what a proxy does before a
/// retrying client.
async fn buffered<B>(
    request: Request<B>,
    limit: usize,
) -> Result<Request<Full<Bytes>>, UpstreamError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            UpstreamError::new(tower_gateway_error::UpstreamErrorKind::HttpRequestError, e)
        })?
        .to_bytes();
    Ok(Request::from_parts(parts, Full::new(bytes)))
}

#[tokio::test]
async fn a_post_refused_at_connect_is_retried_and_succeeds() {
    let (live, seen) = counting_upstream(|_, stream| support::echo(stream)).await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let connector = refused_first(closed_port().await, live, attempts.clone());
    let retrying = ServiceBuilder::new()
        .retry(quick_policy())
        .service(Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(connector));
    // A real server in front, whose request bodies stream (`Incoming`):
    // they are buffered before the retrying client.
    let proxy = tower::service_fn(move |request: Request<hyper::body::Incoming>| {
        let mut retrying = retrying.clone();
        async move {
            let mut request = buffered(request, 64 * 1024).await?;
            *request.uri_mut() = format!("http://{live}/orders").parse().unwrap();
            retrying.ready().await.map_err(UpstreamError::classify)?;
            retrying
                .call(request)
                .await
                .map_err(UpstreamError::classify)
        }
    });
    let gateway = serve(GatewayErrorLayer::new().layer(proxy)).await;

    let request = Request::post(format!("http://{gateway}/orders"))
        .body(Full::new(Bytes::from_static(b"{\"item\": 7}")))
        .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let echoed = String::from_utf8(body_bytes(response).await.to_vec()).unwrap();
    assert!(echoed.starts_with("POST /orders"), "{echoed}");
    assert!(echoed.ends_with("{\"item\": 7}"), "{echoed}");
    // Two connection attempts (the refused one, then the live one), and
    // the upstream saw the request once.
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

/// The layer around `Retry` around a hyper-util client, in process; the
/// client's connections are real.
async fn send_through_retry(
    method: &str,
    upstream: SocketAddr,
    policy: RetryPolicy,
) -> (StatusCode, Option<String>) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let gateway = ServiceBuilder::new()
        .layer(GatewayErrorLayer::new())
        .retry(policy)
        .service(client);
    let request = Request::builder()
        .method(method)
        .uri(format!("http://{upstream}/items/1"))
        .body(Full::new(Bytes::from_static(b"payload")))
        .unwrap();
    let response = gateway.oneshot(request).await.unwrap();
    let proxy_status = response
        .headers()
        .get("proxy-status")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), proxy_status)
}

#[tokio::test]
async fn a_post_the_upstream_read_then_reset_is_not_retried() {
    let (upstream, seen) = counting_upstream(|_, stream| reset_after_head(stream)).await;
    let (status, proxy_status) = send_through_retry("POST", upstream, quick_policy()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        proxy_status.as_deref(),
        Some("gateway; error=connection_terminated")
    );
    // It may have been processed: sent once, not again.
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_get_the_upstream_read_then_reset_is_retried() {
    let (upstream, seen) = counting_upstream(|n, stream| async move {
        if n == 0 {
            reset_after_head(stream).await;
        } else {
            support::echo(stream).await;
        }
    })
    .await;
    let (status, proxy_status) = send_through_retry("GET", upstream, quick_policy()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(proxy_status, None);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let (upstream, seen) = counting_upstream(|_, stream| reset_after_head(stream)).await;
    let policy = RetryPolicy::builder()
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .max_retries(3)
        .build()
        .unwrap();
    let (status, _) = send_through_retry("PUT", upstream, policy).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(seen.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn an_empty_budget_allows_no_retry() {
    let (upstream, seen) = counting_upstream(|_, stream| reset_after_head(stream)).await;
    let policy = RetryPolicy::builder()
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        // tower's budget with no reserve and no share of the traffic.
        .budget(TpsBudget::new(Duration::from_secs(1), 0, 0.0))
        .build()
        .unwrap();
    let (status, _) = send_through_retry("GET", upstream, policy).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_budget_is_shared_by_every_request() {
    let (upstream, seen) = counting_upstream(|_, stream| reset_after_head(stream)).await;
    // One retry in reserve, none earned: the first request spends it.
    let policy = RetryPolicy::builder()
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .max_retries(3)
        .budget(TpsBudget::new(Duration::from_secs(1), 1, 0.0))
        .build()
        .unwrap();
    let (status, _) = send_through_retry("GET", upstream, policy.clone()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    let (status, _) = send_through_retry("GET", upstream, policy).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}
