//! The `demo` example under a steady mix of every fault it serves.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::process::{self, Example, Sample};

/// The mix, one path per fault, as the demo serves them.
const PATHS: [&str; 7] = [
    "/ok", "/refused", "/reset", "/garbage", "/slow", "/500", "/partial",
];

pub fn run(demo: &str, seconds: u64, rate: u64) {
    let args = ["--listen".into(), "127.0.0.1:0".into()];
    let example = Example::start(demo, &args, "off", &[]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    println!(
        "soak: {seconds} s at {rate} requests/s against the demo (pid {}) on {}",
        example.pid, example.addr
    );
    println!(
        "{:>6} {:>10} {:>5} {:>9}  statuses so far",
        "t (s)", "RSS (KiB)", "fds", "requests"
    );
    let (samples, sent) = runtime.block_on(load(&example, seconds, rate, statuses.clone()));
    drop(example);

    println!(
        "sent {sent} requests in {seconds} s: {:.1} per second achieved",
        sent as f64 / seconds as f64
    );
    process::summarize(&samples, seconds);
    println!("statuses: {:?}", statuses.lock().unwrap());
}

async fn load(
    example: &Example,
    seconds: u64,
    rate: u64,
    statuses: Arc<Mutex<BTreeMap<String, u64>>>,
) -> (Vec<Sample>, u64) {
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(5))
        .build_http::<Empty<Bytes>>();
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_sample = 0;
    let mut sent: u64 = 0;
    let mut samples = Vec::new();
    let in_flight = Arc::new(AtomicUsize::new(0));
    while start.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let elapsed = start.elapsed().as_secs();
        if elapsed >= next_sample {
            let (rss, fds) = example.sample();
            println!(
                "{:>6} {:>10} {:>5} {:>9}  {:?}",
                elapsed,
                rss,
                fds,
                sent,
                statuses.lock().unwrap()
            );
            samples.push((elapsed, rss, fds));
            next_sample += 10;
        }
        let path = PATHS[(sent % PATHS.len() as u64) as usize];
        sent += 1;
        let uri = format!("http://{}{path}", example.addr).parse().unwrap();
        let client = client.clone();
        let statuses = statuses.clone();
        let in_flight = in_flight.clone();
        in_flight.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let outcome = match client.get(uri).await {
                Ok(response) => {
                    let status = response.status().as_u16().to_string();
                    // A body that breaks mid-way (/partial) is the expected
                    // outcome there; read it to the end or the break.
                    match response.into_body().collect().await {
                        Ok(_) => status,
                        Err(_) => format!("{status} broken body"),
                    }
                }
                Err(_) => "client error".to_owned(),
            };
            *statuses.lock().unwrap().entry(outcome).or_default() += 1;
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
    // Let the requests in flight (the 2-second /slow ones) finish before
    // the counts are printed.
    let deadline = Instant::now() + Duration::from_secs(15);
    while in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (samples, sent)
}
