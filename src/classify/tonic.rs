//! Rules for the errors of a tonic `Channel`: `TimeoutExpired` from
//! `Endpoint::timeout` (or a `grpc-timeout`), and `ConnectError`, which
//! wraps every failure of its connector (TCP, DNS through hyper-util's
//! `HttpConnector`, TLS, `Endpoint::connect_timeout`).
//!
//! One connect failure escapes `ConnectError`: with a connector of your own
//! (`Endpoint::connect_with_connector`), tonic applies `connect_timeout`
//! outside it, with hyper-timeout, whose timeout is an `io::Error` of kind
//! `TimedOut` carrying tokio's `Elapsed`. Nothing else a channel returns
//! has that shape right under its `transport::Error`: read and write
//! timeouts of a stream carry no payload, and OS timeouts carry an errno.
//! So there, and only there, that shape is a connect timeout.

use std::error::Error;
use std::io;

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(
    level: &(dyn Error + 'static),
    walk: &mut Walk,
    parent_was_transport: bool,
) -> Step {
    if level.is::<tonic::TimeoutExpired>() {
        return Step::Decided(UpstreamErrorKind::HttpResponseTimeout);
    }
    if level.is::<tonic::transport::Error>() {
        walk.parent_was_tonic_transport = true;
        return Step::Continue;
    }
    if let Some(error) = level.downcast_ref::<io::Error>() {
        if parent_was_transport
            && error.kind() == io::ErrorKind::TimedOut
            && error
                .get_ref()
                .is_some_and(|payload| payload.is::<tokio::time::error::Elapsed>())
        {
            walk.connect_phase = true;
            return Step::Decided(UpstreamErrorKind::ConnectionTimeout);
        }
        return Step::Continue;
    }
    if level.is::<tonic::ConnectError>() {
        // The cause decides the kind (refused, io `TimedOut` for a connect
        // timeout, a rustls error, ...); no byte of the request was sent.
        walk.connect_phase = true;
        walk.parent_was_connect = true;
    }
    Step::Continue
}
