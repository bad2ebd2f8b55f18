//! The status each kind is answered with: RFC 9209's recommendation unless
//! the user set another.

use http::StatusCode;

use crate::error::PerKind;
use crate::{ConfigError, UpstreamErrorKind};

#[derive(Debug, Clone)]
pub(crate) struct Statuses(PerKind<StatusCode>);

impl Statuses {
    /// The recommended statuses with `overrides` applied; only 4xx and 5xx
    /// are accepted.
    pub(crate) fn compile(
        overrides: Vec<(UpstreamErrorKind, StatusCode)>,
    ) -> Result<Self, ConfigError> {
        let mut statuses = PerKind::from_fn(UpstreamErrorKind::default_status);
        for (kind, status) in overrides {
            if !(status.is_client_error() || status.is_server_error()) {
                return Err(ConfigError::NotAnErrorStatus { kind, status });
            }
            statuses[kind] = status;
        }
        Ok(Self(statuses))
    }

    pub(crate) fn get(&self, kind: UpstreamErrorKind) -> StatusCode {
        self.0[kind]
    }
}
