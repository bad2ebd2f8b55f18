//! Walking an error's causes, including the payloads `source()` skips.

use std::error::Error;
use std::fmt;
use std::io;

/// Causes nest a handful of levels deep in practice; the bound stops a
/// malicious or buggy cycle of `source()` calls.
const MAX_DEPTH: usize = 32;

/// Iterates over `error` and everything that caused it.
///
/// Unlike following [`Error::source`] alone, this also descends into the
/// payload of every [`io::Error`] ([`io::Error::get_ref`]) — `io::Error`'s own
/// `source()` skips it — with the `h2` feature, into the I/O error an
/// `h2::Error` wraps, with the `pingora` feature, into the `cause` of
/// pingora's `Error`, which its `source()` does not return, and with the
/// reqwest-middleware features, into the `reqwest::Error` or middleware
/// error (reqwest-retry's, say) a `reqwest_middleware::Error` holds, which
/// its `source()` skips. Custom rules can
/// use it to look for their own types.
///
/// ```
/// use std::io;
/// use tower_gateway_error::error::error_chain;
///
/// #[derive(Debug)]
/// struct Refused;
/// impl std::fmt::Display for Refused {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("refused")
///     }
/// }
/// impl std::error::Error for Refused {}
///
/// let error = io::Error::new(io::ErrorKind::Other, Refused);
/// assert!(error_chain(&error).any(|level| level.is::<Refused>()));
/// ```
pub fn error_chain<'a>(error: &'a (dyn Error + 'static)) -> ErrorChain<'a> {
    ErrorChain {
        next: Some(error),
        depth: 0,
    }
}

/// The iterator returned by [`error_chain`].
pub struct ErrorChain<'a> {
    next: Option<&'a (dyn Error + 'static)>,
    depth: usize,
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorChain")
            .field("next", &self.next)
            .field("depth", &self.depth)
            .finish()
    }
}

impl<'a> Iterator for ErrorChain<'a> {
    type Item = &'a (dyn Error + 'static);

    fn next(&mut self) -> Option<Self::Item> {
        let current = self.next.take()?;
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        self.next = cause_of(current);
        Some(current)
    }
}

fn cause_of<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
    if let Some(io) = error.downcast_ref::<io::Error>() {
        if let Some(payload) = io.get_ref() {
            return Some(payload as &(dyn Error + 'static));
        }
    }
    #[cfg(feature = "h2")]
    if let Some(h2) = error.downcast_ref::<h2::Error>() {
        if let Some(io) = h2.get_io() {
            return Some(io as &(dyn Error + 'static));
        }
    }
    #[cfg(feature = "pingora")]
    {
        // pingora passes its errors around as `Box<Error>`, which is an
        // error type of its own to a downcast.
        if let Some(boxed) = error.downcast_ref::<pingora_error::BError>() {
            return Some(&**boxed as &(dyn Error + 'static));
        }
        if let Some(pingora) = error.downcast_ref::<pingora_error::Error>() {
            return pingora
                .cause
                .as_deref()
                .map(|cause| cause as &(dyn Error + 'static));
        }
    }
    #[cfg(feature = "reqwest-middleware-0-4")]
    if let Some(middleware) = error.downcast_ref::<reqwest_middleware_0_4::Error>() {
        return Some(match middleware {
            reqwest_middleware_0_4::Error::Reqwest(reqwest) => reqwest,
            reqwest_middleware_0_4::Error::Middleware(other) => other.as_ref(),
        });
    }
    #[cfg(feature = "reqwest-middleware-0-5")]
    if let Some(middleware) = error.downcast_ref::<reqwest_middleware_0_5::Error>() {
        return Some(match middleware {
            reqwest_middleware_0_5::Error::Reqwest(reqwest) => reqwest,
            reqwest_middleware_0_5::Error::Middleware(other) => other.as_ref(),
        });
    }
    error.source()
}
