//! Rules for pingora's `Error`, by its `ErrorType` and `ErrorSource`.
//!
//! pingora keeps the cause in a public field rather than in `source()`;
//! the chain walk follows it (see `chain.rs`), so a cause this crate knows
//! (an h2 reason, a rustls error, an `io::ErrorKind`) can still decide when
//! the type is one of pingora's catch-alls. Retry safety comes from the
//! phase the type names, not from pingora's `retry` flag, which is also set
//! for failures on reused connections where the request may have been sent.

use std::error::Error;

use pingora_error::{ErrorSource, ErrorType};

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    let Some(error) = level.downcast_ref::<pingora_error::Error>() else {
        return Step::Continue;
    };
    if error.esource == ErrorSource::Downstream {
        // The client's side failed (it sent a bad request, or went away
        // while sending it): not the upstream's fault.
        return Step::Decided(UpstreamErrorKind::HttpRequestError);
    }
    let connect_phase = |walk: &mut Walk, kind| {
        walk.connect_phase = true;
        Step::Decided(kind)
    };
    let send_phase = |walk: &mut Walk, step| {
        if !walk.connect_phase {
            walk.send_phase = true;
        }
        step
    };
    match error.etype {
        ErrorType::ConnectTimedout | ErrorType::TLSHandshakeTimedout => {
            connect_phase(walk, UpstreamErrorKind::ConnectionTimeout)
        }
        ErrorType::ConnectRefused => connect_phase(walk, UpstreamErrorKind::ConnectionRefused),
        ErrorType::ConnectNoRoute => {
            connect_phase(walk, UpstreamErrorKind::DestinationIpUnroutable)
        }
        ErrorType::InvalidCert => connect_phase(walk, UpstreamErrorKind::TlsCertificateError),
        ErrorType::TLSHandshakeFailure
        | ErrorType::TLSWantX509Lookup
        | ErrorType::HandshakeError => {
            // A deeper rustls error may say it was the certificate.
            walk.connect_phase = true;
            Step::Fallback(UpstreamErrorKind::TlsProtocolError)
        }
        ErrorType::ConnectError | ErrorType::SocketError | ErrorType::ConnectProxyFailure => {
            // Catch-alls of the connect phase: the cause decides the kind.
            walk.connect_phase = true;
            Step::Continue
        }
        // The types of an open connection: the request may have gone, so
        // a cause below (a host that became unreachable, say) must not read
        // as a connect failure.
        ErrorType::ReadTimedout => send_phase(
            walk,
            Step::Decided(UpstreamErrorKind::ConnectionReadTimeout),
        ),
        ErrorType::WriteTimedout => send_phase(
            walk,
            Step::Decided(UpstreamErrorKind::ConnectionWriteTimeout),
        ),
        ErrorType::ConnectionClosed => {
            send_phase(walk, Step::Decided(UpstreamErrorKind::ConnectionTerminated))
        }
        ErrorType::ReadError | ErrorType::WriteError => send_phase(
            walk,
            Step::Fallback(UpstreamErrorKind::ConnectionTerminated),
        ),
        ErrorType::InvalidHTTPHeader | ErrorType::InvalidH2 => {
            send_phase(walk, Step::Decided(UpstreamErrorKind::HttpProtocolError))
        }
        // Catch-alls: an h2 reason below (REFUSED_STREAM, say) knows better.
        ErrorType::H1Error | ErrorType::H2Error | ErrorType::H2Downgrade => {
            send_phase(walk, Step::Fallback(UpstreamErrorKind::HttpProtocolError))
        }
        // The gateway's own failures (binding a local address, files, its
        // own code), statuses it chose to answer with, and custom types:
        // only the cause can say more.
        _ => Step::Continue,
    }
}
