//! Rules for `h2::Error`, which HTTP/2 failures reach through `hyper::Error`.

use std::error::Error;

use h2::Reason;

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    let Some(error) = level.downcast_ref::<h2::Error>() else {
        return Step::Continue;
    };
    // h2 runs on an open connection.
    if !walk.connect_phase {
        walk.send_phase = true;
    }
    if error.is_io() {
        // The chain walk goes on into `get_io()`.
        return Step::Continue;
    }
    let Some(reason) = error.reason() else {
        return Step::Continue;
    };

    // RFC 9113 §8.7: a stream refused with REFUSED_STREAM, or one above the
    // last stream id of a graceful GOAWAY, was never processed.
    if error.is_remote()
        && (reason == Reason::REFUSED_STREAM || (error.is_go_away() && reason == Reason::NO_ERROR))
    {
        walk.request_not_sent = true;
        return Step::Decided(if reason == Reason::REFUSED_STREAM {
            UpstreamErrorKind::ConnectionRefused
        } else {
            UpstreamErrorKind::ConnectionTerminated
        });
    }

    let kind = if reason == Reason::PROTOCOL_ERROR
        || reason == Reason::FRAME_SIZE_ERROR
        || reason == Reason::COMPRESSION_ERROR
        || reason == Reason::FLOW_CONTROL_ERROR
        || reason == Reason::STREAM_CLOSED
        || reason == Reason::SETTINGS_TIMEOUT
        || reason == Reason::HTTP_1_1_REQUIRED
    {
        UpstreamErrorKind::HttpProtocolError
    } else {
        // NO_ERROR resets, CANCEL, INTERNAL_ERROR, ENHANCE_YOUR_CALM,
        // CONNECT_ERROR, INADEQUATE_SECURITY: the stream ended without a
        // response.
        UpstreamErrorKind::ConnectionTerminated
    };
    Step::Decided(kind)
}
