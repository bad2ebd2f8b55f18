//! Small pieces every example needs: a log for the operator, and a port
//! nobody serves. Each example uses what it needs of them.
#![allow(dead_code)]

use std::net::SocketAddr;

/// Logs this crate's failure events (the full error chain) to stderr,
/// plain when stderr is not a terminal. `RUST_LOG` overrides the filter.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tower_gateway_error=warn".into()),
        )
        .init();
}

/// A loopback port that is bound but not listening: connects to it are
/// refused, and while the returned socket lives nothing else can take it.
pub fn port_nobody_listens_on() -> (SocketAddr, socket2::Socket) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("a TCP socket");
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("a free loopback port");
    let addr = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("a bound IPv4 socket has an address");
    (addr, socket)
}

/// Binds `addr` for the example's server, with its actual address (for
/// `127.0.0.1:0`). If it cannot, says why and how to pick another, and
/// exits with status 1.
pub async fn listen(addr: SocketAddr) -> (tokio::net::TcpListener, SocketAddr) {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => {
            let bound = listener
                .local_addr()
                .expect("a bound listener has an address");
            (listener, bound)
        }
        Err(error) => {
            eprintln!(
                "error: cannot listen on {addr}: {error}\n\
                 hint: pick another address with --listen 127.0.0.1:8000"
            );
            std::process::exit(1);
        }
    }
}
