//! Real upstreams that misbehave for real, over loopback, and the clients
//! that talk to them. Shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod orders;
#[cfg(feature = "pingora-proxy")]
pub mod pingora;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

pub type TestClient = Client<HttpConnector, Full<Bytes>>;

/// A plain HTTP/1 hyper-util client, as a proxy would use.
pub fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A hyper-util client over any connector (a custom resolver, a timeout,
/// TLS), with the defaults a proxy would use.
pub fn client_over<C, B>(connector: C) -> Client<C, B>
where
    C: hyper_util::client::legacy::connect::Connect + Clone,
    B: http_body::Body + Send,
    B::Data: Send,
{
    Client::builder(TokioExecutor::new()).build(connector)
}

/// A loopback port nothing listens on. The port stays bound (without
/// listening) for the rest of the test process, so connects to it are
/// refused and no other test or process can take it meanwhile.
pub async fn closed_port() -> SocketAddr {
    let (addr, socket) = bound_not_listening();
    std::mem::forget(socket);
    addr
}

/// A loopback socket bound but not listening, and its address: connects
/// are refused until it is made to listen, on the same port.
pub fn bound_not_listening() -> (SocketAddr, socket2::Socket) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    (addr, socket)
}

/// Starts a raw TCP upstream; `handler` runs for each connection.
pub async fn raw_upstream<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(handler(stream));
                }
                // Out of descriptors, say: keep serving once some are back.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    });
    addr
}

/// Reads one request head (up to the blank line).
pub async fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 1 << 16 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    head
}

/// Reads the request, then resets the connection (SO_LINGER 0) without answering.
pub async fn reset_after_head(mut stream: TcpStream) {
    read_head(&mut stream).await;
    stream.set_zero_linger().unwrap();
    drop(stream);
}

/// Reads the request, then closes cleanly without answering.
pub async fn close_after_head(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream.shutdown().await;
}

/// Reads the request, then never answers.
pub async fn stall(mut stream: TcpStream) {
    read_head(&mut stream).await;
    tokio::time::sleep(Duration::from_secs(120)).await;
}

type Handler =
    Box<dyn Fn(TcpStream) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Reads the request, writes `bytes`, then waits for the client to close.
pub fn reply(bytes: &'static [u8]) -> Handler {
    replier(bytes, true)
}

/// Reads the request, writes `bytes`, closes at once: no lingering
/// connections when thousands of requests come.
pub fn reply_and_close(bytes: &'static [u8]) -> Handler {
    replier(bytes, false)
}

fn replier(bytes: &'static [u8], linger: bool) -> Handler {
    Box::new(move |mut stream| {
        Box::pin(async move {
            read_head(&mut stream).await;
            let _ = stream.write_all(bytes).await;
            let mut sink = [0u8; 1024];
            while linger && matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        })
    })
}

/// Answers whatever arrives first (a TLS ClientHello, say) with a plain
/// HTTP/1.1 400, as an HTTP server does with bytes it cannot parse.
pub async fn plain_http_answering_anything(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    if let Ok(n) = stream.read(&mut buf).await {
        if n > 0 {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            let _ = stream.shutdown().await;
        }
    }
}

/// A chunked 200 whose body stops after one chunk with a reset: unlike a
/// short `Content-Length`, only the gateway passing the error on keeps the
/// client from taking it for a complete body.
pub async fn breaks_mid_chunked_body(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\na\r\n0123456789\r\n")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream.set_zero_linger().unwrap();
}

/// Answers each request with its own head and body, as `text/plain`
/// (`content-length` bodies only).
pub async fn echo(mut stream: TcpStream) {
    let mut head = read_head(&mut stream).await;
    let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    let mut body = head.split_off(end + 4);
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = text
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let mut reply = head;
    reply.extend_from_slice(&body);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close, x-hop\r\nx-hop: 1\r\ncontent-length: {}\r\n\r\n",
        reply.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.write_all(&reply).await;
}

/// A 200 whose body stops after 10 of its 100 bytes with a reset.
pub async fn breaks_mid_body(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n0123456789",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream.set_zero_linger().unwrap();
}

pub const VALID_500: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: 20\r\nx-upstream: yes\r\n\r\nupstream broke: 500\n";
pub const VALID_503: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nretry-after: 120\r\ncontent-length: 12\r\n\r\nmaintenance\n";
pub const GARBAGE: &[u8] = b"\x16\x03\x01\x02\x00 this is not HTTP at all\r\n\r\n";
pub const BAD_STATUS: &[u8] = b"HTTP/1.1 2000 X\r\ncontent-length: 0\r\n\r\n";
pub const BAD_CONTENT_LENGTH: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: abc\r\n\r\nhello";

/// A response head of 200 headers and about 200 KiB: beyond hyper's
/// default of 100 headers, and beyond its smallest buffer limit.
pub fn huge_head() -> &'static [u8] {
    let mut head = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n".to_vec();
    for i in 0..200 {
        head.extend_from_slice(format!("x-filler-{i}: {}\r\n", "a".repeat(1000)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    Box::leak(head.into_boxed_slice())
}

/// A listener whose accept queue is full: a connect to it cannot complete,
/// because Linux drops the SYN when the queue has no room. Keep the
/// returned value alive for as long as the address must stay blocked.
pub struct FullBacklog {
    pub addr: SocketAddr,
    _listener: std::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
}

#[cfg(target_os = "linux")]
pub async fn full_backlog() -> FullBacklog {
    // Blocking connects; keep them off the async worker.
    tokio::task::spawn_blocking(fill_backlog).await.unwrap()
}

#[cfg(target_os = "linux")]
fn fill_backlog() -> FullBacklog {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(0).unwrap();
    let listener: std::net::TcpListener = socket.into();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => fillers.push(stream),
            Err(_) => break,
        }
    }
    FullBacklog {
        addr,
        _listener: listener,
        _fillers: fillers,
    }
}

/// How an HTTP/2 upstream misbehaves.
#[derive(Clone, Copy, Debug)]
pub enum H2Fault {
    /// RST_STREAM(REFUSED_STREAM) on every request.
    RefuseStreams,
    /// No fault: `200` with the body `ok over h2 <path>`.
    Answer,
}

/// A real HTTP/2 (prior knowledge) upstream built on the h2 crate.
pub async fn h2_upstream(fault: H2Fault) -> SocketAddr {
    raw_upstream(move |stream| async move {
        let Ok(mut connection) = h2::server::handshake(stream).await else {
            return;
        };
        match fault {
            H2Fault::RefuseStreams => {
                while let Some(Ok((_request, mut respond))) = connection.accept().await {
                    respond.send_reset(h2::Reason::REFUSED_STREAM);
                }
            }
            H2Fault::Answer => {
                while let Some(Ok((request, mut respond))) = connection.accept().await {
                    let body = format!("ok over h2 {}", request.uri().path());
                    if let Ok(mut send) = respond.send_response(http::Response::new(()), false) {
                        let _ = send.send_data(Bytes::from(body), true);
                    }
                }
            }
        }
    })
    .await
}

/// What a hand-framed HTTP/2 upstream does once the client's HEADERS arrive.
#[derive(Clone, Copy, Debug)]
pub enum H2Frames {
    /// GOAWAY(last_stream_id = 0) with this error code, connection kept open.
    GoAway(u8),
    /// Nothing: no response, no PING acknowledgements.
    Silence,
}

pub const H2_NO_ERROR: u8 = 0x0;
pub const H2_PROTOCOL_ERROR: u8 = 0x1;

/// An HTTP/2 upstream written frame by frame. (The h2 crate's server counts
/// every stream it has seen as processed, so it cannot send a GOAWAY below
/// an open stream, nor ignore PINGs.)
pub async fn h2_framed_upstream(action: H2Frames) -> SocketAddr {
    raw_upstream(move |mut stream| async move {
        const EMPTY_SETTINGS: [u8; 9] = [0, 0, 0, 0x4, 0, 0, 0, 0, 0];
        if !read_h2_preface(&mut stream).await {
            return;
        }
        let _ = stream.write_all(&EMPTY_SETTINGS).await;
        if !read_h2_frames_until_headers(&mut stream).await {
            return;
        }
        if let H2Frames::GoAway(code) = action {
            let goaway = [0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, code];
            let _ = stream.write_all(&goaway).await;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await
}

/// Reads an HTTP/2 client's connection preface; false if it did not come.
pub async fn read_h2_preface(stream: &mut TcpStream) -> bool {
    let mut preface = [0u8; 24];
    stream.read_exact(&mut preface).await.is_ok()
}

/// Reads HTTP/2 frames until the client's first HEADERS frame (a
/// request); false if the connection ended first.
pub async fn read_h2_frames_until_headers(stream: &mut TcpStream) -> bool {
    loop {
        let mut header = [0u8; 9];
        if stream.read_exact(&mut header).await.is_err() {
            return false;
        }
        let length =
            usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
        let mut payload = vec![0u8; length];
        if stream.read_exact(&mut payload).await.is_err() {
            return false;
        }
        if header[3] == 0x1 {
            return true;
        }
    }
}

/// An HTTP/2-only hyper-util client (h2c, prior knowledge).
pub fn h2_client() -> TestClient {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A TLS upstream with a fresh self-signed certificate for `localhost`;
/// returns its address and the certificate.
pub async fn tls_upstream(
    versions: &'static [&'static rustls::SupportedProtocolVersion],
) -> (SocketAddr, rustls::pki_types::CertificateDer<'static>) {
    install_crypto_provider();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let config = rustls::ServerConfig::builder_with_protocol_versions(versions)
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let addr = raw_upstream(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(mut tls) = acceptor.accept(stream).await {
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                let _ = tls.shutdown().await;
            }
        }
    })
    .await;
    (addr, cert)
}

/// A hyper-util client over hyper-rustls that trusts only `roots`.
pub fn tls_client<B>(
    roots: rustls::RootCertStore,
    versions: &'static [&'static rustls::SupportedProtocolVersion],
) -> Client<hyper_rustls::HttpsConnector<HttpConnector>, B>
where
    B: http_body::Body + Send,
    B::Data: Send,
{
    install_crypto_provider();
    let config = rustls::ClientConfig::builder_with_protocol_versions(versions)
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    client_over(connector)
}

/// `GET url` with an empty body and the given headers.
/// A URL on a port nothing listens on, with a path and a query the
/// layer's answers must not show; and the port's address, which no answer
/// may show either.
pub async fn refused_url() -> (String, SocketAddr) {
    let addr = closed_port().await;
    (format!("http://{addr}/some/path?q=1"), addr)
}

/// `body` parsed as JSON.
pub fn json(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    request("GET", url, headers)
}

pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(Bytes::new())).unwrap()
}

/// Collects a response body, failing the test on a body error.
pub async fn body_bytes<B>(response: Response<B>) -> Bytes
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    response.into_body().collect().await.unwrap().to_bytes()
}

/// Collects a response body and checks it is as long as its
/// `Content-Length` says, as a client reading it would.
pub async fn body_as_declared<B>(response: Response<B>) -> Bytes
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let declared: usize = response.headers()[http::header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = body_bytes(response).await;
    assert_eq!(
        body.len(),
        declared,
        "the body is as long as its Content-Length"
    );
    body
}

/// Text that must never reach a client by default: the upstream's address
/// and port, and the messages of the libraries involved.
pub fn assert_no_leak(text: &str, upstream: SocketAddr) {
    let lowered = text.to_ascii_lowercase();
    for needle in [
        upstream.ip().to_string(),
        upstream.port().to_string(),
        "os error".to_owned(),
        "tcp connect".to_owned(),
        "client error".to_owned(),
        "hyper".to_owned(),
        "connection refused".to_owned(),
    ] {
        assert!(
            !lowered.contains(&needle.to_ascii_lowercase()),
            "leaked {needle:?} in {text:?}"
        );
    }
}

/// A proxy handler as users write it: rewrite the URI, call the client.
pub fn proxy_to<B>(
    upstream: SocketAddr,
) -> impl tower::Service<
    Request<B>,
    Response = http::Response<hyper::body::Incoming>,
    Error = hyper_util::client::legacy::Error,
    Future = impl Send,
> + Clone
       + Send
       + Sync
       + 'static
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let client: Client<HttpConnector, B> = Client::builder(TokioExecutor::new()).build_http();
    tower::service_fn(move |mut request: Request<B>| {
        let client = client.clone();
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = format!("http://{upstream}{path}").parse().unwrap();
        async move { client.request(request).await }
    })
}

/// Serves `service` with hyper-util's HTTP/1 + HTTP/2 server on loopback,
/// as a gateway binary would; returns its address.
pub async fn serve<S, B>(service: S) -> SocketAddr
where
    S: tower::Service<Request<hyper::body::Incoming>, Response = Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}
