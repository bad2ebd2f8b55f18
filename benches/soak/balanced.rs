//! A proxy example balancing over three upstreams this process serves,
//! with per-endpoint ejection and the retry policy on, while one of the
//! upstreams stops for 10 s in every 30 (its listener closed, so
//! connections are refused; its open connections finish what they carry
//! and close, as a server shutting down does). Clients should see no
//! failure: the dead upstream's few refusals are retried on the others,
//! it is ejected within `--eject-after` of them, probed once per
//! `--eject-for`, and gets traffic again once it is back.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::process::{self, Example, Sample};

/// The proxy's log lines for an endpoint's changes of state.
const LOG_PHRASES: [&str; 3] = [
    "ejected after consecutive failures",
    "probe failed",
    "answered again",
];

/// Each cycle: the victim upstream is up for this long...
const UP: Duration = Duration::from_secs(20);
/// ...then refuses connections for this long.
const DOWN: Duration = Duration::from_secs(10);

pub fn run(proxy: &str, seconds: u64, rate: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(soak(proxy, seconds, rate));
}

/// One upstream: how many requests it answered, and a switch.
struct Upstream {
    addr: SocketAddr,
    served: Arc<AtomicU64>,
    up: watch::Sender<bool>,
}

async fn soak(proxy: &str, seconds: u64, rate: u64) {
    let mut upstreams = Vec::new();
    for _ in 0..3 {
        upstreams.push(upstream().await);
    }
    let mut args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
    for upstream in &upstreams {
        args.extend(["--upstream".to_owned(), format!("http://{}", upstream.addr)]);
    }
    let flags = "--eject-after 3 --eject-for 2 --retries 2 --timeout 10";
    args.extend(flags.split(' ').map(str::to_owned));
    let example = Example::start(proxy, &args, "tower_gateway_error=info", &LOG_PHRASES);
    println!(
        "soak: {seconds} s at {rate} requests/s through {proxy} (pid {}) on {}, \
         over {} upstreams; {flags}",
        example.pid,
        example.addr,
        upstreams.len()
    );
    println!(
        "the first upstream ({}) refuses connections for {} s in every {}",
        upstreams[0].addr,
        DOWN.as_secs(),
        (UP + DOWN).as_secs()
    );
    println!(
        "{:>6} {:>10} {:>5} {:>9} {:>8} {:>6}  {:<20} failures so far",
        "t (s)", "RSS (KiB)", "fds", "requests", "failures", "victim", "answered by each"
    );

    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(5))
        .build_http::<Full<Bytes>>();
    let failures = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_sample = 0;
    let mut sent: u64 = 0;
    let mut samples: Vec<Sample> = Vec::new();
    let mut served_before = vec![0; upstreams.len()];
    let mut victim_up = true;
    while start.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let elapsed = start.elapsed();
        let up = elapsed.as_millis() % (UP + DOWN).as_millis() < UP.as_millis();
        if up != victim_up {
            victim_up = up;
            upstreams[0].up.send_replace(up);
        }
        if elapsed.as_secs() >= next_sample {
            let (rss, fds) = example.sample();
            let served: Vec<u64> = upstreams
                .iter()
                .map(|u| u.served.load(Ordering::Relaxed))
                .collect();
            let per_upstream: Vec<String> = served
                .iter()
                .zip(&served_before)
                .map(|(now, before)| (now - before).to_string())
                .collect();
            served_before = served;
            println!(
                "{:>6} {:>10} {:>5} {:>9} {:>8} {:>6}  {:<20} {:?}",
                elapsed.as_secs(),
                rss,
                fds,
                sent,
                total(&failures),
                if victim_up { "up" } else { "down" },
                per_upstream.join("/"),
                failures.lock().unwrap()
            );
            samples.push((elapsed.as_secs(), rss, fds));
            next_sample += 10;
        }
        let request = request(&example.addr, sent);
        sent += 1;
        let client = client.clone();
        let (failures, in_flight) = (failures.clone(), in_flight.clone());
        in_flight.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let expected = expected_body(&request);
            if let Err(failure) = check(client.request(request).await, expected).await {
                *failures.lock().unwrap().entry(failure).or_default() += 1;
            }
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answered: Vec<String> = upstreams
        .iter()
        .map(|u| u.served.load(Ordering::Relaxed).to_string())
        .collect();
    // Give the log a moment to arrive.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = example.log_counts();
    drop(example);

    println!(
        "sent {sent} requests in {seconds} s: {:.1} per second achieved",
        sent as f64 / seconds as f64
    );
    println!("answered by each upstream: {}", answered.join(" / "));
    println!("the proxy's log of the endpoints' changes of state: {log:?}");
    println!(
        "client-visible failures: {} {:?}",
        total(&failures),
        failures.lock().unwrap()
    );
    process::summarize(&samples, seconds);
}

/// How many failures `failures` counts, of every kind.
fn total(failures: &Mutex<BTreeMap<String, u64>>) -> u64 {
    failures.lock().unwrap().values().sum()
}

/// Three GETs, then a PUT with a body of 1 to 4 KiB (which the proxy must
/// read in full to send again), each to its own path.
fn request(proxy: &str, n: u64) -> Request<Full<Bytes>> {
    let uri = format!("http://{proxy}/items/{n}");
    if n % 4 == 3 {
        let body = vec![b'x'; 1024 * (1 + (n as usize / 4) % 4)];
        Request::put(uri)
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    } else {
        Request::get(uri).body(Full::default()).unwrap()
    }
}

/// What the upstream answers to `request`: the length of a PUT's body.
fn expected_body(request: &Request<Full<Bytes>>) -> String {
    match *request.method() {
        Method::PUT => http_body::Body::size_hint(request.body())
            .lower()
            .to_string(),
        _ => "ok".to_owned(),
    }
}

/// A 200 with the body the upstream would send, or what went wrong: the
/// status and `Proxy-Status` of an error answer, or the client's failure.
async fn check(
    result: Result<Response<Incoming>, hyper_util::client::legacy::Error>,
    expected: String,
) -> Result<(), String> {
    let response = result.map_err(|e| format!("client error: {e}"))?;
    let status = response.status();
    let proxy_status = response
        .headers()
        .get("proxy-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{status} body broken: {e}"))?
        .to_bytes();
    if status != StatusCode::OK {
        return Err(format!("{} {proxy_status}", status.as_u16()));
    }
    if body != expected.as_bytes() {
        return Err(format!("200 with a wrong body ({} bytes)", body.len()));
    }
    Ok(())
}

/// An upstream on a loopback port, up; its switch turns it off (listener
/// closed, connections finished and closed) and on again (the same port).
async fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicU64::new(0));
    let (up, switch) = watch::channel(true);
    tokio::spawn(serve(listener, switch, served.clone()));
    Upstream { addr, served, up }
}

async fn serve(listener: TcpListener, mut switch: watch::Receiver<bool>, served: Arc<AtomicU64>) {
    let addr = listener.local_addr().unwrap();
    let mut listener = Some(listener);
    loop {
        let Some(open) = &listener else {
            // Down: wait to be switched on, then listen on the same port.
            if switch.changed().await.is_err() {
                return;
            }
            if *switch.borrow_and_update() {
                listener = Some(rebind(addr).await);
            }
            continue;
        };
        tokio::select! {
            accepted = open.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, switch.clone(), served.clone()));
                }
            }
            changed = switch.changed() => {
                if changed.is_err() {
                    return;
                }
                if !*switch.borrow_and_update() {
                    listener = None;
                }
            }
        }
    }
}

/// The port was ours a moment ago; the kernel may hold it briefly.
async fn rebind(addr: SocketAddr) -> TcpListener {
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return listener,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// One connection: answers until it closes, or until the upstream is
/// switched off, then finishes the request in hand and closes.
async fn connection(
    stream: tokio::net::TcpStream,
    mut switch: watch::Receiver<bool>,
    served: Arc<AtomicU64>,
) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let served = served.clone();
        async move {
            let put = request.method() == Method::PUT;
            let body = request.into_body().collect().await.map(|b| b.to_bytes());
            served.fetch_add(1, Ordering::Relaxed);
            let answer = match (put, body) {
                (true, Ok(body)) => Bytes::from(body.len().to_string()),
                (false, Ok(_)) => Bytes::from_static(b"ok"),
                (_, Err(_)) => Bytes::from_static(b"broken request body"),
            };
            Ok::<_, Infallible>(Response::new(Full::new(answer)))
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            changed = switch.changed() => {
                if changed.is_err() || !*switch.borrow_and_update() {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                    return;
                }
            }
        }
    }
}
