//! A pingora-proxy server in the test process: pingora runs its server in
//! a thread of its own, as a binary's main thread would.

use std::net::SocketAddr;
use std::time::Duration;

use pingora_core::server::{RunArgs, Server};
use pingora_proxy::ProxyHttp;

/// Serves `proxy` with pingora on a free loopback port; returns the
/// address once it listens.
pub fn start<P>(proxy: P) -> SocketAddr
where
    P: ProxyHttp + Send + Sync + 'static,
    P::CTX: Send + Sync,
{
    // pingora binds when it starts: a free port is found first.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::thread::spawn(move || {
        let mut server = Server::new(None).unwrap();
        server.bootstrap();
        let mut service = pingora_proxy::http_proxy_service(&server.configuration, proxy);
        service.add_tcp(&addr.to_string());
        server.add_service(service);
        server.run(RunArgs::default());
    });
    for _ in 0..250 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return addr;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("pingora did not start on {addr}");
}
