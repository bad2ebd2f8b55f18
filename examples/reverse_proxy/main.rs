//! An axum reverse proxy in front of one upstream, with every upstream
//! failure answered by `GatewayErrorLayer`.
//!
//! ```text
//! cargo run --example reverse_proxy -- --upstream http://127.0.0.1:8080
//! cargo run --example reverse_proxy -- --help
//! ```

mod app;
#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/support.rs"]
mod support;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let args = proxy::Args::parse();
    support::init_logging();

    let router = match app::router(&args, args.client(), |layer| layer) {
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
