//! Telling the log, the metrics and the hook about a failure, once,
//! whether it became an error response or broke an upstream body already
//! on its way.

use http::StatusCode;

use crate::hook::Hook;
use crate::request::CapturedRequest;
use crate::UpstreamError;

/// The builder's settings for reporting failures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// The user's hook, if any.
    pub(crate) hook: Option<Hook>,
    /// Whether the log event carries the request's path (on unless set).
    pub(crate) log_path: Option<bool>,
}

/// The hook, if any, the log event (feature `tracing`) and the counter
/// (feature `metrics`).
#[derive(Debug, Clone)]
pub(crate) struct Reporter {
    hook: Option<Hook>,
    /// Whether the log event carries the request's path.
    #[cfg(feature = "tracing")]
    log_path: bool,
    /// Each kind's counter key for the status it is answered with, made
    /// once so that counting a failure allocates nothing.
    #[cfg(feature = "metrics")]
    keys: crate::error::PerKind<(StatusCode, metrics::Key)>,
    /// The gateway's name, for a key of a status other than the usual.
    #[cfg(feature = "metrics")]
    proxy: std::sync::Arc<str>,
}

impl Reporter {
    /// Reports as `settings` say; each kind is answered with `status(kind)`
    /// (a body that breaks keeps the upstream's), by the gateway named
    /// `proxy`.
    pub(crate) fn compile(
        settings: Settings,
        status: impl Fn(crate::UpstreamErrorKind) -> StatusCode,
        proxy: &str,
    ) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = (status, proxy);
        #[cfg(feature = "metrics")]
        crate::hook::describe_failures_metric();
        Self {
            #[cfg(feature = "tracing")]
            log_path: settings.log_path(),
            hook: settings.hook,
            #[cfg(feature = "metrics")]
            keys: crate::error::PerKind::from_fn(|kind| {
                let status = status(kind);
                (status, failure_key(kind, status, proxy))
            }),
            #[cfg(feature = "metrics")]
            proxy: proxy.into(),
        }
    }

    /// Tells the log, the metrics and the hook about `error`, answered
    /// with `status`; `refused_while_ejected` when the request was refused
    /// because its upstream is ejected (the lifecycle knows, not the error).
    pub(crate) fn report(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
        refused_while_ejected: bool,
    ) {
        #[cfg(feature = "tracing")]
        log_failure(error, status, request, self.log_path, refused_while_ejected);
        #[cfg(not(feature = "tracing"))]
        let _ = refused_while_ejected;
        #[cfg(feature = "metrics")]
        self.count_failure(error, status);
        if let Some(hook) = &self.hook {
            hook.call(error, status, request);
        }
    }
}

impl Settings {
    /// Whether the log event carries the request's path.
    pub(crate) fn log_path(&self) -> bool {
        self.log_path.unwrap_or(true)
    }
}

/// One event per failure, with the full chain that clients never see,
/// named as OpenTelemetry's conventions name them. Load shedding and
/// refusals while an upstream is ejected are the gateway working as
/// designed and can come in floods, so they are logged at debug rather
/// than warn.
#[cfg(feature = "tracing")]
fn log_failure(
    error: &UpstreamError,
    status: StatusCode,
    request: &CapturedRequest,
    path: bool,
    refused_while_ejected: bool,
) {
    let request_id = request.request_id().and_then(|id| id.to_str().ok());
    let path = path.then(|| request.kept_path()).flatten();
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                target: "tower_gateway_error",
                $level,
                error.type = error.kind().as_str(),
                http.response.status_code = status.as_u16(),
                http.request.method = request.method().as_str(),
                url.path = path,
                request_id = request_id,
                retry_safe = error.is_retry_safe(),
                error.message = %error.display_chain(),
                "upstream call failed",
            )
        };
    }
    // A request refused while its upstream is ejected: one per request,
    // so a flood exactly when the log matters; the fast path logs its
    // changes of state once each instead (`eject/report.rs`).
    if error.kind() == crate::UpstreamErrorKind::ConnectionLimitReached || refused_while_ejected {
        event!(tracing::Level::DEBUG);
    } else {
        event!(tracing::Level::WARN);
    }
}

#[cfg(feature = "metrics")]
impl Reporter {
    /// Adds one to `gateway_upstream_failures_total` for `error`'s kind and
    /// `status`.
    fn count_failure(&self, error: &UpstreamError, status: StatusCode) {
        static METADATA: metrics::Metadata<'static> =
            metrics::Metadata::new("tower_gateway_error", metrics::Level::INFO, None);
        let (usual, key) = &self.keys[error.kind()];
        let other;
        let key = if *usual == status {
            key
        } else {
            other = failure_key(error.kind(), status, &self.proxy);
            &other
        };
        metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(1));
    }
}

/// The counter's key for failures of `kind` answered with `status` by the
/// gateway named `proxy`.
#[cfg(feature = "metrics")]
fn failure_key(kind: crate::UpstreamErrorKind, status: StatusCode, proxy: &str) -> metrics::Key {
    metrics::Key::from_parts(
        crate::hook::FAILURES_METRIC,
        vec![
            metrics::Label::new("error.type", kind.as_str()),
            metrics::Label::new("http.response.status_code", status.as_str().to_owned()),
            metrics::Label::new("proxy", proxy.to_owned()),
        ],
    )
}
