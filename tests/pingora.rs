//! pingora's errors, classified by their `ErrorType` and `ErrorSource`.
//!
//! With the `pingora` feature alone (on `pingora-error`) no pingora proxy
//! runs, so most errors here are built with pingora-error's own
//! constructors, the way pingora's connectors and HTTP sessions build
//! them: a type, a side, a context, and the cause they caught (an
//! `io::Error`, a rustls error, another pingora error). With
//! `pingora-proxy`, `over_the_wire` runs a real pingora-proxy server and
//! checks what `pingora::fail_to_proxy` writes.
#![cfg(feature = "pingora")]

#[cfg(feature = "pingora-proxy")]
mod support;

use std::io;

use pingora_error::{BError, Error, ErrorType};
use tower_gateway_error::error::error_chain;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError, UpstreamErrorKind};

fn upstream(etype: ErrorType, cause: Option<io::Error>) -> BError {
    match cause {
        Some(cause) => Error::because(etype, "talking to the upstream", cause),
        None => Error::explain(etype, "talking to the upstream"),
    }
    .into_up()
}

#[test]
fn each_error_type_gets_its_kind_and_retry_safety() {
    use ErrorType::*;
    use UpstreamErrorKind as K;
    let cases = [
        (ConnectTimedout, K::ConnectionTimeout, true),
        (ConnectRefused, K::ConnectionRefused, true),
        (ConnectNoRoute, K::DestinationIpUnroutable, true),
        (TLSHandshakeFailure, K::TlsProtocolError, true),
        (TLSHandshakeTimedout, K::ConnectionTimeout, true),
        (InvalidCert, K::TlsCertificateError, true),
        (HandshakeError, K::TlsProtocolError, true),
        (ReadTimedout, K::ConnectionReadTimeout, false),
        (WriteTimedout, K::ConnectionWriteTimeout, false),
        (ConnectionClosed, K::ConnectionTerminated, false),
        (ReadError, K::ConnectionTerminated, false),
        (WriteError, K::ConnectionTerminated, false),
        (InvalidHTTPHeader, K::HttpProtocolError, false),
        (H1Error, K::HttpProtocolError, false),
        (H2Error, K::HttpProtocolError, false),
        (InvalidH2, K::HttpProtocolError, false),
        (InternalError, K::Unclassified, false),
    ];
    for (etype, kind, retry_safe) in cases {
        let error = UpstreamError::classify(upstream(etype.clone(), None));
        assert_eq!(error.kind(), kind, "{etype:?}");
        assert_eq!(error.is_retry_safe(), retry_safe, "{etype:?}");
    }
}

#[test]
fn catch_all_types_let_the_cause_decide() {
    // pingora's connect catch-all around a refused socket: refused, and
    // retry-safe because it happened while connecting.
    let refused = upstream(
        ErrorType::ConnectError,
        Some(io::Error::from(io::ErrorKind::ConnectionRefused)),
    );
    let error = UpstreamError::classify(refused);
    assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
    assert!(error.is_retry_safe());

    // A connect catch-all over an unknown cause is still retry-safe.
    let odd = upstream(ErrorType::ConnectError, Some(io::Error::other("odd")));
    assert!(UpstreamError::classify(odd).is_retry_safe());

    // A read error whose cause is an OS timeout: the cause decides.
    let timed_out = upstream(
        ErrorType::ReadError,
        Some(io::Error::from(io::ErrorKind::TimedOut)),
    );
    assert_eq!(
        UpstreamErrorKind::of(&timed_out),
        UpstreamErrorKind::ConnectionReadTimeout
    );
}

/// An HTTP/2 catch-all over a stream the upstream cancelled: the h2 reason
/// decides (the stream ended without a response), not the catch-all's
/// protocol error.
#[cfg(feature = "h2")]
#[test]
fn an_h2_catch_all_lets_the_h2_error_decide() {
    let h2_reset = Error::because(
        ErrorType::H2Error,
        "reading the response",
        h2::Error::from(h2::Reason::CANCEL),
    )
    .into_up();
    assert_eq!(
        UpstreamErrorKind::of(&h2_reset),
        UpstreamErrorKind::ConnectionTerminated
    );
}

/// On an open connection the request may have gone: a route lost there is
/// a terminated connection, never the retry-safe "unroutable" of a connect.
#[test]
fn failures_on_an_open_connection_are_never_retry_safe() {
    for etype in [
        ErrorType::ReadError,
        ErrorType::WriteError,
        ErrorType::H1Error,
        ErrorType::H2Error,
    ] {
        let lost = upstream(
            etype.clone(),
            Some(io::Error::from(io::ErrorKind::HostUnreachable)),
        );
        let error = UpstreamError::classify(lost);
        assert_eq!(
            error.kind(),
            UpstreamErrorKind::ConnectionTerminated,
            "{etype:?}"
        );
        assert!(!error.is_retry_safe(), "{etype:?}");
    }
    // The same cause while connecting is unroutable, and retry-safe.
    let unroutable = upstream(
        ErrorType::ConnectError,
        Some(io::Error::from(io::ErrorKind::HostUnreachable)),
    );
    let error = UpstreamError::classify(unroutable);
    assert_eq!(error.kind(), UpstreamErrorKind::DestinationIpUnroutable);
    assert!(error.is_retry_safe());
}

#[test]
fn the_cause_field_and_nested_contexts_are_walked() {
    // `more_context` nests the first error as the cause of a second one;
    // neither returns it from `source()`.
    let inner = upstream(
        ErrorType::ConnectError,
        Some(io::Error::from(io::ErrorKind::ConnectionRefused)),
    );
    let outer = inner.more_context("while proxying GET /");
    assert!(error_chain(&outer).any(|level| level
        .downcast_ref::<io::Error>()
        .is_some_and(|io| io.kind() == io::ErrorKind::ConnectionRefused)));
    assert_eq!(
        UpstreamErrorKind::of(&outer),
        UpstreamErrorKind::ConnectionRefused
    );
}

#[cfg(feature = "rustls")]
#[test]
fn a_tls_failure_caused_by_the_certificate_is_a_certificate_error() {
    let bad_certificate = io::Error::new(
        io::ErrorKind::InvalidData,
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
    );
    let error = upstream(ErrorType::TLSHandshakeFailure, Some(bad_certificate));
    let error = UpstreamError::classify(error);
    assert_eq!(error.kind(), UpstreamErrorKind::TlsCertificateError);
    assert!(error.is_retry_safe());

    // An alert is not retry-safe by its kind (RFC 9209 allows it after the
    // handshake); during pingora's handshake it is.
    let alert = io::Error::new(
        io::ErrorKind::InvalidData,
        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
    );
    let error = UpstreamError::classify(upstream(ErrorType::TLSHandshakeFailure, Some(alert)));
    assert_eq!(error.kind(), UpstreamErrorKind::TlsAlertReceived);
    assert!(!UpstreamErrorKind::TlsAlertReceived.is_retry_safe());
    assert!(error.is_retry_safe());
}

#[test]
fn the_downstream_side_is_the_requests_fault() {
    let mut gone = Error::because(
        ErrorType::ReadError,
        "reading the request body",
        io::Error::from(io::ErrorKind::ConnectionReset),
    );
    gone.as_down();
    assert_eq!(
        UpstreamErrorKind::of(&gone),
        UpstreamErrorKind::HttpRequestError
    );
}

#[test]
fn the_layer_answers_a_pingora_failure() {
    let layer = GatewayErrorLayer::builder()
        .proxy_name("edge-1")
        .build()
        .unwrap();
    let (head, ()) = http::Request::builder()
        .header("accept", "application/json")
        .header("x-request-id", "p-1")
        .body(())
        .unwrap()
        .into_parts();
    let error = UpstreamError::from(upstream(ErrorType::ReadTimedout, None));
    let response = layer
        .error_response::<http_body_util::Empty<bytes::Bytes>>(error, &layer.capture_parts(&head));
    assert_eq!(response.status(), 504);
    assert_eq!(
        response.headers()["proxy-status"],
        "edge-1; error=connection_read_timeout"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

/// pingora's hook lends its error (`e: &Error`), which cannot be cloned:
/// classified where it is, it keeps its retry safety, and its text is the
/// cause.
#[test]
fn a_lent_error_is_classified_with_its_retry_safety() {
    let layer = GatewayErrorLayer::new();
    let refused = upstream(
        ErrorType::ConnectRefused,
        Some(io::Error::from(io::ErrorKind::ConnectionRefused)),
    );
    let error = layer.classify_borrowed(&*refused);
    assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
    assert!(error.is_retry_safe());
    let cause = std::error::Error::source(&error).unwrap().to_string();
    assert!(cause.contains("talking to the upstream"), "{cause}");
    assert_eq!(cause.matches("connection refused").count(), 1, "{cause}");

    let closed = layer.classify_borrowed(&*upstream(ErrorType::ConnectionClosed, None));
    assert_eq!(closed.kind(), UpstreamErrorKind::ConnectionTerminated);
    assert!(!closed.is_retry_safe());
}

#[test]
fn only_the_upstreams_failures_are_answered_by_the_layer() {
    use tower_gateway_error::pingora::{failure, Failure};

    let layer = GatewayErrorLayer::new();
    // A status the proxy's own filter raised keeps its code.
    let denied = Error::new(ErrorType::HTTPStatus(403));
    assert!(matches!(failure(&layer, &denied), Failure::Status(s) if s == 403));
    // The client went away: nothing to answer, nothing to report.
    let mut gone = Error::because(
        ErrorType::ReadError,
        "reading the request body",
        io::Error::from(io::ErrorKind::ConnectionReset),
    );
    gone.as_down();
    assert!(matches!(failure(&layer, &gone), Failure::Downstream(None)));
    // A request pingora could not read gets its 400.
    let mut bad = Error::new(ErrorType::InvalidHTTPHeader);
    bad.as_down();
    assert!(matches!(failure(&layer, &bad), Failure::Downstream(Some(s)) if s == 400));
    // The upstream's failure is the layer's to answer.
    let timed_out = upstream(ErrorType::ConnectTimedout, None);
    let Failure::Upstream(error) = failure(&layer, &timed_out) else {
        panic!("an upstream failure");
    };
    assert_eq!(error.kind(), UpstreamErrorKind::ConnectionTimeout);
    assert!(error.is_retry_safe());
}

/// `pingora::fail_to_proxy` on a real pingora-proxy server, over real
/// sockets.
#[cfg(feature = "pingora-proxy")]
mod over_the_wire {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use http::StatusCode;
    use pingora_core::upstreams::peer::HttpPeer;
    use pingora_error::{Error, ErrorSource, ErrorType, Result};
    use pingora_proxy::{FailToProxy, ProxyHttp, Session};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tower_gateway_error::{
        CapturedRequest, GatewayErrorLayer, UpstreamError, UpstreamErrorKind,
    };

    use crate::support::*;

    type Reported = Arc<Mutex<Vec<(UpstreamErrorKind, StatusCode)>>>;

    /// A proxy to `upstream` that answers failures with the crate, and
    /// keeps the side of each error pingora handed its hook.
    struct Proxy {
        upstream: SocketAddr,
        layer: GatewayErrorLayer,
        /// A status its request filter raises, as user code does.
        deny: Option<u16>,
        sides: Arc<Mutex<Vec<ErrorSource>>>,
    }

    #[async_trait::async_trait]
    impl ProxyHttp for Proxy {
        type CTX = ();

        fn new_ctx(&self) {}

        async fn request_filter(&self, _: &mut Session, _: &mut ()) -> Result<bool> {
            match self.deny {
                Some(code) => Err(Error::new(ErrorType::HTTPStatus(code))),
                None => Ok(false),
            }
        }

        async fn upstream_peer(&self, _: &mut Session, _: &mut ()) -> Result<Box<HttpPeer>> {
            let mut peer = HttpPeer::new(self.upstream, false, String::new());
            peer.options.read_timeout = Some(Duration::from_secs(2));
            Ok(Box::new(peer))
        }

        async fn fail_to_proxy(&self, session: &mut Session, e: &Error, _: &mut ()) -> FailToProxy {
            self.sides.lock().unwrap().push(e.esource().clone());
            tower_gateway_error::pingora::fail_to_proxy(&self.layer, session, e).await
        }
    }

    struct Started {
        addr: SocketAddr,
        reported: Reported,
        sides: Arc<Mutex<Vec<ErrorSource>>>,
    }

    fn start(upstream: SocketAddr, deny: Option<u16>) -> Started {
        let reported = Reported::default();
        let record = reported.clone();
        let layer = GatewayErrorLayer::builder()
            .on_error(
                move |e: &UpstreamError, status: StatusCode, _: &CapturedRequest| {
                    record.lock().unwrap().push((e.kind(), status));
                },
            )
            .build()
            .unwrap();
        let sides = Arc::new(Mutex::new(Vec::new()));
        let addr = pingora::start(Proxy {
            upstream,
            layer,
            deny,
            sides: sides.clone(),
        });
        Started {
            addr,
            reported,
            sides,
        }
    }

    /// Sends `request` raw and reads until the server closes (or 3 s).
    async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    const GET: &[u8] = b"GET /orders HTTP/1.1\r\nhost: gw\r\naccept: application/json\r\n\r\n";

    #[tokio::test]
    async fn an_answer_says_the_connection_closes_and_it_does() {
        let gateway = start(closed_port().await, None);
        let answer = exchange(gateway.addr, GET).await;
        assert!(answer.starts_with("HTTP/1.1 502 "), "{answer}");
        let head = answer
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .to_ascii_lowercase();
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(!head.contains("keep-alive"), "{head}");
        assert!(
            head.contains("proxy-status: gateway; error=connection_refused"),
            "{head}"
        );
        assert!(
            answer
                .trim_end()
                .ends_with(r#""proxy_error":"connection_refused"}"#),
            "{answer}"
        );
        assert_eq!(
            *gateway.reported.lock().unwrap(),
            [(
                UpstreamErrorKind::ConnectionRefused,
                StatusCode::BAD_GATEWAY
            )]
        );
    }

    /// A 200 whose body breaks mid-way: the head went, so nothing is
    /// appended to its bytes; the failure is reported as incomplete.
    #[tokio::test]
    async fn nothing_is_appended_to_a_response_that_started() {
        let upstream = raw_upstream(breaks_mid_body).await;
        let gateway = start(upstream, None);
        let answer = exchange(gateway.addr, GET).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(!answer.contains("proxy_error"), "{answer}");
        assert!(!answer.contains("Bad Gateway"), "{answer}");
        assert_eq!(
            *gateway.reported.lock().unwrap(),
            [(UpstreamErrorKind::HttpResponseIncomplete, StatusCode::OK)]
        );
    }

    /// A status the proxy's own filter raised keeps its code, and is no
    /// upstream failure.
    #[tokio::test]
    async fn a_status_the_proxy_raised_keeps_its_code() {
        let gateway = start(closed_port().await, Some(403));
        let answer = exchange(gateway.addr, GET).await;
        assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("proxy-status"),
            "{answer}"
        );
        assert!(gateway.reported.lock().unwrap().is_empty());
    }

    /// A client that goes away while sending its body is no upstream
    /// failure: nothing reported, nothing answered.
    #[tokio::test]
    async fn a_client_that_went_away_is_not_an_upstream_failure() {
        let upstream = raw_upstream(stall).await;
        let gateway = start(upstream, None);
        let mut stream = TcpStream::connect(gateway.addr).await.unwrap();
        stream
            .write_all(
                b"POST /orders HTTP/1.1\r\nhost: gw\r\ncontent-length: 100\r\n\r\n0123456789",
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(stream);
        for _ in 0..100 {
            if !gateway.sides.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            *gateway.sides.lock().unwrap(),
            [ErrorSource::Downstream],
            "pingora handed the hook the client's failure"
        );
        assert!(gateway.reported.lock().unwrap().is_empty());
    }
}
