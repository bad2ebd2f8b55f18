//! The servers of the end-to-end benchmark; `benches/e2e.sh` starts them,
//! loads them with wrk, and prints the ratios. Each runs on one tokio worker
//! thread (nginx gets `worker_processes 1`).
//!
//! ```text
//! e2e plain ADDR              hyper, in front of an in-process upstream (200 "ok")
//! e2e layered ADDR            the same under GatewayErrorLayer (default settings)
//! e2e refused ADDR UPSTREAM   a gateway (hyper-util Client + layer) to UPSTREAM
//! e2e refused-lean ADDR UPSTREAM
//!                             the same with a lean hand-written client: a
//!                             tokio connect and hyper's `client::conn`
//! e2e refused-ejected ADDR UPSTREAM
//!                             `refused` with the dead-upstream fast path on
//!                             (eject after 5 failures, for 10 s)
//! e2e refused-ejected-lean ADDR UPSTREAM
//!                             the same with `error_extension(false)`
//! e2e closed-port             prints a loopback port nothing listens on; holds it
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tower::{service_fn, Layer, Service};
use tower_gateway_error::eject::Ejection;
use tower_gateway_error::GatewayErrorLayer;

#[path = "../examples/common/support.rs"]
mod support;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().cloned().unwrap_or_default();
    let target: Option<SocketAddr> = args.get(2).and_then(|a| a.parse().ok());
    if mode == "closed-port" {
        let (addr, _held) = support::port_nobody_listens_on();
        println!("{}", addr.port());
        std::thread::park();
        return;
    }
    let listen: SocketAddr = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| usage());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        match mode.as_str() {
            "plain" => serve(listen, upstream()).await,
            "layered" => serve(listen, GatewayErrorLayer::new().layer(upstream())).await,
            "refused-lean" => {
                let target = target.unwrap_or_else(|| usage());
                serve(
                    listen,
                    GatewayErrorLayer::new().layer(lean_proxy_to(target)),
                )
                .await
            }
            "refused" => {
                let target = target.unwrap_or_else(|| usage());
                serve(listen, GatewayErrorLayer::new().layer(proxy_to(target))).await
            }
            "refused-ejected" | "refused-ejected-lean" => {
                let target = target.unwrap_or_else(|| usage());
                let layer = GatewayErrorLayer::builder()
                    .eject(Ejection::after(5, Duration::from_secs(10)))
                    .error_extension(mode == "refused-ejected")
                    .build()
                    .expect("valid settings");
                serve(listen, layer.layer(proxy_to(target))).await
            }
            _ => usage(),
        }
    });
}

fn usage() -> ! {
    eprintln!(
        "usage: e2e plain|layered ADDR | e2e refused|refused-lean|refused-ejected|refused-ejected-lean ADDR UPSTREAM | e2e closed-port"
    );
    std::process::exit(2);
}

/// A fast in-process upstream.
fn upstream() -> impl Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
       + Send
       + 'static {
    service_fn(|_req: Request<Incoming>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    })
}

/// The request's URI pointed at `target`, built from parts (no formatting).
fn retarget(request: &mut Request<Incoming>, authority: &http::uri::Authority) {
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(http::uri::Scheme::HTTP);
    parts.authority = Some(authority.clone());
    parts.path_and_query = request.uri().path_and_query().cloned();
    *request.uri_mut() = Uri::from_parts(parts).expect("valid parts");
}

fn authority(target: SocketAddr) -> http::uri::Authority {
    target
        .to_string()
        .parse()
        .expect("an address is an authority")
}

/// What most proxies use: hyper-util's pooled legacy `Client`.
fn proxy_to(
    target: SocketAddr,
) -> impl Service<
    Request<Incoming>,
    Response = Response<Incoming>,
    Error = hyper_util::client::legacy::Error,
    Future: Send,
> + Clone
       + Send
       + 'static {
    let client: Client<HttpConnector, Incoming> =
        Client::builder(TokioExecutor::new()).build_http();
    let authority = authority(target);
    service_fn(move |mut request: Request<Incoming>| {
        retarget(&mut request, &authority);
        client.request(request)
    })
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A lean hand-written client, as a pingora-style proxy has: connect, then
/// hyper's connection API, no pool.
fn lean_proxy_to(
    target: SocketAddr,
) -> impl Service<Request<Incoming>, Response = Response<Incoming>, Error = BoxError, Future: Send>
       + Clone
       + Send
       + 'static {
    service_fn(move |request: Request<Incoming>| async move {
        let stream = tokio::net::TcpStream::connect(target).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok::<_, BoxError>(sender.send_request(request).await?)
    })
}

async fn serve<S, B>(listen: SocketAddr, service: S)
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = tokio::net::TcpListener::bind(listen).await.unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service),
        );
    }
}
