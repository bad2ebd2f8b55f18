//! The example under test as a child process: started, its address read
//! from its first lines, its memory and descriptors read from /proc, and
//! the samples summed up.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running example; killed when dropped.
pub struct Example {
    child: Child,
    /// Its process id, for /proc.
    pub pid: u32,
    /// Where it listens, as `host:port`.
    pub addr: String,
    /// How many of its log lines contained each phrase watched for.
    log: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl Example {
    /// Starts `binary` with `args` and waits for the line that says where
    /// it listens (`... on http://ADDR ...`). With `RUST_LOG` set to
    /// `filter`, its log lines that contain any of `phrases` are counted;
    /// the rest of its log is dropped.
    pub fn start(
        binary: &str,
        args: &[String],
        filter: &str,
        phrases: &'static [&'static str],
    ) -> Self {
        let mut child = Command::new(binary)
            .args(args)
            .env("RUST_LOG", filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let log = Arc::new(Mutex::new(BTreeMap::new()));
        let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        let counts = log.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                for phrase in phrases {
                    if line.contains(phrase) {
                        *counts.lock().unwrap().entry(*phrase).or_default() += 1;
                    }
                }
            }
        });
        let pid = child.id();
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let rest = line.split("on http://").nth(1)?;
                rest.split_whitespace().next().map(str::to_owned)
            })
            .unwrap_or_else(|| panic!("{binary} did not print where it listens"));
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            pid,
            addr,
            log,
        }
    }

    /// How many of its log lines contained each phrase, so far.
    pub fn log_counts(&self) -> BTreeMap<&'static str, u64> {
        self.log.lock().unwrap().clone()
    }

    /// (RSS in KiB, open descriptors) now.
    pub fn sample(&self) -> (u64, u64) {
        (rss_kib(self.pid), open_fds(self.pid))
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (seconds since start, RSS in KiB, open fds)
pub type Sample = (u64, u64, u64);

/// Prints whether memory and descriptors stayed flat: the first sample
/// after 60 s against the last, the ranges, and the RSS slope over the
/// second half.
pub fn summarize(samples: &[Sample], seconds: u64) {
    let after_warmup: Vec<_> = samples.iter().filter(|s| s.0 >= 60).collect();
    let (Some(first), Some(last)) = (after_warmup.first(), after_warmup.last()) else {
        return;
    };
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
