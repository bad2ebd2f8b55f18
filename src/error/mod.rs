//! Errors and their causes: [`UpstreamError`], a classified upstream
//! failure that keeps its cause; [`UpstreamErrorKind`], what went wrong,
//! with each kind's own facts; and [`error_chain`], the walk through an
//! error's causes that classification and logs both use.

mod chain;
mod kind;
mod params;
mod text;

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;

pub use self::chain::{error_chain, ErrorChain};
pub(crate) use self::kind::PerKind;
pub use self::kind::UpstreamErrorKind;
pub(crate) use self::params::Params;
use self::text::ErrorText;
use crate::BoxError;

/// A failed call to the upstream: its [`UpstreamErrorKind`] and the original
/// error, kept as [`source()`](Error::source) so the whole chain stays
/// walkable.
///
/// Cloning is cheap (one `Arc`), which is how the layer puts it into the
/// extensions of the response it writes. Creating one formats nothing; for
/// `dns_error` and `tls_alert_received` it looks through the cause chain
/// once, for what `Proxy-Status` reports of them.
///
/// `Error` is implemented by hand rather than derived with `thiserror`:
/// `source()` must return the original error itself, not the `Arc` around it,
/// or downcasts further down the chain would fail.
///
/// ```
/// use std::io;
/// use tower_gateway_error::{UpstreamError, UpstreamErrorKind};
///
/// let io = io::Error::from(io::ErrorKind::ConnectionRefused);
/// let error = UpstreamError::classify(io);
/// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
/// assert!(error.is_retry_safe());
/// let source = std::error::Error::source(&error).unwrap();
/// assert!(source.downcast_ref::<io::Error>().is_some());
/// ```
#[derive(Clone)]
pub struct UpstreamError {
    inner: Arc<Inner>,
}

struct Inner {
    kind: UpstreamErrorKind,
    retry_safe: bool,
    source: Option<BoxError>,
    /// What the chain reports for `Proxy-Status`, found when the error is
    /// made; `None` for most kinds.
    params: Option<Box<Params>>,
}

impl UpstreamError {
    /// An error of `kind` caused by `source`.
    pub fn new(kind: UpstreamErrorKind, source: impl Into<BoxError>) -> Self {
        Self::from_parts(kind, kind.is_retry_safe(), Some(source.into()))
    }

    /// An error of `kind` with no underlying cause.
    pub fn from_kind(kind: UpstreamErrorKind) -> Self {
        Self::from_parts(kind, kind.is_retry_safe(), None)
    }

    pub(crate) fn from_parts(
        kind: UpstreamErrorKind,
        retry_safe: bool,
        source: Option<BoxError>,
    ) -> Self {
        let params = source
            .as_deref()
            .and_then(|source| Params::of(kind, source as &(dyn Error + 'static)));
        Self::with_params(kind, retry_safe, source, params)
    }

    /// An error classified where it was only lent: its `Proxy-Status`
    /// parameters are found on the lent error, its text kept as the cause.
    pub(crate) fn from_lent(
        kind: UpstreamErrorKind,
        retry_safe: bool,
        lent: &(dyn Error + 'static),
    ) -> Self {
        let params = Params::of(kind, lent);
        Self::with_params(
            kind,
            retry_safe,
            Some(Box::new(ErrorText::of(lent))),
            params,
        )
    }

    fn with_params(
        kind: UpstreamErrorKind,
        retry_safe: bool,
        source: Option<BoxError>,
        params: Option<Box<Params>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                kind,
                retry_safe: retry_safe || kind.is_retry_safe(),
                source,
                params,
            }),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> UpstreamErrorKind {
        self.inner.kind
    }

    /// Whether the request certainly never reached the upstream, so it may be
    /// retried whatever its method.
    ///
    /// True for every kind where [`UpstreamErrorKind::is_retry_safe`] is, and
    /// also for failures the classifier saw happen before the request was
    /// sent: anything in hyper-util's connect phase, an HTTP/2 REFUSED_STREAM,
    /// or an HTTP/2 GOAWAY (NO_ERROR) for a stream the upstream never took.
    pub fn is_retry_safe(&self) -> bool {
        self.inner.retry_safe
    }

    /// Whether the upstream or the resolver took too long.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind.is_timeout()
    }

    /// The status RFC 9209 recommends for this error's kind.
    pub fn default_status(&self) -> StatusCode {
        self.inner.kind.default_status()
    }

    /// The `Proxy-Status` parameters its chain reports (a DNS rcode, a TLS
    /// alert), if any.
    pub(crate) fn proxy_status_params(&self) -> Option<&Params> {
        self.inner.params.as_deref()
    }

    /// Displays the whole cause chain, `": "`-separated, for logs.
    ///
    /// This text can hold upstream addresses and library messages: it is for
    /// operators, and reaches a client only when the layer's
    /// [`show_details`](crate::GatewayErrorLayerBuilder::show_details) is on.
    pub fn display_chain(&self) -> DisplayChain<'_> {
        DisplayChain { error: self }
    }
}

impl fmt::Debug for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamError")
            .field("kind", &self.inner.kind)
            .field("retry_safe", &self.inner.retry_safe)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upstream request failed ({})", self.inner.kind)
    }
}

impl Error for UpstreamError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn Error + 'static))
    }
}

/// The cause chain of an [`UpstreamError`], displayed on one line; see
/// [`UpstreamError::display_chain`].
pub struct DisplayChain<'a> {
    error: &'a UpstreamError,
}

impl fmt::Debug for DisplayChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DisplayChain").field(&self.error).finish()
    }
}

impl fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An io::Error displays its payload's text and then the chain yields
        // the payload itself, so the same text can come twice in a row.
        let mut previous = String::new();
        let mut current = String::new();
        for (i, level) in error_chain(self.error).enumerate() {
            current.clear();
            // A level whose Display fails shows what it wrote so far; an
            // error from here would make `to_string()` panic.
            let _ = fmt::write(&mut current, format_args!("{level}"));
            if i > 0 {
                if current == previous || previous.ends_with(current.as_str()) {
                    continue;
                }
                f.write_str(": ")?;
            }
            f.write_str(&current)?;
            std::mem::swap(&mut previous, &mut current);
        }
        Ok(())
    }
}
