//! [`ConnectError`] and [`connect_timeout`]: marking a failure as one that
//! happened while connecting, for clients whose connecting is your own code
//! (hyper's `client::conn`, a custom connector, a pingora-style proxy).

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;

use crate::BoxError;

/// A failure while connecting to the upstream, before any byte of the
/// request was sent.
///
/// hyper-util's `Client`, reqwest and tonic tell the classifier which
/// failures happened while connecting. A client you assemble yourself
/// (hyper's `client::conn` over your own `TcpStream`, a custom connector)
/// does not: a connect that times out under `tokio::time::timeout` looks
/// exactly like a response that timed out. Wrap connect failures in this
/// type and the classifier knows:
///
/// - a [timed-out](Self::timed_out) connect is
///   [`ConnectionTimeout`](crate::UpstreamErrorKind::ConnectionTimeout)
///   (`connection_timeout`, 504);
/// - a [failed](Self::failed) connect is classified by its cause (refused,
///   unreachable, TLS certificate, [`DnsError`](crate::dns::DnsError), ...);
/// - either way the error is [retry-safe](crate::UpstreamError::is_retry_safe):
///   the upstream never saw the request, so any method may be sent again.
///
/// [`connect_timeout`] connects with a time limit and fails with this type.
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use tower_gateway_error::classify::ConnectError;
/// use tower_gateway_error::{UpstreamError, UpstreamErrorKind};
///
/// let slow = ConnectError::timed_out(Duration::from_secs(2));
/// let error = UpstreamError::classify(slow);
/// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionTimeout);
/// assert!(error.is_retry_safe());
///
/// // A cause the classifier knows decides the kind; the phase stays.
/// let reset = ConnectError::failed(io::Error::from(io::ErrorKind::ConnectionReset));
/// let error = UpstreamError::classify(reset);
/// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionTerminated);
/// assert!(error.is_retry_safe());
/// ```
#[derive(Debug)]
pub struct ConnectError {
    cause: Cause,
}

#[derive(Debug)]
enum Cause {
    Failed(BoxError),
    TimedOut(Duration),
}

impl ConnectError {
    /// Connecting failed because of `source` (refused, unreachable, a TLS
    /// handshake that failed, a name that did not resolve, ...).
    pub fn failed(source: impl Into<BoxError>) -> Self {
        Self {
            cause: Cause::Failed(source.into()),
        }
    }

    /// Connecting took longer than `after`.
    pub fn timed_out(after: Duration) -> Self {
        Self {
            cause: Cause::TimedOut(after),
        }
    }

    /// Whether connecting took too long, rather than failed.
    pub fn is_timeout(&self) -> bool {
        matches!(self.cause, Cause::TimedOut(_))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::Failed(_) => f.write_str("connecting to the upstream failed"),
            Cause::TimedOut(after) => {
                write!(f, "connecting to the upstream took longer than {after:?}")
            }
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.cause {
            Cause::Failed(source) => Some(&**source as &(dyn Error + 'static)),
            Cause::TimedOut(_) => None,
        }
    }
}

/// Runs `connect`, failing with a [`ConnectError`] if it fails or has not
/// finished within `limit`. Use it where `tokio::time::timeout` would go
/// around the connecting part of a hand-rolled client (TCP, and TLS if
/// any): it keeps a slow connect apart from a slow response, and gives one
/// `Result` instead of two.
///
/// ```
/// use std::time::Duration;
/// use tokio::net::TcpStream;
/// use tower_gateway_error::classify::connect_timeout;
/// use tower_gateway_error::{UpstreamError, UpstreamErrorKind};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// # let addr = closed.local_addr().unwrap();
/// # drop(closed);
/// let error = connect_timeout(Duration::from_secs(2), TcpStream::connect(addr))
///     .await
///     .unwrap_err();
/// let error = UpstreamError::classify(error);
/// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
/// assert!(error.is_retry_safe());
/// # }
/// ```
///
/// # Panics
///
/// Like `tokio::time::timeout`, when called outside a tokio runtime with
/// the time driver enabled.
pub fn connect_timeout<F, T, E>(limit: Duration, connect: F) -> ConnectTimeout<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    ConnectTimeout {
        connect,
        deadline: tokio::time::sleep(limit),
        limit,
    }
}

pin_project! {
    /// The future of [`connect_timeout`].
    #[must_use = "futures do nothing unless polled"]
    pub struct ConnectTimeout<F> {
        #[pin]
        connect: F,
        #[pin]
        deadline: Sleep,
        limit: Duration,
    }
}

impl<F> fmt::Debug for ConnectTimeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectTimeout")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<F, T, E> Future for ConnectTimeout<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, ConnectError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.connect.poll(cx) {
            return Poll::Ready(result.map_err(ConnectError::failed));
        }
        match this.deadline.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(ConnectError::timed_out(*this.limit))),
            Poll::Pending => Poll::Pending,
        }
    }
}
