//! Rules that mark the connect phase: this crate's [`ConnectError`], and the
//! connect error hyper-util's `HttpConnector` returns, which reaches us
//! inside hyper-util's `Client` error, reqwest's, or tonic's `ConnectError`.

use std::error::Error;
use std::fmt::{self, Write as _};

use super::connect_error::ConnectError;
use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(
    level: &(dyn Error + 'static),
    walk: &mut Walk,
    parent_was_connect: bool,
) -> Step {
    if let Some(connect) = level.downcast_ref::<ConnectError>() {
        walk.connect_phase = true;
        if connect.is_timeout() {
            return Step::Decided(UpstreamErrorKind::ConnectionTimeout);
        }
        walk.parent_was_connect = true;
        return Step::Continue;
    }

    // hyper-util's `ConnectError` is private and has no predicates; its
    // message is a fixed `&'static str` chosen by where the connect failed,
    // so "dns error" is the only way to know the resolver failed. This is
    // the one rule that reads text, and only at the level right under a
    // connect error of hyper-util's `Client`, tonic, or this crate.
    if parent_was_connect && displays_with_prefix(level, "dns error") {
        walk.dns_phase = true;
    }
    Step::Continue
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
