//! Seeing every failure: the `tracing` event, the `metrics` counter, and
//! [`OnUpstreamError`], a callback of your own, which is given the error,
//! the status it was answered with, and [`CapturedRequest`], what the
//! layer kept of the request that failed.
//!
//! # The log event
//!
//! With feature `tracing` (on by default), each failure is one event with
//! target `tower_gateway_error`, at level `WARN` (`DEBUG` for
//! `connection_limit_reached`, which is load shedding working as designed
//! and can come in floods), message `upstream call failed`, and these
//! fields, named as OpenTelemetry's semantic conventions name them where
//! they have a name:
//!
//! | field | value |
//! |---|---|
//! | `error.type` | the kind's token, one of the short list in [`UpstreamErrorKind::as_str`](crate::UpstreamErrorKind::as_str), e.g. `connection_refused` |
//! | `http.response.status_code` | the status the failure was answered with (the mapped one for gRPC calls, which get an HTTP 200) |
//! | `http.request.method` | the request's method |
//! | `url.path` | its path, unless [`log_path(false)`](crate::GatewayErrorLayerBuilder::log_path) |
//! | `request_id` | its request id (the header bodies show), when it has one, so the id a visitor quotes from the page finds this line |
//! | `retry_safe` | whether the request surely never reached the upstream |
//! | `error.message` | the full error chain, which clients never see |
//!
//! Like any `tracing` event, it is only seen where a subscriber is
//! installed (`tracing_subscriber::fmt().init()`, say); the path is only
//! kept from each request while one would record it.
//!
//! # The counter
//!
//! With feature `metrics`, each failure adds one to the counter named
//! [`FAILURES_METRIC`] (`gateway_upstream_failures_total`) through the
//! [`metrics`](https://docs.rs/metrics) facade, with labels `error.type`
//! (as above), `http.response.status_code` (the status the answer has,
//! or for a gRPC call, which gets HTTP 200, the status its kind maps to)
//! and `proxy` (the layer's
//! [`proxy_name`](crate::GatewayErrorLayerBuilder::proxy_name), which
//! tells two layers in one process apart). Install any recorder (a
//! Prometheus exporter, say; it turns the dots into `_`): the layer does
//! not, and without one the count costs nothing. `examples/metrics.rs`
//! shows it.
//!
//! A body that breaks after the upstream's head was sent is counted with
//! `error.type="http_response_incomplete"` under the status of that head,
//! usually 200: the status the client got, which the layer could not
//! change any more. Building a layer describes the counter to the
//! recorder installed then (Prometheus's `# HELP` line); one installed
//! later gets the description from [`describe_failures_metric`].

use std::fmt;
use std::sync::Arc;

use http::StatusCode;

use crate::request::CapturedRequest;
use crate::UpstreamError;

/// The name of the counter of failures (feature `metrics`).
pub const FAILURES_METRIC: &str = "gateway_upstream_failures_total";

/// Describes [`FAILURES_METRIC`] to the installed `metrics` recorder: its
/// unit and what it counts (Prometheus's `# HELP`). Building a layer does
/// this; call it yourself when the recorder is installed after the layer
/// is built.
#[cfg(feature = "metrics")]
pub fn describe_failures_metric() {
    metrics::describe_counter!(
        FAILURES_METRIC,
        metrics::Unit::Count,
        "Upstream calls the gateway answered as failures, by Proxy-Status error type, \
         the status sent (a body broken after its head: that head's status) and the proxy"
    );
}

/// Called once for every failure: for each error response the layer writes,
/// just before it is returned, and for each upstream body that breaks after
/// its head was already sent (kind
/// [`HttpResponseIncomplete`](crate::UpstreamErrorKind::HttpResponseIncomplete),
/// when the response keeps the upstream's status). Install it with
/// [`GatewayErrorLayerBuilder::on_error`](crate::GatewayErrorLayerBuilder::on_error).
///
/// `status` is the status the failure was answered with, after
/// [`status_for`](crate::GatewayErrorLayerBuilder::status_for): the mapped
/// one for gRPC calls (which get an HTTP 200 with `grpc-status`), the
/// upstream's for a body that broke.
///
/// It runs on the request's task, so it should be quick (count, don't
/// block). Closures of the right shape are hooks:
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use http::StatusCode;
/// use tower_gateway_error::CapturedRequest;
/// use tower_gateway_error::{GatewayErrorLayer, UpstreamError};
///
/// let timeouts = Arc::new(AtomicU64::new(0));
/// let counter = timeouts.clone();
/// let layer = GatewayErrorLayer::builder()
///     .on_error(move |error: &UpstreamError, status: StatusCode, _request: &CapturedRequest| {
///         if error.is_timeout() && status == StatusCode::GATEWAY_TIMEOUT {
///             counter.fetch_add(1, Ordering::Relaxed);
///         }
///     })
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
pub trait OnUpstreamError: Send + Sync + 'static {
    /// Observes one failure, answered with `status`.
    fn on_upstream_error(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
    );
}

impl<F> OnUpstreamError for F
where
    F: Fn(&UpstreamError, StatusCode, &CapturedRequest) + Send + Sync + 'static,
{
    fn on_upstream_error(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
    ) {
        self(error, status, request)
    }
}

/// The hook the user installed, shared by every layer built from the same
/// settings.
#[derive(Clone)]
pub(crate) struct Hook(Arc<dyn OnUpstreamError>);

impl Hook {
    pub(crate) fn new(hook: impl OnUpstreamError) -> Self {
        Self(Arc::new(hook))
    }

    pub(crate) fn call(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
    ) {
        self.0.on_upstream_error(error, status, request);
    }
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnUpstreamError(..)")
    }
}
