//! Rules for `std::io::Error`, the common ground under every library.

use std::error::Error;
use std::io::{self, ErrorKind};

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static), walk: &Walk) -> Step {
    let Some(error) = level.downcast_ref::<io::Error>() else {
        return Step::Continue;
    };
    match error.kind() {
        ErrorKind::ConnectionRefused => Step::Decided(UpstreamErrorKind::ConnectionRefused),
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe
        | ErrorKind::NotConnected
        | ErrorKind::UnexpectedEof => Step::Decided(UpstreamErrorKind::ConnectionTerminated),
        ErrorKind::TimedOut if walk.connect_phase => {
            Step::Decided(UpstreamErrorKind::ConnectionTimeout)
        }
        ErrorKind::TimedOut => Step::Decided(UpstreamErrorKind::ConnectionReadTimeout),
        // On a connection that was already open, losing the route ends it.
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::NetworkDown
            if walk.send_phase =>
        {
            Step::Decided(UpstreamErrorKind::ConnectionTerminated)
        }
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::NetworkDown => {
            Step::Decided(UpstreamErrorKind::DestinationIpUnroutable)
        }
        // Other kinds (InvalidData, Other, …) usually wrap a payload that
        // says more, such as a rustls error; the walk goes on into it.
        _ => Step::Continue,
    }
}
