//! Soak: runs the `demo` example (a gateway in front of an upstream that
//! refuses, resets, sends garbage, stalls and answers) under a steady mix of
//! requests, and samples the process's resident memory and open file
//! descriptors every 10 s. Both should stay flat after warm-up.
//!
//! ```text
//! bash benches/soak.sh              # 600 s at 200 requests/s
//! bash benches/soak.sh 120 400      # 120 s at 400 requests/s
//! ```
//! The script builds the demo in release mode and passes its path here.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The mix, one path per fault, as the demo serves them.
const PATHS: [&str; 7] = [
    "/ok", "/refused", "/reset", "/garbage", "/slow", "/500", "/partial",
];

fn usage() -> ! {
    eprintln!("usage: soak DEMO_BINARY [SECONDS] [REQUESTS_PER_SECOND]  (benches/soak.sh runs it)");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(demo) = args.first() else {
        // `cargo bench` with no arguments runs every bench: skip this one.
        eprintln!("soak: skipped (run it with benches/soak.sh)");
        return;
    };
    let seconds: u64 = args
        .get(1)
        .map_or(Some(600), |a| a.parse().ok())
        .unwrap_or_else(|| usage());
    let rate: u64 = args
        .get(2)
        .map_or(Some(200), |a| a.parse().ok())
        .unwrap_or_else(|| usage());

    let mut child = Command::new(demo)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {demo}: {e}"));
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.split("on http://").nth(1).map(|a| a.trim().to_owned()))
        .expect("the demo prints its address");
    // Keep draining its stdout so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    println!("soak: {seconds} s at {rate} requests/s against the demo (pid {pid}) on {addr}");
    println!(
        "{:>6} {:>10} {:>5} {:>9}  statuses so far",
        "t (s)", "RSS (KiB)", "fds", "requests"
    );
    let (samples, sent) = runtime.block_on(run(addr, seconds, rate, pid, statuses.clone()));
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "sent {sent} requests in {seconds} s: {:.1} per second achieved",
        sent as f64 / seconds as f64
    );
    // Flat after warm-up: compare the first sample after 60 s with the last,
    // and the slope over the second half.
    let after_warmup: Vec<_> = samples.iter().filter(|s| s.0 >= 60).collect();
    if let (Some(first), Some(last)) = (after_warmup.first(), after_warmup.last()) {
        let (rss_min, rss_max) = after_warmup
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), s| (lo.min(s.1), hi.max(s.1)));
        let (fd_min, fd_max) = after_warmup
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), s| (lo.min(s.2), hi.max(s.2)));
        println!(
            "after warm-up ({} s to {} s): RSS {} -> {} KiB (range {}..{}), fds {} -> {} (range {}..{})",
            first.0, last.0, first.1, last.1, rss_min, rss_max, first.2, last.2, fd_min, fd_max
        );
        let half: Vec<_> = samples.iter().filter(|s| s.0 * 2 >= seconds).collect();
        if let (Some(a), Some(b)) = (half.first(), half.last()) {
            if b.0 > a.0 {
                println!(
                    "RSS slope over the second half: {:+.2} KiB/s",
                    (b.1 as f64 - a.1 as f64) / (b.0 - a.0) as f64
                );
            }
        }
    }
    println!("statuses: {:?}", statuses.lock().unwrap());
}

/// (seconds since start, RSS in KiB, open fds)
type Sample = (u64, u64, u64);

async fn run(
    addr: String,
    seconds: u64,
    rate: u64,
    pid: u32,
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
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    while start.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let elapsed = start.elapsed().as_secs();
        if elapsed >= next_sample {
            let sample = (elapsed, rss_kib(pid), open_fds(pid));
            println!(
                "{:>6} {:>10} {:>5} {:>9}  {:?}",
                sample.0,
                sample.1,
                sample.2,
                sent,
                statuses.lock().unwrap()
            );
            samples.push(sample);
            next_sample += 10;
        }
        let path = PATHS[(sent % PATHS.len() as u64) as usize];
        sent += 1;
        let uri = format!("http://{addr}{path}").parse().unwrap();
        let client = client.clone();
        let statuses = statuses.clone();
        let in_flight = in_flight.clone();
        in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
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
            in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        });
    }
    // Let the requests in flight (the 2-second /slow ones) finish before
    // the counts are printed.
    let deadline = Instant::now() + Duration::from_secs(15);
    while in_flight.load(std::sync::atomic::Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (samples, sent)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count() as u64)
}
