//! Telling the log and the hook about a failure, once, whether it became an
//! error response or broke an upstream body already on its way.

use std::fmt;
use std::sync::Arc;

use http::StatusCode;

use crate::hook::OnUpstreamError;
use crate::request::CapturedRequest;
use crate::UpstreamError;

/// The hook, if any, and (feature `tracing`) the log event.
#[derive(Clone, Default)]
pub(crate) struct Reporter {
    hook: Option<Arc<dyn OnUpstreamError>>,
}

impl Reporter {
    pub(crate) fn new(hook: Option<Arc<dyn OnUpstreamError>>) -> Self {
        Self { hook }
    }

    /// Tells the log and the hook about `error`, answered with `status`.
    pub(crate) fn report(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
    ) {
        #[cfg(feature = "tracing")]
        log_failure(error, status, request);
        #[cfg(not(feature = "tracing"))]
        let _ = status;
        if let Some(hook) = &self.hook {
            hook.on_upstream_error(error, request);
        }
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("hook", &self.hook.as_ref().map(|_| ".."))
            .finish()
    }
}

/// One event per failure, with the full chain that clients never see.
/// Load shedding is the gateway working as designed and can come in floods,
/// so it is logged at debug rather than warn.
#[cfg(feature = "tracing")]
fn log_failure(error: &UpstreamError, status: StatusCode, request: &CapturedRequest) {
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                $level,
                kind = error.kind().as_str(),
                status = status.as_u16(),
                retry_safe = error.is_retry_safe(),
                method = %request.method(),
                error = %error.display_chain(),
                "upstream call failed",
            )
        };
    }
    if error.kind() == crate::UpstreamErrorKind::ConnectionLimitReached {
        event!(tracing::Level::DEBUG);
    } else {
        event!(tracing::Level::WARN);
    }
}
