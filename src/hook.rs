//! [`OnUpstreamError`]: a callback for every failure, e.g. for metrics.

use crate::{FailedRequest, UpstreamError};

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
/// use tower_gateway_error::{FailedRequest, GatewayErrorLayer, UpstreamError};
///
/// let timeouts = Arc::new(AtomicU64::new(0));
/// let counter = timeouts.clone();
/// let layer = GatewayErrorLayer::builder()
///     .on_error(move |error: &UpstreamError, _request: &FailedRequest| {
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
    fn on_upstream_error(&self, error: &UpstreamError, request: &FailedRequest);
}

impl<F> OnUpstreamError for F
where
    F: Fn(&UpstreamError, &FailedRequest) + Send + Sync + 'static,
{
    fn on_upstream_error(&self, error: &UpstreamError, request: &FailedRequest) {
        self(error, request)
    }
}
