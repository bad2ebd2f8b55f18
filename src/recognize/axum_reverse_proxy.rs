//! axum-reverse-proxy 2.x answers its own forwarding failures with a bare
//! `502 Bad Gateway` (or `504 Gateway Timeout` after its
//! `upstream_timeout`), and marks them with a `ProxyError` extension:
//! the mark this rule recognises.
//!
//! `ProxyError` keeps only the error's text (hyper-util's error and its
//! causes, joined with ": ") and whether it happened while connecting; the
//! error itself is gone. The operating system's error number, which the
//! text ends with when a socket call failed ("(os error 111)"), is turned
//! back into the `io::Error` it was, as this error's source, so the
//! default `io::ErrorKind` rules judge it as they judge hyper-util's. What
//! the text says beyond that is read in `classify/axum_reverse_proxy.rs`.

use std::error::Error;
use std::fmt;
use std::io;

use axum_reverse_proxy::ProxyError;
use http::StatusCode;

use super::ResponseHead;
use crate::BoxError;

/// The failure behind an answer axum-reverse-proxy made up (its 502 or
/// 504 with a `ProxyError`), recognised by the default rules with the
/// `axum-reverse-proxy` feature, and the cause of the
/// [`UpstreamError`](crate::UpstreamError) the layer answers instead.
///
/// Its `Display` is the proxy's message, which may name the upstream's
/// address: like every cause, it goes to logs, not to clients.
#[derive(Debug)]
pub struct ReverseProxyFailure {
    error: ProxyError,
    status: StatusCode,
    /// The operating system's error the message ends with, rebuilt.
    os_error: Option<io::Error>,
}

impl ReverseProxyFailure {
    fn new(error: ProxyError, status: StatusCode) -> Self {
        let os_error = os_error_number(error.message()).map(io::Error::from_raw_os_error);
        Self {
            error,
            status,
            os_error,
        }
    }

    /// The proxy's record of the failure.
    pub fn proxy_error(&self) -> &ProxyError {
        &self.error
    }

    /// Whether it failed while connecting, so the request was never sent.
    pub fn is_connect(&self) -> bool {
        self.error.is_connect()
    }

    /// The status the proxy answered with (the layer answers with its own).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The proxy's message.
    pub fn message(&self) -> &str {
        self.error.message()
    }
}

impl fmt::Display for ReverseProxyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "axum-reverse-proxy answered {} itself: {}",
            self.status.as_u16(),
            self.error.message()
        )
    }
}

impl Error for ReverseProxyFailure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.os_error.as_ref().map(|e| e as &(dyn Error + 'static))
    }
}

/// The rule: an answer with a `ProxyError` is the proxy's own.
#[inline]
pub(super) fn failure(head: ResponseHead<'_>) -> Option<BoxError> {
    let error = head.extensions.get::<ProxyError>()?;
    Some(Box::new(ReverseProxyFailure::new(
        error.clone(),
        head.status,
    )))
}

/// The number in the last "(os error N)" of `message`: how `io::Error`
/// displays an error of the operating system.
fn os_error_number(message: &str) -> Option<i32> {
    const MARK: &str = "(os error ";
    let start = message.rfind(MARK)? + MARK.len();
    let digits = &message[start..];
    let end = digits.find(')')?;
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::os_error_number;

    #[test]
    fn the_os_error_number_is_read_from_the_end_of_the_message() {
        assert_eq!(
            os_error_number(
                "client error (Connect): tcp connect error: Connection refused (os error 111)"
            ),
            Some(111)
        );
        assert_eq!(
            os_error_number("client error (Connect): dns error: NXDOMAIN"),
            None
        );
        assert_eq!(os_error_number("weird (os error x)"), None);
        assert_eq!(os_error_number("cut short (os error 12"), None);
    }
}
