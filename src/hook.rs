//! Seeing every failure: [`OnUpstreamError`], a callback for metrics, and
//! [`CapturedRequest`], what the layer kept of the request that failed.
//!
//! The layer also emits a `tracing` event for each failure (feature
//! `tracing`, on by default), with the kind, status, method and full error
//! chain; like any `tracing` event, it is only seen where a subscriber is
//! installed (`tracing_subscriber::fmt().init()`, say).

pub use crate::request::CapturedRequest;
use crate::UpstreamError;

/// Called once for every failure: for each error response the layer writes,
/// just before it is returned, and for each upstream body that breaks after
/// its head was already sent (kind
/// [`HttpResponseIncomplete`](crate::UpstreamErrorKind::HttpResponseIncomplete),
/// when the response keeps the upstream's status). Install it with
/// [`GatewayErrorLayerBuilder::on_error`](crate::GatewayErrorLayerBuilder::on_error).
///
/// It runs on the request's task, so it should be quick (count, don't
/// block). Closures of the right shape are hooks:
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use tower_gateway_error::hook::CapturedRequest;
/// use tower_gateway_error::{GatewayErrorLayer, UpstreamError};
///
/// let timeouts = Arc::new(AtomicU64::new(0));
/// let counter = timeouts.clone();
/// let layer = GatewayErrorLayer::builder()
///     .on_error(move |error: &UpstreamError, _request: &CapturedRequest| {
///         if error.is_timeout() {
///             counter.fetch_add(1, Ordering::Relaxed);
///         }
///     })
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
pub trait OnUpstreamError: Send + Sync + 'static {
    /// Observes one failure.
    fn on_upstream_error(&self, error: &UpstreamError, request: &CapturedRequest);
}

impl<F> OnUpstreamError for F
where
    F: Fn(&UpstreamError, &CapturedRequest) + Send + Sync + 'static,
{
    fn on_upstream_error(&self, error: &UpstreamError, request: &CapturedRequest) {
        self(error, request)
    }
}
