//! Soaks: a release build of an example under steady load for minutes,
//! with its resident memory and open file descriptors sampled every 10 s
//! from /proc (Linux only). Both should stay flat after warm-up.
//!
//! ```text
//! bash benches/soak.sh                       # the demo: 600 s at 200 requests/s
//! bash benches/soak.sh demo 120 400          # 120 s at 400 requests/s
//! bash benches/soak.sh balanced              # hyper_proxy over three upstreams,
//!                                            # one killed 10 s in every 30: 600 s at 2000/s
//! EXAMPLE=reverse_proxy bash benches/soak.sh balanced 120 1000
//! ```
//! The script builds the example in release mode and passes its path here.
//!
//! - `demo` (`demo.rs`): the `demo` example (a gateway in front of an
//!   upstream that refuses, resets, sends garbage, stalls and answers)
//!   under a mix of every failure.
//! - `balanced` (`balanced.rs`): a proxy example balancing over three
//!   upstreams this process serves, with per-endpoint ejection and the
//!   retry policy on; one upstream stops (connections refused) for 10 s
//!   in every 30. Clients should see no failure at all.

mod balanced;
mod demo;
mod process;

fn usage() -> ! {
    eprintln!(
        "usage: soak demo DEMO_BINARY [SECONDS] [REQUESTS_PER_SECOND]\n       \
         soak balanced PROXY_BINARY [SECONDS] [REQUESTS_PER_SECOND]\n\
         (benches/soak.sh runs it)"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(mode) = args.first() else {
        // `cargo bench` with no arguments runs every bench: skip this one.
        eprintln!("soak: skipped (run it with benches/soak.sh)");
        return;
    };
    let binary = args.get(1).unwrap_or_else(|| usage());
    let number = |index: usize, default: u64| -> u64 {
        args.get(index)
            .map_or(Some(default), |a| a.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match mode.as_str() {
        "demo" => demo::run(binary, number(2, 600), number(3, 200)),
        "balanced" => balanced::run(binary, number(2, 600), number(3, 2000)),
        _ => usage(),
    }
}
