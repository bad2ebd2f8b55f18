//! Ejection per endpoint behind tower's p2c balancer, over real sockets:
//! three endpoints, each a hyper-util `Client` to its own upstream under
//! an `EndpointSet`'s endpoint layer, `Balance` over them, the set's guard
//! above, and the layer outermost.
#![cfg(feature = "retry")]

mod support;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use tower::balance::p2c::Balance;
use tower::discover::ServiceList;
use tower::load::{CompleteOnResponse, PendingRequestsDiscover};
use tower::{BoxError, Layer, Service, ServiceBuilder, ServiceExt};
use tower_gateway_error::eject::{Ejection, EndpointSet};
use tower_gateway_error::GatewayErrorLayer;

use support::*;

const AFTER: u32 = 2;
const INTERVAL: Duration = Duration::from_millis(400);

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/// One endpoint's client, counting the calls (the dials, for a refused
/// upstream: each call connects anew).
fn endpoint(
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
) -> impl Service<
    Request<Full<Bytes>>,
    Response = Response<Incoming>,
    Error = hyper_util::client::legacy::Error,
    Future = hyper_util::client::legacy::ResponseFuture,
> + Send
       + 'static {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_millis(200)));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    tower::service_fn(move |mut request: Request<Full<Bytes>>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = format!("http://{addr}{path}").parse().unwrap();
        client.request(request)
    })
}

/// What the gateway answers a client with.
type Answer = Response<tower_gateway_error::ResponseBody<Incoming>>;

struct Setup {
    set: EndpointSet,
    /// Calls to each endpoint, in order.
    calls: Vec<Arc<AtomicUsize>>,
}

/// The gateway over `addrs`: with `retries`, `RetryPolicy` between the
/// set's guard and the balancer.
fn gateway(
    set: EndpointSet,
    addrs: &[SocketAddr],
    retries: Option<usize>,
) -> (
    impl Service<
            Request<Full<Bytes>>,
            Response = Answer,
            Error = Infallible,
            Future = impl Future<Output = Result<Answer, Infallible>> + Send,
        > + Clone
        + Send
        + 'static,
    Setup,
) {
    let calls: Vec<Arc<AtomicUsize>> = addrs.iter().map(|_| Arc::default()).collect();
    let endpoints: Vec<_> = addrs
        .iter()
        .zip(&calls)
        .map(|(addr, calls)| {
            let counted = endpoint(*addr, calls.clone());
            set.endpoint_layer().layer(counted)
        })
        .collect();
    let balanced = Balance::new(PendingRequestsDiscover::new(
        ServiceList::new(endpoints),
        CompleteOnResponse::default(),
    ));
    let policy = retries.map(|retries| {
        tower_gateway_error::retry::RetryPolicy::builder()
            .max_retries(retries)
            .backoff(Duration::from_millis(1), Duration::from_millis(2))
            .build()
            .unwrap()
    });
    // Retry clones its inner service, and a gateway shares one balancer
    // between connections: a `Buffer` in front of the balancer, under the
    // retry, and the guard right above the balancer, so a request queued
    // in the buffer is answered once every endpoint is out.
    let service = ServiceBuilder::new()
        .layer(GatewayErrorLayer::new())
        .option_layer(policy.map(tower::retry::RetryLayer::new))
        .buffer(64)
        .layer(set.all_ejected_layer())
        .service(balanced);
    (service, Setup { set, calls })
}

/// An upstream answering 200 to every request on a kept-alive connection.
async fn ok_upstream() -> SocketAddr {
    raw_upstream(answer_ok).await
}

async fn answer_ok(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    // Heads only: a request's small body is read with the next head.
    while !read_head(&mut stream).await.is_empty() {
        if stream.write_all(OK).await.is_err() {
            break;
        }
    }
}

/// `count` requests one after the other, `pause` apart: the statuses.
async fn send<S>(service: &mut S, count: usize, pause: Duration) -> Vec<u16>
where
    S: Service<Request<Full<Bytes>>, Response = Answer, Error = Infallible>,
{
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        let request = Request::post("/orders")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let response = service.ready().await.unwrap().call(request).await.unwrap();
        statuses.push(response.status().as_u16());
        tokio::time::sleep(pause).await;
    }
    statuses
}

fn set() -> EndpointSet {
    EndpointSet::new(Ejection::after(AFTER, INTERVAL)).unwrap()
}

fn failures(statuses: &[u16]) -> usize {
    statuses.iter().filter(|&&s| s != 200).count()
}

/// The most probes a dead endpoint gets in `elapsed`: one per interval,
/// plus one for a partly run interval.
fn probes_in(elapsed: Duration) -> usize {
    (elapsed.as_millis() / INTERVAL.as_millis()) as usize + 1
}

#[tokio::test]
async fn an_ejected_endpoint_gets_only_its_probes_and_clients_see_only_those() {
    let dead = closed_port().await;
    let addrs = [ok_upstream().await, dead, ok_upstream().await];
    let (mut service, setup) = gateway(set(), &addrs, None);
    let started = Instant::now();
    let statuses = send(&mut service, 300, Duration::from_millis(3)).await;
    let elapsed = started.elapsed();
    let dials = setup.calls[1].load(Ordering::SeqCst);
    let allowed = AFTER as usize + probes_in(elapsed);
    assert!(
        dials <= allowed,
        "the dead endpoint was dialled {dials} times in {elapsed:?}; at most {allowed}"
    );
    assert_eq!(failures(&statuses), dials, "each dial of it is one failure");
    assert_eq!(setup.set.counts().0, 3);
    assert!(
        setup.calls[0].load(Ordering::SeqCst) + setup.calls[2].load(Ordering::SeqCst)
            >= 300 - dials
    );
}

#[tokio::test]
async fn with_the_retry_policy_clients_see_no_failure() {
    let dead = closed_port().await;
    let addrs = [ok_upstream().await, dead, ok_upstream().await];
    // As many retries as failures eject: a request can meet the dead
    // endpoint at most that often before it is out.
    let (mut service, setup) = gateway(set(), &addrs, Some(AFTER as usize));
    let started = Instant::now();
    let statuses = send(&mut service, 300, Duration::from_millis(3)).await;
    let elapsed = started.elapsed();
    assert_eq!(failures(&statuses), 0, "{statuses:?}");
    let dials = setup.calls[1].load(Ordering::SeqCst);
    assert!(
        dials <= AFTER as usize + probes_in(elapsed),
        "{dials} in {elapsed:?}"
    );
}

#[tokio::test]
async fn a_recovered_endpoint_gets_traffic_again_within_an_interval() {
    let (addr, socket) = bound_not_listening();
    let addrs = [ok_upstream().await, addr, ok_upstream().await];
    let (mut service, setup) = gateway(set(), &addrs, Some(AFTER as usize));
    send(&mut service, 50, Duration::from_millis(2)).await;
    assert_eq!(setup.set.counts().1, 1, "the dead endpoint is ejected");

    // It comes back, on the same port.
    socket.listen(128).unwrap();
    socket.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(socket.into()).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer_ok(stream));
        }
    });
    let before = setup.calls[1].load(Ordering::SeqCst);
    let came_back = Instant::now();
    // Requests until the first reaches it again: within one interval (and
    // the probe's own time) of its coming back.
    let mut back_after = None;
    for _ in 0..400 {
        send(&mut service, 1, Duration::from_millis(5)).await;
        if setup.calls[1].load(Ordering::SeqCst) > before {
            back_after = Some(came_back.elapsed());
            break;
        }
    }
    let back_after = back_after.expect("it got a request again");
    assert!(
        back_after <= INTERVAL + Duration::from_millis(250),
        "back after {back_after:?}"
    );
    let before = setup.calls[1].load(Ordering::SeqCst);
    let statuses = send(&mut service, 200, Duration::from_millis(2)).await;
    assert_eq!(failures(&statuses), 0);
    assert_eq!(setup.set.counts().1, 0, "back in the set");
    let served = setup.calls[1].load(Ordering::SeqCst) - before;
    assert!(served > 20, "it gets its share again: {served} of 200");
}

#[tokio::test]
async fn all_endpoints_down_is_answered_at_once_with_the_soonest_probe() {
    let addrs = [
        closed_port().await,
        closed_port().await,
        closed_port().await,
    ];
    let (mut service, setup) = gateway(set(), &addrs, Some(AFTER as usize));
    // Until every endpoint is out.
    let statuses = send(&mut service, 10, Duration::ZERO).await;
    assert!(
        statuses.iter().all(|&s| s == 502 || s == 503),
        "{statuses:?}"
    );
    assert_eq!(setup.set.counts(), (3, 3));

    let started = Instant::now();
    for _ in 0..50 {
        let request = Request::get("/").body(Full::new(Bytes::new())).unwrap();
        let response = service.ready().await.unwrap().call(request).await.unwrap();
        assert_eq!(response.status(), 503);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after <= INTERVAL.as_secs() + 1, "{retry_after}");
        assert!(response.headers()["proxy-status"]
            .to_str()
            .unwrap()
            .ends_with("error=destination_unavailable"));
    }
    assert!(
        started.elapsed() < INTERVAL / 2,
        "answered at once: 50 in {:?}",
        started.elapsed()
    );
    let dials: usize = setup.calls.iter().map(|c| c.load(Ordering::SeqCst)).sum();
    assert!(dials <= 3 * AFTER as usize + 3, "{dials} dials");
}

/// Concurrent requests on two worker threads, two dead endpoints of
/// three, a cap of one: never more than one out, and no deadlock between
/// endpoints settling at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ejection_cap_keeps_part_of_the_set_in() {
    let addrs = [
        closed_port().await,
        closed_port().await,
        ok_upstream().await,
    ];
    // A third of three: one endpoint out at a time.
    let set = set().max_ejected_percent(34).unwrap();
    let (service, setup) = gateway(set, &addrs, None);
    let most_out = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let mut service = service.clone();
            let set = setup.set.clone();
            let most_out = most_out.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    send(&mut service, 1, Duration::from_millis(1)).await;
                    most_out.fetch_max(set.counts().1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("no deadlock")
            .unwrap();
    }
    assert_eq!(
        most_out.load(Ordering::SeqCst),
        1,
        "never more than the cap"
    );
    // The dead endpoint left in keeps getting its share, and failing.
    let dead_calls = setup.calls[0].load(Ordering::SeqCst) + setup.calls[1].load(Ordering::SeqCst);
    assert!(dead_calls > 2 * AFTER as usize, "{dead_calls}");
}

#[tokio::test]
async fn a_removed_endpoints_state_is_freed() {
    let set = set();
    let layer = set.endpoint_layer();
    let a = layer.layer(tower::service_fn(|_: Request<()>| async {
        Ok::<_, BoxError>(Response::new(()))
    }));
    let b = layer.layer(tower::service_fn(|_: Request<()>| async {
        Ok::<_, BoxError>(Response::new(()))
    }));
    assert_eq!(set.counts().0, 2, "one layer, applied twice: two endpoints");
    drop(a);
    assert_eq!(set.counts().0, 1);
    drop(b);
    assert_eq!(set.counts().0, 0);
}
