//! The reverse proxy on plain hyper 1 and hyper-util's server, no axum:
//! the layered service goes to `serve_connection` through
//! `TowerToHyperService`. Same flags as `reverse_proxy`.
//!
//! ```text
//! cargo run --example hyper_proxy -- --upstream http://127.0.0.1:8080
//! ```
//!
//! Answering a dead upstream from the fast path, it runs within 5% of the
//! bare hyper server in `benches/e2e.rs` (`bash benches/e2e.sh examples`;
//! BENCHMARKS.md has the figures). It trades that for a multi-threaded
//! runtime and for hyper-util's automatic HTTP/1 and HTTP/2 (h2c)
//! serving, which looks at each connection's first bytes.

#[path = "../common/proxy/mod.rs"]
mod proxy;
#[path = "../common/support.rs"]
mod support;

use std::process::ExitCode;

use clap::Parser;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;

#[tokio::main]
async fn main() -> ExitCode {
    let args = proxy::Args::parse();
    support::init_logging();

    let service = match proxy::service::<_, Incoming>(&args, args.connector(), |layer| layer) {
        Ok(service) => service,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let (listener, addr) = support::listen(args.listen).await;
    println!(
        "hyper proxy on http://{} -> {}; Ctrl-C stops it",
        addr,
        args.upstreams(),
    );

    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of descriptors, say: wait instead of spinning.
                    eprintln!("accept failed: {error}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
        };
        // The service's error type is Infallible: a failed upstream call
        // is a response, never a dropped connection.
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
