//! pingora's failure hook: what a `pingora_error::Error` means for the
//! answer ([`failure`]), and, with the `pingora-proxy` feature, the whole
//! of `ProxyHttp::fail_to_proxy` (`fail_to_proxy`).
//!
//! pingora hands `fail_to_proxy` every fatal error of a request, not only
//! the upstream's: a status the proxy's own filters raised
//! (`ErrorType::HTTPStatus`), and the client's side failing (it sent a
//! bad request, or went away). Only the upstream's failures (and the
//! proxy's own, which are no answer from the upstream either) get the
//! layer's answer; a raised status keeps its code, and a failure of the
//! client's side is answered as pingora answers it, and not reported as
//! an upstream failure.
//!
//! The error is lent (`e: &Error`), and pingora's `Error` cannot be
//! cloned, so it is classified where it is
//! ([`GatewayErrorLayer::classify_borrowed`]), with its retry safety; its
//! text is kept as the cause, for the log.
//!
//! Supported: pingora 0.9 (`pingora-error`, `pingora-proxy`). pingora's
//! `Error` does not return its cause from `source()`, so without the
//! `pingora` feature (or with another major version of pingora-error,
//! which is another type to a downcast) nothing below it is seen, and
//! every pingora failure is `proxy_internal_error`.

#[cfg(feature = "pingora-proxy")]
mod session;

use http::StatusCode;
use pingora_error::{Error, ErrorSource, ErrorType};

#[cfg(feature = "pingora-proxy")]
pub use self::session::fail_to_proxy;
use crate::{GatewayErrorLayer, UpstreamError};

/// What a pingora failure asks of the answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// The upstream (or the proxy's own code) failed: answer with
    /// [`GatewayErrorLayer::error_response`], unless the response has
    /// started already.
    Upstream(UpstreamError),
    /// The proxy raised this status itself (`ErrorType::HTTPStatus`, from
    /// a `request_filter`, say): answer with it, as pingora does.
    Status(StatusCode),
    /// The client's side failed. `Some` is what pingora answers (400, for
    /// a request it could not read); `None`, when the connection is gone.
    Downstream(Option<StatusCode>),
}

/// What `error`, from pingora's `fail_to_proxy`, asks of the answer, with
/// `layer`'s classifier.
///
/// ```
/// use std::io;
/// use pingora_error::{Error, ErrorType};
/// use tower_gateway_error::pingora::{failure, Failure};
/// use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};
///
/// let layer = GatewayErrorLayer::new();
/// let refused = Error::because(
///     ErrorType::ConnectRefused,
///     "connecting",
///     io::Error::from(io::ErrorKind::ConnectionRefused),
/// )
/// .into_up();
/// let Failure::Upstream(error) = failure(&layer, &refused) else { panic!() };
/// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
/// assert!(error.is_retry_safe());
///
/// // A 403 a request filter raised keeps its code.
/// let denied = Error::new(ErrorType::HTTPStatus(403));
/// assert!(matches!(failure(&layer, &denied), Failure::Status(s) if s == 403));
/// ```
pub fn failure(layer: &GatewayErrorLayer, error: &Error) -> Failure {
    if let ErrorType::HTTPStatus(code) = error.etype() {
        // A code pingora cannot send would be its 500.
        return Failure::Status(
            StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    if error.esource() == &ErrorSource::Downstream {
        return Failure::Downstream(match error.etype() {
            ErrorType::ReadError | ErrorType::WriteError | ErrorType::ConnectionClosed => None,
            _ => Some(StatusCode::BAD_REQUEST),
        });
    }
    Failure::Upstream(layer.classify_borrowed(error))
}
