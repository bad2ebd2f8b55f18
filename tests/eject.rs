//! The dead-upstream fast path over real sockets: a real hyper-util client
//! whose connection attempts are counted, an upstream port that refuses
//! until it starts listening, and the gateway served by hyper.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tower::{Layer, Service};
use tower_gateway_error::eject::{Ejection, UpstreamKey};
use tower_gateway_error::GatewayErrorLayer;

/// hyper-util's own connector, counting the connections it tries to open.
#[derive(Clone)]
struct CountingConnector {
    inner: HttpConnector,
    attempts: Arc<AtomicUsize>,
}

impl Service<Uri> for CountingConnector {
    type Response = <HttpConnector as Service<Uri>>::Response;
    type Error = <HttpConnector as Service<Uri>>::Error;
    type Future = <HttpConnector as Service<Uri>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.inner.call(uri)
    }
}

/// An upstream port that refuses connections until [`Self::open`] makes it
/// listen: the same address, down and then back.
struct Upstream {
    socket: Option<socket2::Socket>,
    addr: SocketAddr,
    /// Requests the upstream received once open.
    requests: Arc<AtomicUsize>,
}

impl Upstream {
    fn down() -> Self {
        let (addr, socket) = support::bound_not_listening();
        Self {
            socket: Some(socket),
            addr,
            requests: Arc::default(),
        }
    }

    /// Starts answering 200 after `delay`, on the same port.
    fn open(&mut self, delay: Duration) {
        let socket = self.socket.take().expect("opened once");
        socket.listen(128).unwrap();
        socket.set_nonblocking(true).unwrap();
        let listener = TcpListener::from_std(socket.into()).unwrap();
        let requests = self.requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let requests = requests.clone();
                let service = hyper::service::service_fn(move |_: Request<_>| {
                    requests.fetch_add(1, Ordering::SeqCst);
                    async move {
                        tokio::time::sleep(delay).await;
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(
                            Bytes::from_static(b"served"),
                        )))
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
                );
            }
        });
    }
}

type Routes = Arc<dyn Fn(&Request<hyper::body::Incoming>) -> SocketAddr + Send + Sync>;

/// A gateway served on loopback: a proxy handler over the counting client,
/// under the layer with `ejection`; `route` picks each request's upstream.
async fn gateway(ejection: Ejection, route: Routes, attempts: Arc<AtomicUsize>) -> SocketAddr {
    let connector = CountingConnector {
        inner: HttpConnector::new(),
        attempts,
    };
    let client: Client<_, hyper::body::Incoming> =
        Client::builder(TokioExecutor::new()).build(connector);
    let forward = tower::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        let upstream = route(&request);
        *request.uri_mut() = format!("http://{upstream}/").parse().unwrap();
        let client = client.clone();
        async move { client.request(request).await }
    });
    let layer = GatewayErrorLayer::builder()
        .eject(ejection)
        .build()
        .unwrap();
    support::serve(layer.layer(forward)).await
}

fn to(upstream: SocketAddr) -> Routes {
    Arc::new(move |_| upstream)
}

/// One GET to the gateway; its status, `Proxy-Status` error and
/// `Retry-After`.
async fn get(gateway: SocketAddr, host: &str) -> (StatusCode, String, Option<String>) {
    let call = support::client().request(support::get(
        &format!("http://{gateway}/orders"),
        &[("host", host)],
    ));
    // Bounded: a gateway that hangs fails the test instead of stalling it.
    let response = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the gateway answers within 10 s")
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let error = header("proxy-status")
        .and_then(|value| Some(value.split_once("error=")?.1.to_owned()))
        .unwrap_or_default();
    (response.status(), error, header("retry-after"))
}

const INTERVAL: Duration = Duration::from_millis(1_000);

#[tokio::test]
async fn a_dead_upstream_is_answered_at_once_and_tried_once_per_interval() {
    let upstream = Upstream::down();
    let attempts = Arc::new(AtomicUsize::new(0));
    let gateway = gateway(
        Ejection::after(3, INTERVAL),
        to(upstream.addr),
        attempts.clone(),
    )
    .await;

    for _ in 0..3 {
        let (status, error, _) = get(gateway, "orders").await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_GATEWAY, "connection_refused")
        );
    }
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    let ejected_at = Instant::now();

    // Ejected: every answer is a 503 with the whole seconds left, and no
    // connection is tried (for half an interval, so that a loaded machine
    // cannot reach the probe).
    let mut answered = 0;
    while answered < 50 && ejected_at.elapsed() < INTERVAL / 2 {
        let (status, error, retry_after) = get(gateway, "orders").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error, "destination_unavailable");
        let left: u64 = retry_after.expect("Retry-After").parse().unwrap();
        assert_eq!(left, 1, "at most the interval, rounded up");
        answered += 1;
    }
    assert!(answered >= 5, "only {answered} answers in half a second");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "no attempt while ejected"
    );

    // Knocking for three more intervals, every 20 ms: one attempt (a
    // probe, answered with its own 502) per interval at most.
    let start = Instant::now();
    let mut probes = 0;
    while start.elapsed() < 3 * INTERVAL {
        let (status, error, _) = get(gateway, "orders").await;
        match status {
            StatusCode::BAD_GATEWAY => {
                assert_eq!(error, "connection_refused");
                probes += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => assert_eq!(error, "destination_unavailable"),
            other => panic!("unexpected {other}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let tried = attempts.load(Ordering::SeqCst) - 3;
    assert_eq!(tried, probes, "each attempt was a probe");
    assert!(
        (2..=4).contains(&tried),
        "one attempt per interval over three intervals, got {tried}"
    );
}

#[tokio::test]
async fn an_upstream_back_is_served_within_one_interval() {
    let mut upstream = Upstream::down();
    let attempts = Arc::new(AtomicUsize::new(0));
    let gateway = gateway(Ejection::after(2, INTERVAL), to(upstream.addr), attempts).await;
    for _ in 0..2 {
        get(gateway, "orders").await;
    }
    assert_eq!(
        get(gateway, "orders").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );

    upstream.open(Duration::ZERO);
    let back = Instant::now();
    loop {
        let (status, _, _) = get(gateway, "orders").await;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            back.elapsed() < 2 * INTERVAL, // one interval, and slack for a loaded machine
            "still refused {:?} after the upstream came back",
            back.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Served from then on.
    for _ in 0..5 {
        assert_eq!(get(gateway, "orders").await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn requests_during_a_probe_do_not_pile_onto_the_upstream() {
    let mut upstream = Upstream::down();
    let attempts = Arc::new(AtomicUsize::new(0));
    let gateway = gateway(
        Ejection::after(1, INTERVAL),
        to(upstream.addr),
        attempts.clone(),
    )
    .await;
    get(gateway, "orders").await;
    // Back, but slow to answer: the probe takes 1.5 s, so all 20 requests
    // arrive while it is under way, even on a loaded machine.
    upstream.open(Duration::from_millis(1_500));
    tokio::time::sleep(INTERVAL + Duration::from_millis(50)).await;

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        calls.spawn(get(gateway, "orders"));
    }
    let answers = calls.join_all().await;
    let served = answers.iter().filter(|a| a.0 == StatusCode::OK).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|a| a.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(served, 1, "the probe: {answers:?}");
    assert_eq!(refused.len(), 19, "{answers:?}");
    for (_, error, retry_after) in refused {
        assert_eq!(error, "destination_unavailable");
        assert_eq!(retry_after.as_deref(), Some("1"), "a probe is under way");
    }
    assert_eq!(upstream.requests.load(Ordering::SeqCst), 1);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "the first failure and the probe"
    );
    assert_eq!(get(gateway, "orders").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_page_advises_the_wait_that_retry_after_gives() {
    let upstream = Upstream::down();
    let attempts = Arc::new(AtomicUsize::new(0));
    let gateway = gateway(
        Ejection::after(1, Duration::from_secs(30)),
        to(upstream.addr),
        attempts,
    )
    .await;
    get(gateway, "orders").await;
    for accept in ["text/plain", "text/html"] {
        let response = support::client()
            .request(support::get(
                &format!("http://{gateway}/orders"),
                &[("accept", accept), ("accept-language", "de")],
            ))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((29..=30).contains(&retry_after), "{retry_after}");
        let body = support::body_bytes(response).await;
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("30 Sekunden"), "{accept}: {page}");
        support::assert_no_leak(&page, upstream.addr);
    }
}

#[tokio::test]
async fn an_upstreams_own_errors_never_eject_it() {
    let upstream = support::raw_upstream(support::reply_and_close(
        b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 7\r\nconnection: close\r\ncontent-length: 4\r\n\r\nbusy",
    ))
    .await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let gateway = gateway(Ejection::after(1, INTERVAL), to(upstream), attempts).await;
    for _ in 0..5 {
        let (status, error, retry_after) = get(gateway, "orders").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error, "", "the upstream's own answer, passed through");
        assert_eq!(retry_after.as_deref(), Some("7"));
    }
}

#[tokio::test]
async fn keyed_by_authority_a_dead_upstream_does_not_refuse_a_live_one() {
    let dead = Upstream::down();
    let mut live = Upstream::down();
    live.open(Duration::ZERO);
    let (dead_addr, live_addr) = (dead.addr, live.addr);
    let route: Routes = Arc::new(move |request| {
        if request.headers()["host"] == "dead.test" {
            dead_addr
        } else {
            live_addr
        }
    });
    let attempts = Arc::new(AtomicUsize::new(0));
    let gateway = gateway(
        Ejection::after(2, INTERVAL).per_upstream(UpstreamKey::Authority, 16),
        route,
        attempts,
    )
    .await;
    for _ in 0..2 {
        assert_eq!(get(gateway, "dead.test").await.0, StatusCode::BAD_GATEWAY);
    }
    assert_eq!(
        get(gateway, "DEAD.test").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    for _ in 0..3 {
        assert_eq!(get(gateway, "live.test").await.0, StatusCode::OK);
    }
}
