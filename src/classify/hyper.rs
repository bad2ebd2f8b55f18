//! Rules for `hyper::Error` and hyper-util's legacy `Client` error.

use std::error::Error;
use std::fmt::{self, Write as _};

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(
    level: &(dyn Error + 'static),
    walk: &mut Walk,
    parent_was_connect: bool,
) -> Step {
    if let Some(client) = level.downcast_ref::<hyper_util::client::legacy::Error>() {
        if client.is_connect() {
            walk.connect_phase = true;
            walk.parent_was_connect = true;
        } else {
            walk.send_phase = true;
        }
        return Step::Continue;
    }

    // hyper-util's `ConnectError` is private and has no predicates; its
    // message is a fixed `&'static str` chosen by where the connect failed,
    // so "dns error" is the only way to know the resolver failed. This is
    // the one rule that reads text, and only at this one level.
    if parent_was_connect && displays_with_prefix(level, "dns error") {
        walk.dns_phase = true;
        return Step::Continue;
    }

    let Some(error) = level.downcast_ref::<hyper::Error>() else {
        return Step::Continue;
    };
    if error.is_parse_too_large() {
        Step::Decided(UpstreamErrorKind::HttpResponseHeaderSectionSize)
    } else if error.is_parse() {
        Step::Decided(UpstreamErrorKind::HttpProtocolError)
    } else if error.is_incomplete_message() {
        // The upstream closed before the whole head arrived; most often it
        // closed an idle keep-alive connection, with no response byte sent.
        Step::Decided(UpstreamErrorKind::ConnectionTerminated)
    } else if error.is_timeout() {
        Step::Decided(UpstreamErrorKind::ConnectionReadTimeout)
    } else if error.is_canceled() || error.is_closed() || error.is_body_write_aborted() {
        // The cause below (an I/O error, an h2 reason) may be more precise.
        Step::Fallback(UpstreamErrorKind::ConnectionTerminated)
    } else if error.is_user() {
        // A user error with a cause is the request body failing (a client
        // that stopped mid-upload, say): not the upstream's fault, and the
        // cause below would read like an upstream connection error. Without
        // a cause it is a misuse of hyper by the proxy code itself.
        Step::Decided(if error.source().is_some() {
            UpstreamErrorKind::HttpRequestError
        } else {
            UpstreamErrorKind::Unclassified
        })
    } else {
        Step::Continue
    }
}

/// Whether `error`'s `Display` output starts with `prefix`, without
/// allocating: formatting stops as soon as the answer is known.
fn displays_with_prefix(error: &dyn Error, prefix: &str) -> bool {
    struct PrefixMatcher<'p> {
        rest: &'p str,
        matched: bool,
    }
    impl fmt::Write for PrefixMatcher<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let n = s.len().min(self.rest.len());
            if s.as_bytes()[..n] != self.rest.as_bytes()[..n] {
                return Err(fmt::Error);
            }
            self.rest = &self.rest[n..];
            if self.rest.is_empty() {
                self.matched = true;
                return Err(fmt::Error);
            }
            Ok(())
        }
    }
    let mut matcher = PrefixMatcher {
        rest: prefix,
        matched: false,
    };
    let _ = write!(matcher, "{error}");
    matcher.matched
}
