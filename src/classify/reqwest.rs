//! Rules for `reqwest::Error`, of reqwest 0.12 and 0.13, through its public
//! predicates.
//!
//! reqwest reports its own timeouts (the total `timeout`, `read_timeout`,
//! `connect_timeout`) with a private type that only `is_timeout()` tells
//! apart. Its total and read timeouts fail the same way, with the same kind
//! and the same private cause, so a `read_timeout` that fires before the
//! response head is an `http_response_timeout` too: nothing public says
//! which of the two fired. After the head, a timeout is a failure of the
//! body (`is_body()`), and so is any other error reading it.

use std::error::Error;

use super::{Step, Walk};
use crate::UpstreamErrorKind;

/// What reqwest's predicates say about one error, whatever its version.
#[derive(Debug, Clone, Copy)]
struct Facts {
    builder: bool,
    connect: bool,
    timeout: bool,
    dns: bool,
    body: bool,
    decode: bool,
    upgrade: bool,
}

/// The [`Facts`] of a reqwest error, `dns` given since only 0.13 has
/// `is_dns`.
macro_rules! facts {
    ($error:expr, dns: $dns:expr) => {
        Facts {
            builder: $error.is_builder(),
            connect: $error.is_connect(),
            timeout: $error.is_timeout(),
            dns: $dns,
            body: $error.is_body(),
            decode: $error.is_decode(),
            upgrade: $error.is_upgrade(),
        }
    };
}

pub(super) fn classify(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    #[cfg(feature = "reqwest-0-12")]
    if let Some(error) = level.downcast_ref::<reqwest_0_12::Error>() {
        // reqwest 0.12 has no `is_dns`; its resolver failures come through
        // hyper-util's connect error, see `connect.rs`.
        return decide(facts!(error, dns: false), walk);
    }
    #[cfg(feature = "reqwest-0-13")]
    if let Some(error) = level.downcast_ref::<reqwest_0_13::Error>() {
        return decide(facts!(error, dns: error.is_dns()), walk);
    }
    Step::Continue
}

fn decide(facts: Facts, walk: &mut Walk) -> Step {
    // The request could not even be built (a URL reqwest cannot use): the
    // gateway's configuration, and nothing was sent.
    if facts.builder {
        walk.request_not_sent = true;
        return Step::Decided(UpstreamErrorKind::ProxyConfigurationError);
    }
    // The head had arrived: whatever broke, the response is incomplete. (A
    // request body that fails is reported by hyper, under a request error.)
    if facts.body {
        return Step::Decided(UpstreamErrorKind::HttpResponseIncomplete);
    }
    if facts.dns {
        walk.dns_phase = true;
        walk.connect_phase = true;
    }
    if facts.connect {
        walk.connect_phase = true;
        if facts.timeout {
            return Step::Decided(UpstreamErrorKind::ConnectionTimeout);
        }
    }
    if facts.upgrade {
        return Step::Decided(UpstreamErrorKind::HttpUpgradeFailed);
    }
    if facts.timeout {
        // reqwest's own timer, unless a deeper level shows an OS read
        // timeout or an HTTP/2 keep-alive timeout.
        return Step::Fallback(UpstreamErrorKind::HttpResponseTimeout);
    }
    if facts.decode {
        // The body arrived but is not what it claims (bad compression,
        // JSON that does not parse), unless a deeper level says the body
        // itself broke.
        return Step::Fallback(UpstreamErrorKind::HttpProtocolError);
    }
    Step::Continue
}
