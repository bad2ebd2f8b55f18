//! Rules for the errors tower's and tokio's middleware create themselves.

use std::error::Error;

use super::{Step, Walk};
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    // Under hyper-util's connect phase a timeout (hyper-util's own connect
    // timeout is a tokio one; a connector wrapped in tower's Timeout gives
    // tower's) means the connection never opened.
    if level.is::<tower::timeout::error::Elapsed>() || level.is::<tokio::time::error::Elapsed>() {
        return Step::Decided(if walk.connect_phase {
            UpstreamErrorKind::ConnectionTimeout
        } else {
            UpstreamErrorKind::HttpResponseTimeout
        });
    }
    if level.is::<tower::load_shed::error::Overloaded>() {
        walk.request_not_sent = true;
        return Step::Decided(UpstreamErrorKind::ConnectionLimitReached);
    }
    if level.is::<tower::buffer::error::Closed>() {
        walk.request_not_sent = true;
        return Step::Decided(UpstreamErrorKind::DestinationUnavailable);
    }
    Step::Continue
}
