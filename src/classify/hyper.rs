//! Rules for `hyper::Error` and hyper-util's legacy `Client` error.
//!
//! Compiled with the `hyper` feature, and with the reqwest features, since
//! reqwest's errors wrap these two. Only `is_parse_too_large` needs hyper's
//! server code, which the reqwest features leave out: without it a head too
//! large for the client is an `http_protocol_error`.

use std::error::Error;

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    if let Some(client) = level.downcast_ref::<hyper_util::client::legacy::Error>() {
        if client.is_connect() {
            walk.connect_phase = true;
            walk.parent_was_connect = true;
        } else {
            walk.send_phase = true;
        }
        return Step::Continue;
    }

    let Some(error) = level.downcast_ref::<hyper::Error>() else {
        return Step::Continue;
    };
    // hyper does not connect: its errors come from an open connection,
    // unless a connector handshake above says otherwise.
    if !walk.connect_phase {
        walk.send_phase = true;
    }
    #[cfg(feature = "hyper")]
    if error.is_parse_too_large() {
        return Step::Decided(UpstreamErrorKind::HttpResponseHeaderSectionSize);
    }
    if error.is_parse() {
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
