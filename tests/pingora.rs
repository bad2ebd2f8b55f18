//! pingora's errors, classified by their `ErrorType` and `ErrorSource`.
//!
//! No pingora proxy runs here (pingora-core is not a dependency; the
//! feature is on `pingora-error` alone), so these errors are built with
//! pingora-error's own constructors, the way pingora's connectors and
//! HTTP sessions build them: a type, a side, a context, and the cause they
//! caught (an `io::Error`, a rustls error, another pingora error).
#![cfg(feature = "pingora")]

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
