//! DNS failures by type: [`DnsError`], which any resolver can return, and
//! (feature `hyper`) `DnsResolver`, a resolver for hyper-util's
//! `HttpConnector` whose failures are [`DnsError`]s, so they classify as
//! `dns_error` and `dns_timeout` by type rather than by message.

#[cfg(feature = "hyper")]
mod resolver;

use std::error::Error;
use std::fmt;

use crate::BoxError;

/// A name lookup that failed or took too long.
///
/// The classifier recognises it anywhere in a chain:
/// [`DnsError`](crate::UpstreamErrorKind::DnsError) for a failure,
/// [`DnsTimeout`](crate::UpstreamErrorKind::DnsTimeout) for a timeout. Return
/// it from your own resolver (for hyper-util, reqwest, or anything else) to
/// get the same classification; `DnsResolver` does it for hyper-util's.
///
/// ```
/// use std::io;
/// use tower_gateway_error::dns::DnsError;
/// use tower_gateway_error::{UpstreamError, UpstreamErrorKind};
///
/// let nxdomain = io::Error::new(io::ErrorKind::NotFound, "no such host");
/// let error = DnsError::failed("api.internal", nxdomain);
/// assert_eq!(UpstreamError::classify(error).kind(), UpstreamErrorKind::DnsError);
///
/// let slow = DnsError::timed_out("api.internal", std::time::Duration::from_secs(2));
/// assert_eq!(UpstreamError::classify(slow).kind(), UpstreamErrorKind::DnsTimeout);
/// ```
#[derive(Debug)]
pub struct DnsError {
    name: Box<str>,
    cause: Cause,
    rcode: Option<Box<str>>,
    info_code: Option<u16>,
}

#[derive(Debug)]
enum Cause {
    Failed(BoxError),
    NoAddresses,
    TimedOut(std::time::Duration),
}

impl DnsError {
    /// Resolving `name` failed because of `source` (the name does not exist,
    /// the resolver is unreachable, ...).
    pub fn failed(name: impl Into<Box<str>>, source: impl Into<BoxError>) -> Self {
        Self {
            name: name.into(),
            cause: Cause::Failed(source.into()),
            rcode: None,
            info_code: None,
        }
    }

    /// Resolving `name` succeeded with no address at all.
    pub fn no_addresses(name: impl Into<Box<str>>) -> Self {
        Self {
            name: name.into(),
            cause: Cause::NoAddresses,
            rcode: None,
            info_code: None,
        }
    }

    /// Resolving `name` took longer than `after`.
    pub fn timed_out(name: impl Into<Box<str>>, after: std::time::Duration) -> Self {
        Self {
            name: name.into(),
            cause: Cause::TimedOut(after),
            rcode: None,
            info_code: None,
        }
    }

    /// The name that was looked up. It is in this error's `Display`, which
    /// reaches clients only with
    /// [`show_details`](crate::GatewayErrorLayerBuilder::show_details).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the lookup took too long, rather than failed.
    pub fn is_timeout(&self) -> bool {
        matches!(self.cause, Cause::TimedOut(_))
    }

    /// The DNS response code the resolver got, by its name (`NXDOMAIN`,
    /// `SERVFAIL`); sent as `Proxy-Status`'s `rcode` parameter.
    pub fn rcode(mut self, rcode: impl Into<Box<str>>) -> Self {
        self.rcode = Some(rcode.into());
        self
    }

    /// The extended DNS error code the resolver got (RFC 8914); sent as
    /// `Proxy-Status`'s `info-code` parameter.
    pub fn info_code(mut self, info_code: u16) -> Self {
        self.info_code = Some(info_code);
        self
    }

    /// The response code set with [`rcode`](Self::rcode).
    pub fn reported_rcode(&self) -> Option<&str> {
        self.rcode.as_deref()
    }

    /// The extended error code set with [`info_code`](Self::info_code).
    pub fn reported_info_code(&self) -> Option<u16> {
        self.info_code
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::Failed(_) => write!(f, "failed to resolve {:?}", self.name),
            Cause::NoAddresses => write!(f, "{:?} resolved to no address", self.name),
            Cause::TimedOut(after) => {
                write!(f, "resolving {:?} took longer than {after:?}", self.name)
            }
        }
    }
}

impl Error for DnsError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.cause {
            Cause::Failed(source) => Some(&**source as &(dyn Error + 'static)),
            Cause::NoAddresses | Cause::TimedOut(_) => None,
        }
    }
}

#[cfg(feature = "hyper")]
pub use self::resolver::{DnsResolver, ResolveFuture};
