//! One conformance suite: the same real faults, sent through each client
//! users wrap in the layer, get the same answer.
//!
//! Each cell serves a gateway on loopback (hyper-util's HTTP/1 + HTTP/2
//! server, as a gateway binary would): the layer around a real client —
//! hyper-util's legacy `Client`, reqwest 0.12, reqwest 0.13,
//! reqwest-middleware 0.5 with reqwest-retry, a tonic `Channel`, a
//! hand-rolled client on hyper's `client::conn`, or axum-reverse-proxy's
//! `ReverseProxy` — in front of a real upstream that misbehaves over a
//! real socket; and a real pingora-proxy server whose `fail_to_proxy`
//! answers through the crate (built without TLS, so its certificate cell
//! is not run; see the README). A real caller
//! then asserts the status, the `Proxy-Status` error type and, for gRPC,
//! the `grpc-status` a tonic client sees; the layer's hook asserts the kind
//! and whether the failure is retry-safe.
//!
//! Every client takes the same settings: a 250 ms connect timeout, a 750 ms
//! response timeout (tower's `Timeout` around hyper-util's `Client`,
//! reqwest's `timeout`, tonic's `Endpoint::timeout`, `tokio::time::timeout`
//! in the hand-rolled client), the test's own resolver (it knows
//! `localhost` and nothing else), and trust in one certificate authority
//! that did not sign the upstream's certificate.
//!
//! `MATRIX` is what the cells assert, and the README's table is checked
//! against it, so the two cannot drift. The reqwest, reqwest-middleware,
//! tonic, axum-reverse-proxy and pingora cells need their features
//! (`cargo test --all-features`); without them those clients' failures are
//! not recognised, which is what the features fix.
#![cfg(all(feature = "hyper", feature = "h2", feature = "rustls"))]

mod support;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tower::Layer;
use tower_gateway_error::CapturedRequest;
use tower_gateway_error::{BoxError, GatewayErrorLayer, UpstreamError};

use support::*;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(750);

/// The clients, in the README table's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientKind {
    HyperUtil,
    Reqwest012,
    Reqwest013,
    ReqwestMiddleware,
    Tonic,
    HyperConn,
    AxumReverseProxy,
    PingoraHook,
}

const CLIENTS: [(ClientKind, &str); COLUMNS] = [
    (ClientKind::HyperUtil, "hyper-util `Client`"),
    (ClientKind::Reqwest012, "reqwest 0.12"),
    (ClientKind::Reqwest013, "reqwest 0.13"),
    (
        ClientKind::ReqwestMiddleware,
        "reqwest-middleware 0.5 + reqwest-retry",
    ),
    (ClientKind::Tonic, "tonic `Channel`"),
    (ClientKind::HyperConn, "hyper `client::conn`"),
    (ClientKind::AxumReverseProxy, "axum-reverse-proxy"),
    (ClientKind::PingoraHook, "pingora-proxy `fail_to_proxy`"),
];

const COLUMNS: usize = 8;

/// A cell the suite cannot run, explained under the README's table.
const NOT_RUN: &str = "";

/// The faults, each a real upstream (or none) misbehaving over loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing listens on the port.
    Refused,
    /// The upstream reads the request, then resets the connection.
    ResetBeforeHead,
    /// The upstream answers with bytes that are not HTTP.
    Garbage,
    /// The upstream takes the request and never answers.
    Stall,
    /// The upstream's accept queue is full: the connect never completes.
    ConnectStalls,
    /// The name does not resolve.
    Dns,
    /// The upstream's certificate is signed by nobody the client trusts.
    UntrustedCertificate,
}

impl Fault {
    const ALL: [Fault; 7] = [
        Fault::Refused,
        Fault::ResetBeforeHead,
        Fault::Garbage,
        Fault::Stall,
        Fault::ConnectStalls,
        Fault::Dns,
        Fault::UntrustedCertificate,
    ];
}

/// One row of the matrix: a fault, the kind each client's failure gets (in
/// `CLIENTS` order), and what every cell of the row shares.
struct Row {
    fault: Fault,
    label: &'static str,
    kinds: [&'static str; COLUMNS],
    /// The HTTP status callers other than gRPC get.
    status: u16,
    /// The `grpc-status` a gRPC caller gets.
    grpc: tonic::Code,
    retry_safe: bool,
}

const fn row(
    fault: Fault,
    label: &'static str,
    kind: &'static str,
    status: u16,
    grpc: tonic::Code,
    retry_safe: bool,
) -> Row {
    Row {
        fault,
        label,
        kinds: [kind; COLUMNS],
        status,
        grpc,
        retry_safe,
    }
}

impl Row {
    /// The row, with `client`'s kind `kind` instead of the row's.
    const fn but(mut self, client: ClientKind, kind: &'static str) -> Row {
        self.kinds[client as usize] = kind;
        self
    }
}

/// What the suite asserts. Every client gets the same answer for the same
/// fault, so each row is built with `row`; a client that differs has its
/// own cell (`but`), which the README shows, with the reason under the
/// table.
const MATRIX: [Row; 7] = {
    use tonic::Code::*;
    [
        row(
            Fault::Refused,
            "refused",
            "connection_refused",
            502,
            Unavailable,
            true,
        ),
        row(
            Fault::ResetBeforeHead,
            "reset before the head",
            "connection_terminated",
            502,
            Unavailable,
            false,
        ),
        row(
            Fault::Garbage,
            "garbage instead of HTTP",
            "http_protocol_error",
            502,
            Internal,
            false,
        ),
        row(
            Fault::Stall,
            "no answer within the client's timeout",
            "http_response_timeout",
            504,
            DeadlineExceeded,
            false,
        )
        // pingora has no response timeout, only one per read: it fired.
        .but(ClientKind::PingoraHook, "connection_read_timeout"),
        row(
            Fault::ConnectStalls,
            "connect cannot complete (full accept queue)",
            "connection_timeout",
            504,
            Unavailable,
            true,
        ),
        row(
            Fault::Dns,
            "name does not resolve",
            "dns_error",
            502,
            Unavailable,
            true,
        ),
        row(
            Fault::UntrustedCertificate,
            "untrusted certificate",
            "tls_certificate_error",
            502,
            Unavailable,
            true,
        )
        // The pingora-proxy feature builds pingora without TLS.
        .but(ClientKind::PingoraHook, NOT_RUN),
    ]
};

fn expected(client: ClientKind, fault: Fault) -> (&'static str, &'static Row) {
    let row = MATRIX.iter().find(|row| row.fault == fault).unwrap();
    let column = client as usize;
    assert_eq!(
        CLIENTS[column].0, client,
        "CLIENTS is in ClientKind's order"
    );
    (row.kinds[column], row)
}

/// The README's table, as the matrix says it must read.
fn readme_table() -> String {
    let mut table = String::from("| fault |");
    for (_, name) in CLIENTS {
        table.push_str(&format!(" {name} |"));
    }
    table.push_str(" status (gRPC) | retry-safe |\n|---|");
    table.push_str(&"---|".repeat(CLIENTS.len() + 2));
    table.push('\n');
    for row in &MATRIX {
        table.push_str(&format!("| {} |", row.label));
        for kind in row.kinds {
            if kind == NOT_RUN {
                table.push_str(" not run ¹ |");
            } else {
                table.push_str(&format!(" `{kind}` |"));
            }
        }
        table.push_str(&format!(
            " {} ({}) | {} |\n",
            row.status,
            grpc_name(row.grpc),
            if row.retry_safe { "yes" } else { "no" }
        ));
    }
    table
}

fn grpc_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::Internal => "INTERNAL",
        other => panic!("no README name for {other:?}"),
    }
}

#[test]
fn the_readme_table_is_the_matrix() {
    let readme = include_str!("../README.md");
    let table = readme_table();
    assert!(
        readme.contains(&table),
        "README.md's client × fault table must read, exactly:\n\n{table}"
    );
}

#[test]
fn the_matrix_has_every_fault_once() {
    for fault in Fault::ALL {
        let rows = MATRIX.iter().filter(|row| row.fault == fault).count();
        assert_eq!(rows, 1, "{fault:?}");
    }
}

// ---------------------------------------------------------------------
// The upstreams, and where each client is pointed.

/// What a fault's upstream is, and what must stay alive while it is used.
struct Upstream {
    /// The URL the client is pointed at (scheme, host, port).
    url: String,
    _backlog: Option<FullBacklog>,
}

async fn upstream(fault: Fault, http2: bool) -> Upstream {
    let at = |addr: SocketAddr| Upstream {
        url: format!("http://{addr}"),
        _backlog: None,
    };
    match fault {
        Fault::Refused => at(closed_port().await),
        Fault::ResetBeforeHead if http2 => at(raw_upstream(reset_after_h2_headers).await),
        Fault::ResetBeforeHead => at(raw_upstream(reset_after_head).await),
        Fault::Garbage if http2 => at(raw_upstream(garbage_after_h2_preface).await),
        Fault::Garbage => at(raw_upstream(reply(GARBAGE)).await),
        Fault::Stall if http2 => at(raw_upstream(h2_never_answering).await),
        Fault::Stall => at(raw_upstream(stall).await),
        Fault::ConnectStalls => {
            let backlog = full_backlog().await;
            Upstream {
                url: format!("http://{}", backlog.addr),
                _backlog: Some(backlog),
            }
        }
        // A name under the reserved `.invalid`; the test's resolver fails
        // it, as a real one would.
        Fault::Dns => Upstream {
            url: "http://upstream.invalid:80".into(),
            _backlog: None,
        },
        Fault::UntrustedCertificate => {
            let (addr, _) = tls_upstream(TLS_VERSIONS).await;
            Upstream {
                url: format!("https://localhost:{}", addr.port()),
                _backlog: None,
            }
        }
    }
}

static TLS_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// An HTTP/2 upstream that reads the client's preface and first HEADERS
/// frame, then resets the connection without answering.
async fn reset_after_h2_headers(mut stream: TcpStream) {
    if read_h2_preface(&mut stream).await && read_h2_frames_until_headers(&mut stream).await {
        stream.set_zero_linger().unwrap();
    }
}

/// An "HTTP/2 upstream" that answers the client's preface with bytes that
/// are not HTTP/2 frames.
async fn garbage_after_h2_preface(mut stream: TcpStream) {
    if read_h2_preface(&mut stream).await {
        let _ = stream.write_all(GARBAGE).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// A real HTTP/2 upstream (the h2 crate) that accepts every stream and
/// never answers any.
async fn h2_never_answering(stream: TcpStream) {
    let Ok(mut connection) = h2::server::handshake(stream).await else {
        return;
    };
    let mut held = Vec::new();
    while let Some(Ok(stream)) = connection.accept().await {
        held.push(stream);
    }
}

/// The test's resolver: `localhost` is 127.0.0.1, an IP address is itself,
/// every other name fails as a resolver's NXDOMAIN does, with an error type
/// of its own (not this crate's `DnsError`).
#[derive(Debug, Clone, Default)]
struct TestResolver {
    lookups: Arc<Mutex<usize>>,
}

#[derive(Debug)]
struct NoSuchName(String);

impl std::fmt::Display for NoSuchName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NXDOMAIN: {}", self.0)
    }
}

impl std::error::Error for NoSuchName {}

impl TestResolver {
    fn resolve(&self, name: &str) -> Result<SocketAddr, NoSuchName> {
        *self.lookups.lock().unwrap() += 1;
        if name == "localhost" {
            Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        } else if let Ok(ip) = name.parse::<std::net::IpAddr>() {
            Ok(SocketAddr::from((ip, 0)))
        } else {
            Err(NoSuchName(name.to_owned()))
        }
    }

    fn lookups(&self) -> usize {
        *self.lookups.lock().unwrap()
    }
}

impl tower::Service<hyper_util::client::legacy::connect::dns::Name> for TestResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = NoSuchName;
    type Future = std::future::Ready<Result<Self::Response, NoSuchName>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), NoSuchName>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        std::future::ready(
            self.resolve(name.as_str())
                .map(|addr| vec![addr].into_iter()),
        )
    }
}

/// A certificate authority the clients trust, which signed nothing the
/// upstreams present.
fn unrelated_ca() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    rcgen::generate_simple_self_signed(vec!["someone-else.test".to_owned()]).unwrap()
}

// ---------------------------------------------------------------------
// The gateways: the layer around each client, served on loopback.

/// Every failure the layer's hook saw.
type Seen = Arc<Mutex<Vec<UpstreamError>>>;

fn recording_layer() -> (GatewayErrorLayer, Seen) {
    let seen = Seen::default();
    let record = seen.clone();
    let layer = GatewayErrorLayer::builder()
        .on_error(
            move |error: &UpstreamError, _: http::StatusCode, _: &CapturedRequest| {
                record.lock().unwrap().push(error.clone());
            },
        )
        .build()
        .unwrap();
    (layer, seen)
}

/// Points `request` at `url`, keeping its path and query.
fn retarget<B>(request: &mut Request<B>, url: &str) {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *request.uri_mut() = format!("{url}{path}").parse().unwrap();
    request.headers_mut().remove(http::header::HOST);
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

async fn gateway(client: ClientKind, url: &str, layer: GatewayErrorLayer) -> SocketAddr {
    match client {
        ClientKind::HyperUtil => serve(layer.layer(hyper_util_client(url))).await,
        #[cfg(feature = "reqwest-0-12")]
        ClientKind::Reqwest012 => serve(layer.layer(reqwest_0_12_client::service(url))).await,
        #[cfg(feature = "reqwest-0-13")]
        ClientKind::Reqwest013 => serve(layer.layer(reqwest_0_13_client::service(url))).await,
        #[cfg(feature = "reqwest-middleware-0-5")]
        ClientKind::ReqwestMiddleware => serve(layer.layer(reqwest_middleware_client(url))).await,
        #[cfg(feature = "axum-reverse-proxy")]
        ClientKind::AxumReverseProxy => serve(layer.layer(axum_reverse_proxy(url))).await,
        #[cfg(feature = "pingora-proxy")]
        ClientKind::PingoraHook => pingora_gateway::start(url, layer),
        #[cfg(feature = "tonic")]
        ClientKind::Tonic => serve(layer.layer(tonic_client(url))).await,
        ClientKind::HyperConn => serve(layer.layer(hand_rolled_client(url))).await,
        #[allow(unreachable_patterns)]
        other => unreachable!("{other:?} needs its feature"),
    }
}

/// hyper-util's legacy `Client` over hyper-rustls, as a proxy uses it,
/// with tower's `Timeout` around it for the response.
fn hyper_util_client(
    url: &str,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Incoming>,
    Error = BoxError,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    let client: hyper_util::client::legacy::Client<_, Incoming> = client_over(test_connector());
    let url = url.to_owned();
    let forward = tower::service_fn(move |mut request: Request<Incoming>| {
        retarget(&mut request, &url);
        client.request(request)
    });
    tower::ServiceBuilder::new()
        .timeout(RESPONSE_TIMEOUT)
        .service(forward)
}

type TestConnector =
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector<TestResolver>>;

/// hyper-util's `HttpConnector` with the test's resolver and connect
/// timeout, under hyper-rustls trusting the unrelated authority.
fn test_connector() -> TestConnector {
    install_crypto_provider();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(
        TestResolver::default(),
    );
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http.enforce_http(false);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(unrelated_ca().cert.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_protocol_versions(TLS_VERSIONS)
        .with_root_certificates(roots)
        .with_no_client_auth();
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

/// reqwest-middleware's `ClientWithMiddleware` over reqwest 0.13, with
/// reqwest-retry retrying once, under the crate's `Forward` adapter: after
/// its last try reqwest-retry hands back reqwest's error wrapped in its
/// own, which the classifier must still find.
#[cfg(feature = "reqwest-middleware-0-5")]
fn reqwest_middleware_client(
    url: &str,
) -> tower_gateway_error::forward::reqwest_0_13::Forward<reqwest_middleware_0_5::ClientWithMiddleware>
{
    use reqwest_retry_0_9::policies::ExponentialBackoff;
    use reqwest_retry_0_9::RetryTransientMiddleware;

    let client = reqwest_0_13_client::builder(TestResolver::default())
        .timeout(RESPONSE_TIMEOUT)
        .build()
        .unwrap();
    let retry = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
        .build_with_max_retries(1);
    let client = reqwest_middleware_0_5::ClientBuilder::new(client)
        .with(RetryTransientMiddleware::new_with_policy(retry))
        .build();
    tower_gateway_error::forward::reqwest_0_13::Forward::new(client, url).unwrap()
}

/// axum-reverse-proxy's `ReverseProxy` (whose error is `Infallible`: it
/// answers its failures itself) on hyper-util's `Client` over the test's
/// connector, its `upstream_timeout` the response timeout. The layer needs
/// nothing but the `axum-reverse-proxy` feature.
#[cfg(feature = "axum-reverse-proxy")]
fn axum_reverse_proxy(
    url: &str,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<axum::body::Body>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    use axum_reverse_proxy::{ProxyPolicy, ReverseProxy};

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(test_connector());
    let proxy = ReverseProxy::new_with_client("/", url, client)
        .with_policy(ProxyPolicy::new().with_upstream_timeout(RESPONSE_TIMEOUT));
    tower::ServiceBuilder::new()
        .map_request(|request: Request<Incoming>| request.map(axum::body::Body::new))
        .service(proxy)
}

/// A pingora-proxy server, in a thread of its own as pingora runs, whose
/// `fail_to_proxy` is the crate's `pingora::fail_to_proxy`, with the
/// matrix's timeouts (pingora's connect timeout, and its read timeout for
/// the response) and the test's resolver in `upstream_peer`, which pingora
/// leaves to the proxy (`HttpPeer::new` would panic on a name it cannot
/// resolve). Returns where it listens.
#[cfg(feature = "pingora-proxy")]
mod pingora_gateway {
    use super::*;
    use pingora_core::upstreams::peer::HttpPeer;
    use pingora_error::{Error, ErrorType};
    use pingora_proxy::{FailToProxy, ProxyHttp, Session};
    use tower_gateway_error::dns::DnsError;

    struct Gateway {
        upstream: String,
        layer: GatewayErrorLayer,
    }

    #[async_trait::async_trait]
    impl ProxyHttp for Gateway {
        type CTX = ();

        fn new_ctx(&self) {}

        async fn upstream_peer(
            &self,
            _: &mut Session,
            _: &mut (),
        ) -> pingora_error::Result<Box<HttpPeer>> {
            let uri: http::Uri = self.upstream.parse().unwrap();
            let host = uri.host().unwrap();
            let mut addr = TestResolver::default().resolve(host).map_err(|e| {
                Error::because(
                    ErrorType::ConnectError,
                    "resolving the upstream",
                    DnsError::failed(host, e),
                )
            })?;
            addr.set_port(uri.port_u16().unwrap());
            let mut peer = HttpPeer::new(addr, false, String::new());
            peer.options.connection_timeout = Some(CONNECT_TIMEOUT);
            peer.options.read_timeout = Some(RESPONSE_TIMEOUT);
            Ok(Box::new(peer))
        }

        async fn fail_to_proxy(&self, session: &mut Session, e: &Error, _: &mut ()) -> FailToProxy {
            tower_gateway_error::pingora::fail_to_proxy(&self.layer, session, e).await
        }
    }

    pub(super) fn start(url: &str, layer: GatewayErrorLayer) -> SocketAddr {
        support::pingora::start(Gateway {
            upstream: url.to_owned(),
            layer,
        })
    }
}

/// A hand-rolled client on hyper's `client::conn`: it resolves, connects
/// (TCP, and TLS for https) and sends itself, one connection per request,
/// marking its failures with this crate's `DnsError` and `ConnectError`
/// (through `connect_timeout`) so they classify as the other clients' do.
fn hand_rolled_client(
    url: &str,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Incoming>,
    Error = BoxError,
    Future = BoxFuture<Result<Response<Incoming>, BoxError>>,
> + Clone
       + Send
       + 'static {
    use tower_gateway_error::classify::connect_timeout;
    use tower_gateway_error::dns::DnsError;

    trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
    impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}

    install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(unrelated_ca().cert.der().clone()).unwrap();
    let tls = Arc::new(
        rustls::ClientConfig::builder_with_protocol_versions(TLS_VERSIONS)
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let resolver = TestResolver::default();
    let url = url.to_owned();
    tower::service_fn(move |mut request: Request<Incoming>| {
        retarget(&mut request, &url);
        let (resolver, tls) = (resolver.clone(), tls.clone());
        Box::pin(async move {
            let uri = request.uri().clone();
            let host = uri.host().unwrap().to_owned();
            let https = uri.scheme_str() == Some("https");
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });

            let mut addr = resolver
                .resolve(&host)
                .map_err(|error| DnsError::failed(host.clone(), error))?;
            addr.set_port(port);
            let io: Box<dyn Io> = connect_timeout(CONNECT_TIMEOUT, async {
                let tcp = TcpStream::connect(addr).await?;
                if !https {
                    return Ok::<_, BoxError>(Box::new(tcp) as Box<dyn Io>);
                }
                let name = rustls::pki_types::ServerName::try_from(host.clone())?;
                let stream = tokio_rustls::TlsConnector::from(tls)
                    .connect(name, tcp)
                    .await?;
                Ok(Box::new(stream) as Box<dyn Io>)
            })
            .await?;

            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await?;
            tokio::spawn(connection);
            let response =
                tokio::time::timeout(RESPONSE_TIMEOUT, sender.send_request(request)).await??;
            Ok(response)
        }) as BoxFuture<Result<Response<Incoming>, BoxError>>
    })
}

/// reqwest's `Client` under the layer through the crate's `Forward`
/// adapter, for each major version.
macro_rules! reqwest_client {
    ($module:ident, $reqwest:ident, $feature:literal, $trust:expr) => {
        #[cfg(feature = $feature)]
        mod $module {
            use super::*;
            pub(super) use tower_gateway_error::forward::$reqwest::Forward;
            use $reqwest as reqwest;

            impl reqwest::dns::Resolve for TestResolver {
                fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
                    let result = TestResolver::resolve(self, name.as_str())
                        .map(|addr| Box::new(std::iter::once(addr)) as reqwest::dns::Addrs)
                        .map_err(BoxError::from);
                    Box::pin(std::future::ready(result))
                }
            }

            pub(super) fn builder(resolver: TestResolver) -> reqwest::ClientBuilder {
                install_crypto_provider();
                let ca = reqwest::Certificate::from_der(unrelated_ca().cert.der()).unwrap();
                let trust: fn(
                    reqwest::ClientBuilder,
                    reqwest::Certificate,
                ) -> reqwest::ClientBuilder = $trust;
                trust(reqwest::Client::builder(), ca)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .no_proxy()
                    .dns_resolver(Arc::new(resolver))
            }

            pub(super) fn service(url: &str) -> Forward {
                let client = builder(TestResolver::default())
                    .timeout(RESPONSE_TIMEOUT)
                    .build()
                    .unwrap();
                over(client, url)
            }

            /// The crate's own adapter, as users put it under the layer.
            pub(super) fn over(client: reqwest::Client, url: &str) -> Forward {
                Forward::new(client, url).unwrap()
            }
        }
    };
}

reqwest_client!(
    reqwest_0_12_client,
    reqwest_0_12,
    "reqwest-0-12",
    |builder, ca| builder
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
);
reqwest_client!(
    reqwest_0_13_client,
    reqwest_0_13,
    "reqwest-0-13",
    |builder, ca| builder.tls_certs_only([ca])
);

/// A tonic `Channel`, lazily connected as a gateway's is, over hyper-util's
/// `HttpConnector` with the test's resolver, and tonic's own TLS.
#[cfg(feature = "tonic")]
fn tonic_client(
    url: &str,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<tonic::body::Body>,
    Error = tonic::transport::Error,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
    use tower::ServiceExt;

    let mut endpoint = Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(RESPONSE_TIMEOUT);
    if url.starts_with("https:") {
        let ca = Certificate::from_pem(unrelated_ca().cert.pem());
        endpoint = endpoint
            .tls_config(ClientTlsConfig::new().ca_certificate(ca))
            .unwrap();
    }
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(
        TestResolver::default(),
    );
    http.enforce_http(false);
    let channel = endpoint.connect_with_connector_lazy(http);
    channel.map_request(|request: Request<Incoming>| request.map(tonic::body::Body::new))
}

// ---------------------------------------------------------------------
// The callers.

/// An API client's call to the gateway: the status, the Proxy-Status error
/// type, and the problem+json body's.
async fn call_over_http(gateway: SocketAddr) -> (u16, String) {
    let response = client()
        .request(get(
            &format!("http://{gateway}/orders/7"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let proxy_status = response.headers()["proxy-status"]
        .to_str()
        .unwrap()
        .to_owned();
    let token = proxy_status
        .strip_prefix("gateway; error=")
        .unwrap_or_else(|| panic!("Proxy-Status: {proxy_status}"))
        .to_owned();
    let problem: serde_json::Value = serde_json::from_slice(&body_bytes(response).await).unwrap();
    assert_eq!(problem["status"], status);
    assert_eq!(problem["proxy_error"], token.as_str());
    (status, token)
}

/// A gRPC caller's call to the gateway with a real tonic client: the
/// status it reports, and the Proxy-Status error type in its metadata.
async fn call_over_grpc(gateway: SocketAddr) -> (tonic::Code, String) {
    let status = orders::get_order(gateway, 7).await.unwrap_err();
    let proxy_status = orders::proxy_status(&status).unwrap();
    let token = proxy_status
        .strip_prefix("gateway; error=")
        .unwrap_or_else(|| panic!("Proxy-Status: {proxy_status}"))
        .to_owned();
    (status.code(), token)
}

/// One cell: `fault` through `client`, as the matrix says.
async fn cell(client: ClientKind, fault: Fault) {
    let (kind, row) = expected(client, fault);
    let grpc = client == ClientKind::Tonic;
    let upstream = upstream(fault, grpc).await;
    let (layer, seen) = recording_layer();
    let gateway = gateway(client, &upstream.url, layer).await;

    if grpc {
        let (code, token) = call_over_grpc(gateway).await;
        assert_eq!(
            (code, token.as_str()),
            (row.grpc, kind),
            "{client:?} × {fault:?}"
        );
    } else {
        let (status, token) = call_over_http(gateway).await;
        assert_eq!(
            (status, token.as_str()),
            (row.status, kind),
            "{client:?} × {fault:?}"
        );
    }
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        1,
        "{client:?} × {fault:?}: the hook is told once"
    );
    assert_eq!(
        seen[0].kind().as_str(),
        kind,
        "{client:?} × {fault:?}: {:?}",
        seen[0]
    );
    assert_eq!(
        seen[0].is_retry_safe(),
        row.retry_safe,
        "{client:?} × {fault:?}: retry-safe? {:?}",
        seen[0]
    );
}

macro_rules! cells {
    ($($(#[$attr:meta])* $module:ident => $client:expr;)*) => {$(
        $(#[$attr])*
        mod $module {
            use super::*;

            #[tokio::test]
            async fn refused() {
                cell($client, Fault::Refused).await;
            }

            #[tokio::test]
            async fn reset_before_the_head() {
                cell($client, Fault::ResetBeforeHead).await;
            }

            #[tokio::test]
            async fn garbage_instead_of_http() {
                cell($client, Fault::Garbage).await;
            }

            #[tokio::test]
            async fn no_answer_within_the_clients_timeout() {
                cell($client, Fault::Stall).await;
            }

            #[cfg(target_os = "linux")]
            #[tokio::test]
            async fn connect_cannot_complete() {
                cell($client, Fault::ConnectStalls).await;
            }

            #[tokio::test]
            async fn name_does_not_resolve() {
                cell($client, Fault::Dns).await;
            }

            #[tokio::test]
            async fn untrusted_certificate() {
                cell($client, Fault::UntrustedCertificate).await;
            }
        }
    )*};
}

cells! {
    through_hyper_util => ClientKind::HyperUtil;
    #[cfg(feature = "reqwest-0-12")]
    through_reqwest_0_12 => ClientKind::Reqwest012;
    #[cfg(feature = "reqwest-0-13")]
    through_reqwest_0_13 => ClientKind::Reqwest013;
    #[cfg(feature = "reqwest-middleware-0-5")]
    through_reqwest_middleware => ClientKind::ReqwestMiddleware;
    #[cfg(feature = "axum-reverse-proxy")]
    through_axum_reverse_proxy => ClientKind::AxumReverseProxy;
    #[cfg(feature = "tonic")]
    through_tonic_channel => ClientKind::Tonic;
    through_hyper_client_conn => ClientKind::HyperConn;
}

/// pingora's cells but the TLS one (`NOT_RUN`).
#[cfg(feature = "pingora-proxy")]
mod through_pingora_hook {
    use super::*;

    const HOOK: ClientKind = ClientKind::PingoraHook;

    #[tokio::test]
    async fn refused() {
        cell(HOOK, Fault::Refused).await;
    }

    #[tokio::test]
    async fn reset_before_the_head() {
        cell(HOOK, Fault::ResetBeforeHead).await;
    }

    #[tokio::test]
    async fn garbage_instead_of_http() {
        cell(HOOK, Fault::Garbage).await;
    }

    #[tokio::test]
    async fn no_answer_within_the_clients_timeout() {
        cell(HOOK, Fault::Stall).await;
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn connect_cannot_complete() {
        cell(HOOK, Fault::ConnectStalls).await;
    }

    #[tokio::test]
    async fn name_does_not_resolve() {
        cell(HOOK, Fault::Dns).await;
    }

    #[test]
    fn the_tls_cell_is_the_one_not_run() {
        let not_run: Vec<Fault> = MATRIX
            .iter()
            .filter(|row| row.kinds[HOOK as usize] == NOT_RUN)
            .map(|row| row.fault)
            .collect();
        assert_eq!(not_run, [Fault::UntrustedCertificate]);
    }
}

// ---------------------------------------------------------------------
// What the matrix does not show, client by client.

/// An upstream that sends a head and part of its body, then stalls.
async fn stalls_mid_body(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n0123456789",
        )
        .await;
    tokio::time::sleep(Duration::from_secs(30)).await;
}

macro_rules! reqwest_specifics {
    ($module:ident, $client:ident, $reqwest:ident, $feature:literal) => {
        #[cfg(feature = $feature)]
        mod $module {
            use super::*;
            use tower_gateway_error::retry::RetryPolicy;
            use tower_gateway_error::UpstreamErrorKind;
            use $reqwest as reqwest;

            /// reqwest's `read_timeout` before the head fails exactly as its
            /// total `timeout` does, so it is a response timeout too.
            #[tokio::test]
            async fn read_timeout_before_the_head_is_a_response_timeout() {
                let upstream = raw_upstream(stall).await;
                let client = $client::builder(TestResolver::default())
                    .read_timeout(Duration::from_millis(300))
                    .build()
                    .unwrap();
                let (layer, seen) = recording_layer();
                let gateway =
                    serve(layer.layer($client::over(client, &format!("http://{upstream}")))).await;
                assert_eq!(
                    call_over_http(gateway).await,
                    (504, "http_response_timeout".to_owned())
                );
                assert!(!seen.lock().unwrap()[0].is_retry_safe());
            }

            /// reqwest's total `timeout` also covers the body: once the head
            /// has gone out, the client sees a broken transfer, and the hook
            /// an incomplete response.
            #[tokio::test]
            async fn total_timeout_in_the_body_breaks_the_transfer() {
                let upstream = raw_upstream(stalls_mid_body).await;
                let (layer, seen) = recording_layer();
                let gateway =
                    serve(layer.layer($client::service(&format!("http://{upstream}")))).await;
                let response = client()
                    .request(get(&format!("http://{gateway}/"), &[]))
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body = http_body_util::BodyExt::collect(response.into_body()).await;
                assert!(
                    body.is_err(),
                    "the client must not take a short body for a whole one"
                );
                let seen = seen.lock().unwrap();
                assert_eq!(seen.len(), 1);
                assert_eq!(seen[0].kind(), UpstreamErrorKind::HttpResponseIncomplete);
            }

            /// In a handler that reads the body itself, reqwest's body
            /// errors (here its total timeout, mid-body) are incomplete
            /// responses too.
            #[tokio::test]
            async fn a_body_read_by_a_handler_that_breaks_is_incomplete() {
                let upstream = raw_upstream(stalls_mid_body).await;
                let client = $client::builder(TestResolver::default())
                    .timeout(Duration::from_millis(300))
                    .build()
                    .unwrap();
                let response = client
                    .get(format!("http://{upstream}/"))
                    .send()
                    .await
                    .unwrap();
                let error = UpstreamError::from(response.bytes().await.unwrap_err());
                assert_eq!(
                    error.kind(),
                    UpstreamErrorKind::HttpResponseIncomplete,
                    "{error:?}"
                );
                assert!(!error.is_retry_safe());
            }

            /// A request reqwest cannot even build (a scheme it does not
            /// speak) is the gateway's configuration, and never left.
            #[tokio::test]
            async fn a_request_reqwest_cannot_build_is_a_configuration_error() {
                let client = $client::builder(TestResolver::default()).build().unwrap();
                let error = client.get("ftp://upstream.test/").send().await.unwrap_err();
                assert!(error.is_builder(), "{error:?}");
                let error = UpstreamError::from(error);
                assert_eq!(error.kind(), UpstreamErrorKind::ProxyConfigurationError);
                assert!(error.is_retry_safe());
            }

            /// A request body that fails on its way out (here a stream that
            /// errors, as a client's aborted upload does) is the request's
            /// fault, not the upstream's.
            #[tokio::test]
            async fn a_failing_request_body_is_a_request_error() {
                let upstream = raw_upstream(echo).await;
                let client = $client::builder(TestResolver::default()).build().unwrap();
                let failing = FailingBody { sent: false };
                let error = client
                    .post(format!("http://{upstream}/"))
                    .body(reqwest::Body::wrap(failing))
                    .send()
                    .await
                    .unwrap_err();
                let error = UpstreamError::from(error);
                assert_eq!(
                    error.kind(),
                    UpstreamErrorKind::HttpRequestError,
                    "{error:?}"
                );
            }

            /// `RetryPolicy` works on a reqwest-backed service: a POST whose
            /// upstream name does not resolve is retried (it never left),
            /// one that was reset after it was sent is not.
            #[tokio::test]
            async fn retry_policy_retries_only_what_never_left() {
                let policy = || {
                    RetryPolicy::builder()
                        .max_retries(2)
                        .backoff(Duration::from_millis(1), Duration::from_millis(5))
                        .build()
                        .unwrap()
                };
                let resolver = TestResolver::default();
                let client = $client::builder(resolver.clone()).build().unwrap();
                let service = tower::ServiceBuilder::new()
                    .retry(policy())
                    .service($client::over(client.clone(), "http://upstream.invalid:80"));
                let error = tower::ServiceExt::oneshot(service, request("POST", "http://x/", &[]))
                    .await
                    .unwrap_err();
                assert!(error.is_connect(), "{error:?}");
                assert_eq!(resolver.lookups(), 3, "one call and two retries");

                let connections = Arc::new(Mutex::new(0));
                let counted = connections.clone();
                let upstream = raw_upstream(move |stream| {
                    *counted.lock().unwrap() += 1;
                    reset_after_head(stream)
                })
                .await;
                let service = tower::ServiceBuilder::new()
                    .retry(policy())
                    .service($client::over(client, &format!("http://{upstream}")));
                tower::ServiceExt::oneshot(service, request("POST", "http://x/", &[]))
                    .await
                    .unwrap_err();
                assert_eq!(
                    *connections.lock().unwrap(),
                    1,
                    "a POST that was sent is not sent again"
                );
            }
        }
    };
}

reqwest_specifics!(
    reqwest_0_12_specifics,
    reqwest_0_12_client,
    reqwest_0_12,
    "reqwest-0-12"
);
reqwest_specifics!(
    reqwest_0_13_specifics,
    reqwest_0_13_client,
    reqwest_0_13,
    "reqwest-0-13"
);

/// A request body that sends one chunk and then fails, as the body of a
/// caller that went away mid-upload does.
struct FailingBody {
    sent: bool,
}

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if std::mem::replace(&mut self.sent, true) {
            std::task::Poll::Ready(Some(Err(std::io::Error::other("the caller went away"))))
        } else {
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(
                b"first part",
            )))))
        }
    }
}

/// With tonic's own connector (`connect_lazy`), `Endpoint::connect_timeout`
/// is hyper-util's, inside tonic's `ConnectError`: the same answer as with
/// a connector of your own.
#[cfg(all(feature = "tonic", target_os = "linux"))]
#[tokio::test]
async fn a_tonic_channel_on_its_own_connector_times_out_connecting() {
    use tower::ServiceExt;

    let blocked = full_backlog().await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", blocked.addr))
        .unwrap()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(RESPONSE_TIMEOUT)
        .connect_lazy()
        .map_request(|request: Request<Incoming>| request.map(tonic::body::Body::new));
    let (layer, seen) = recording_layer();
    let gateway = serve(layer.layer(channel)).await;
    assert_eq!(
        call_over_grpc(gateway).await,
        (tonic::Code::Unavailable, "connection_timeout".to_owned())
    );
    assert!(seen.lock().unwrap()[0].is_retry_safe());
}

/// The rule for the connect timeout tonic puts around a custom connector
/// (an I/O timeout carrying tokio's `Elapsed`) holds only right under a
/// tonic channel's error: the same shape elsewhere is not a connect, and
/// not retry-safe.
#[cfg(feature = "tonic")]
#[tokio::test]
async fn the_tonic_connect_timeout_shape_elsewhere_is_not_a_connect() {
    let elapsed = tokio::time::timeout(Duration::ZERO, std::future::pending::<()>())
        .await
        .unwrap_err();
    let error = UpstreamError::classify(std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed));
    assert_eq!(
        error.kind(),
        tower_gateway_error::UpstreamErrorKind::ConnectionReadTimeout
    );
    assert!(!error.is_retry_safe());
}

/// A tonic `Channel` whose upstream answers is passed through: the suite's
/// gateway is not a failure machine.
#[cfg(feature = "tonic")]
#[tokio::test]
async fn a_tonic_channel_passes_answers_through() {
    let upstream = h2_upstream(H2Fault::Answer).await;
    let (layer, seen) = recording_layer();
    let gateway = serve(layer.layer(tonic_client(&format!("http://{upstream}")))).await;
    let response = client()
        .request(get(&format!("http://{gateway}/ping"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(body_bytes(response).await, "ok over h2 /ping");
    assert!(seen.lock().unwrap().is_empty());
}
