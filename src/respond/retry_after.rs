//! `Retry-After` per kind, rendered when the layer is built.

use http::HeaderValue;

use crate::error::PerKind;
use crate::retry::RetryAfter;
use crate::{ConfigError, UpstreamErrorKind};

/// The `Retry-After` value each kind's answer carries, if any.
#[derive(Debug, Clone)]
pub(crate) struct RetryAfters(PerKind<Option<HeaderValue>>);

impl RetryAfters {
    /// `everywhere` for every kind, replaced by `per_kind` where given.
    pub(crate) fn compile(
        everywhere: Option<RetryAfter>,
        per_kind: Vec<(UpstreamErrorKind, RetryAfter)>,
    ) -> Result<Self, ConfigError> {
        let everywhere = everywhere.map(|r| r.header_value()).transpose()?;
        let mut values = PerKind::from_fn(|_| everywhere.clone());
        for (kind, value) in per_kind {
            values[kind] = Some(value.header_value()?);
        }
        Ok(Self(values))
    }

    pub(crate) fn get(&self, kind: UpstreamErrorKind) -> Option<&HeaderValue> {
        self.0[kind].as_ref()
    }
}
