//! The log lines of the fast path's changes of state: one each (ejected,
//! a probe failed, answered again), however many requests are refused
//! meanwhile. Each refusal still reaches the hook and the metrics, and is
//! logged at debug (`report.rs`).

use std::time::Duration;

#[cfg(feature = "tracing")]
pub(super) fn ejected(failures: u32, duration: Duration) {
    tracing::warn!(
        target: "tower_gateway_error",
        failures,
        eject_for_ms = duration.as_millis() as u64,
        "upstream ejected after consecutive failures to reach it"
    );
}

#[cfg(feature = "tracing")]
pub(super) fn probe_failed(duration: Duration) {
    tracing::warn!(
        target: "tower_gateway_error",
        eject_for_ms = duration.as_millis() as u64,
        "upstream probe failed; ejected again"
    );
}

#[cfg(feature = "tracing")]
pub(super) fn recovered() {
    tracing::info!(target: "tower_gateway_error", "upstream answered again; no longer ejected");
}

#[cfg(not(feature = "tracing"))]
pub(super) fn ejected(_: u32, _: Duration) {}

#[cfg(not(feature = "tracing"))]
pub(super) fn probe_failed(_: Duration) {}

#[cfg(not(feature = "tracing"))]
pub(super) fn recovered() {}
