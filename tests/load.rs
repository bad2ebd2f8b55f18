//! Bounded load through the `reverse_proxy` example's code: 10,000 requests,
//! 256 at a time, to a refused port and then to a garbage-speaking upstream.
//! Every request must get a 502, nothing may panic, and the process's open
//! file descriptors must come back to where they started. Runs in CI (a few
//! seconds here); the request count and concurrency are fixed.

#[path = "../examples/reverse_proxy/app.rs"]
mod app;
#[path = "../examples/common/proxy.rs"]
#[allow(dead_code)]
mod proxy;
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use http::StatusCode;
use tokio::sync::Semaphore;

use support::*;

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 256;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

async fn gateway_to(upstream: SocketAddr) -> SocketAddr {
    let args =
        proxy::Args::try_parse_from(["reverse_proxy", "--upstream", &format!("http://{upstream}")])
            .unwrap();
    let router = app::router(&args, args.client(), |layer| layer).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Sends `REQUESTS` GETs, `CONCURRENCY` at a time; returns how many got a 502.
async fn hammer(gateway: SocketAddr) -> usize {
    let client = client();
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
    let refused = closed_port().await;
    let garbage = raw_upstream(reply(GARBAGE)).await;
    let to_refused = gateway_to(refused).await;
    let to_garbage = gateway_to(garbage).await;
    let baseline = open_fds();
    let started = Instant::now();

    assert_eq!(
        hammer(to_refused).await,
        REQUESTS,
        "every request to the refused port got a 502"
    );
    assert_eq!(
        hammer(to_garbage).await,
        REQUESTS,
        "every request to the garbage upstream got a 502"
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
