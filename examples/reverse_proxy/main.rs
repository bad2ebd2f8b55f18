//! An axum reverse proxy in front of one upstream or several, with every
//! upstream failure answered by `GatewayErrorLayer`.
//!
//! ```text
//! cargo run --example reverse_proxy -- --upstream http://127.0.0.1:8080
//! cargo run --example reverse_proxy -- --upstream http://127.0.0.1:8081 \
//!     --upstream http://127.0.0.1:8082 --eject-after 3 --eject-for 2 --retries 2
//! cargo run --example reverse_proxy -- --help
//! ```
//!
//! What axum costs: its `Router` boxes the route's service and its future
//! for every request, and the request and response bodies, and adds its
//! URI extensions. Answering a dead upstream from the fast path, where the
//! layer's own work is small, that puts this about 15% below a bare hyper
//! server, where `hyper_proxy` is within 5% (`bash benches/e2e.sh
//! examples`; BENCHMARKS.md has the figures). In front of an upstream
//! that answers, the difference is lost in the upstream call.

mod app;
#[path = "../common/proxy/mod.rs"]
mod proxy;
#[path = "../common/support.rs"]
mod support;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let args = proxy::Args::parse();
    support::init_logging();

    let router = match app::router(&args, args.connector(), |layer| layer) {
        Ok(router) => router,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let (listener, addr) = support::listen(args.listen).await;
    println!(
        "reverse proxy on http://{} -> {} ({}); Ctrl-C stops it",
        addr,
        args.upstreams(),
        if args.upstream_http2 {
            "h2c"
        } else {
            "HTTP/1.1"
        },
    );
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
