//! Rules for axum-reverse-proxy's failures
//! ([`ReverseProxyFailure`](crate::recognize::ReverseProxyFailure)), which
//! keep hyper-util's error only as text.
//!
//! This is the second place the crate reads text, because the proxy kept
//! nothing else: the error's type and predicates are gone, `is_connect`
//! and the message remain. The phrases read are fixed strings of the
//! crates underneath (hyper-util's connect stages, hyper's parse errors,
//! rustls's certificate errors, tokio's timer, and the proxy's own
//! timeout), not words a server sent; an operating system's error number
//! is not read here but rebuilt as an `io::Error` below this level, so the
//! `io::ErrorKind` rules decide it. A message none of them matches is
//! `proxy_internal_error` with the connect phase's retry safety: never
//! blamed on the upstream.

use std::error::Error;

use super::{Step, Walk};
use crate::recognize::ReverseProxyFailure;
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    let Some(failure) = level.downcast_ref::<ReverseProxyFailure>() else {
        return Step::Continue;
    };
    let message = failure.message();
    let has = |phrase: &str| message.contains(phrase);
    // Its own `upstream_timeout`, which runs from sending until the head:
    // `is_connect` is false even when the connect was what stalled.
    if message.starts_with("upstream response headers timed out") {
        return Step::Decided(UpstreamErrorKind::HttpResponseTimeout);
    }
    if message.starts_with("Invalid upstream WebSocket upgrade") {
        return Step::Decided(UpstreamErrorKind::HttpUpgradeFailed);
    }
    if failure.is_connect() {
        walk.connect_phase = true;
        if has(": dns error") {
            walk.dns_phase = true;
            return Step::Fallback(UpstreamErrorKind::DnsError);
        }
        if let Some(kind) = phrase_kind(message, WHILE_CONNECTING) {
            return Step::Decided(kind);
        }
        // An error number below decides; anything else failed while
        // connecting, which a TLS handshake is part of.
        return Step::Fallback(if has("peer is incompatible") || has("peer misbehaved") {
            UpstreamErrorKind::TlsProtocolError
        } else {
            UpstreamErrorKind::Unclassified
        });
    }
    // The request may have gone: a lost route below is a terminated
    // connection, never the retry-safe "unroutable" of a connect.
    walk.send_phase = true;
    match phrase_kind(message, ON_AN_OPEN_CONNECTION) {
        Some(kind) => Step::Decided(kind),
        None => Step::Continue,
    }
}

/// The phrases that decide a failure while connecting.
const WHILE_CONNECTING: &[(&str, UpstreamErrorKind)] = &[
    (
        "invalid peer certificate",
        UpstreamErrorKind::TlsCertificateError,
    ),
    (
        "no certificates presented",
        UpstreamErrorKind::TlsCertificateError,
    ),
    ("received fatal alert", UpstreamErrorKind::TlsAlertReceived),
    // hyper-util's connect timeout is tokio's `Elapsed`.
    ("deadline has elapsed", UpstreamErrorKind::ConnectionTimeout),
];

/// The phrases that decide a failure once the connection was open.
const ON_AN_OPEN_CONNECTION: &[(&str, UpstreamErrorKind)] = &[
    // The client's side, not the upstream's: its body failed (it stopped
    // mid-upload), or was over the proxy's limit.
    (
        "error from user's Body stream",
        UpstreamErrorKind::HttpRequestError,
    ),
    ("length limit exceeded", UpstreamErrorKind::HttpRequestError),
    // hyper's errors on an open connection.
    (
        "connection closed before message completed",
        UpstreamErrorKind::ConnectionTerminated,
    ),
    (
        "message head is too large",
        UpstreamErrorKind::HttpResponseHeaderSectionSize,
    ),
    // "invalid HTTP version parsed", "invalid HTTP header parsed", …
    ("parsed", UpstreamErrorKind::HttpProtocolError),
    ("invalid URI", UpstreamErrorKind::HttpProtocolError),
];

/// The kind of the first phrase of `table` that `message` contains.
fn phrase_kind(message: &str, table: &[(&str, UpstreamErrorKind)]) -> Option<UpstreamErrorKind> {
    table
        .iter()
        .find(|(phrase, _)| message.contains(phrase))
        .map(|&(_, kind)| kind)
}
