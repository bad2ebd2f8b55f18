//! Bounded load through the `reverse_proxy` example's code: 10,000 requests,
//! 256 at a time, to a refused port and then to a garbage-speaking upstream.
//! Every request must get a 502, nothing may panic, and the process's open
//! file descriptors must come back to where they started. Runs in CI (about
//! 6 s here) and fails rather than run past a minute. Linux only: it counts
//! descriptors in /proc/self/fd.
#![cfg(target_os = "linux")]

#[path = "../examples/reverse_proxy/app.rs"]
mod app;
#[path = "../examples/common/proxy/mod.rs"]
#[allow(dead_code)]
mod proxy;
mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use http::StatusCode;
use tokio::sync::Semaphore;

use support::*;

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 256;
/// At 256 in flight the process holds about four sockets a request (client,
/// gateway, gateway's client, upstream): more than a 1024 soft limit.
const DESCRIPTORS_NEEDED: u64 = 4096;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

async fn gateway_to(upstream: SocketAddr) -> SocketAddr {
    let args =
        proxy::Args::try_parse_from(["reverse_proxy", "--upstream", &format!("http://{upstream}")])
            .unwrap();
    let router = app::router(&args, args.connector(), |layer| layer).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Sends `REQUESTS` GETs, `CONCURRENCY` at a time; returns how many got a 502.
async fn hammer(gateway: SocketAddr) -> usize {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(CONCURRENCY)
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        let url = format!("http://{gateway}/r/{i}");
        tasks.spawn(async move {
            let response = client
                .request(get(&url, &[]))
                .await
                .expect("the gateway answers");
            let status = response.status();
            let _ = body_bytes(response).await;
            drop(permit);
            status
        });
    }
    let mut bad_gateways = 0;
    while let Some(status) = tasks.join_next().await {
        if status.expect("no request task panicked") == StatusCode::BAD_GATEWAY {
            bad_gateways += 1;
        }
    }
    bad_gateways
}

/// Waits for the descriptors to come back down: closed connections are
/// released as their tasks finish, which takes a moment after the last
/// response.
async fn settle_to(baseline: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = open_fds();
        if now <= baseline || Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_failures_256_at_a_time_leak_nothing() {
    let limit = rlimit::increase_nofile_limit(DESCRIPTORS_NEEDED).unwrap();
    assert!(
        limit >= DESCRIPTORS_NEEDED,
        "this test needs {DESCRIPTORS_NEEDED} open files; the hard limit allows {limit}"
    );
    // A panic in any task (one of hyper's connection tasks, say) would only
    // show up as a failed request; count them instead.
    let panics = Arc::new(AtomicUsize::new(0));
    let counter = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let refused = closed_port().await;
    let garbage = raw_upstream(reply_and_close(GARBAGE)).await;
    let to_refused = gateway_to(refused).await;
    let to_garbage = gateway_to(garbage).await;
    let baseline = open_fds();
    let started = Instant::now();

    let (refused_502s, garbage_502s) = tokio::time::timeout(Duration::from_secs(60), async {
        (hammer(to_refused).await, hammer(to_garbage).await)
    })
    .await
    .expect("20,000 requests took over a minute");
    assert_eq!(
        refused_502s, REQUESTS,
        "every request to the refused port got a 502"
    );
    assert_eq!(
        garbage_502s, REQUESTS,
        "every request to the garbage upstream got a 502"
    );
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "something panicked under load"
    );
    let elapsed = started.elapsed();

    let after = settle_to(baseline).await;
    eprintln!(
        "{} requests in {elapsed:?}; open fds: {baseline} before, {after} after",
        2 * REQUESTS
    );
    assert!(
        after <= baseline,
        "file descriptors leaked: {baseline} before, {after} after"
    );
}
