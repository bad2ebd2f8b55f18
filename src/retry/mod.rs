//! Retrying: telling clients when they may try again ([`RetryAfter`]), and,
//! with the `retry` feature, retrying the upstream call itself when that
//! cannot do harm (`RetryPolicy`, for tower's `Retry`).

mod after;
#[cfg(feature = "retry")]
mod policy;

pub use self::after::RetryAfter;
#[cfg(feature = "retry")]
pub use self::policy::{AsUpstreamCause, RetryPolicy, RetryPolicyBuilder};
