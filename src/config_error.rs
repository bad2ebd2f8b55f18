//! [`ConfigError`]: settings the layer cannot work with, reported by
//! [`GatewayErrorLayerBuilder::build`](crate::GatewayErrorLayerBuilder::build).

use http::{HeaderName, StatusCode};

use crate::render::{BodyFormat, TemplateError, TranslationError};
use crate::UpstreamErrorKind;

/// Why the layer could not be built. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A status set for a kind is not 4xx or 5xx.
    #[error(
        "status {status} for `{kind}` is not an error status; use a 4xx or 5xx code such as 502"
    )]
    NotAnErrorStatus {
        /// The kind the status was set for.
        kind: UpstreamErrorKind,
        /// The rejected status.
        status: StatusCode,
    },
    /// A status to intercept is not 4xx or 5xx.
    #[error("status {status} cannot be intercepted: only the upstream's error responses can, so use 4xx or 5xx codes such as 502, 503 and 504")]
    InterceptNotAnErrorStatus {
        /// The rejected status.
        status: StatusCode,
    },
    /// Retry backoff bounds tower's backoff cannot use.
    #[error("the retry backoff from {min:?} to {max:?} is invalid; the maximum must be positive and at least the minimum, such as 25ms to 1s")]
    InvalidRetryBackoff {
        /// The first wait.
        min: std::time::Duration,
        /// The longest wait.
        max: std::time::Duration,
    },
    /// A retry jitter outside 0 to 1.
    #[error("the retry jitter {jitter} is not a fraction; use a value from 0 to 1, such as 0.5")]
    InvalidRetryJitter {
        /// The rejected value, as given.
        jitter: String,
    },
    /// A `grpc-status` code that is not a gRPC error code.
    #[error("gRPC status {code} for `{kind}` is not an error code; use 1 to 16, such as 14 (UNAVAILABLE) or 4 (DEADLINE_EXCEEDED)")]
    InvalidGrpcStatus {
        /// The kind the code was set for.
        kind: UpstreamErrorKind,
        /// The rejected code.
        code: u8,
    },
    /// The proxy name is empty.
    #[error("the proxy name is empty; give the name this gateway should show in Proxy-Status, such as \"edge-1\"")]
    EmptyProxyName,
    /// A `next-hop` for `Proxy-Status` that is empty or not printable ASCII.
    #[error("the next hop {host:?} cannot be sent in Proxy-Status; give a host (and port) in printable ASCII, such as \"10.0.0.7:8080\"")]
    InvalidNextHop {
        /// The rejected value.
        host: String,
    },
    /// An upstream a forwarding adapter (such as
    /// `forward::reqwest_0_13::Forward`) cannot send to.
    #[error("the upstream {url:?} cannot be forwarded to; give a scheme (http or https), a host and optionally a port, and no path or query, such as \"http://127.0.0.1:8080\"")]
    InvalidUpstreamUrl {
        /// The rejected value.
        url: String,
    },
    /// A `next-protocol` for `Proxy-Status` that is not a token.
    #[error("the next protocol {protocol:?} is not a token; use an ALPN protocol id such as \"h2\" or \"http/1.1\"")]
    InvalidNextProtocol {
        /// The rejected value.
        protocol: String,
    },
    /// The proxy name has a character `Proxy-Status` cannot carry.
    #[error("the proxy name {name:?} contains {character:?}; use printable ASCII only")]
    InvalidProxyName {
        /// The rejected name.
        name: String,
        /// The first character that is not printable ASCII.
        character: char,
    },
    /// A `Retry-After` date an HTTP-date cannot carry.
    #[error("the Retry-After date is before 1970 or after the year 9999, which an HTTP-date cannot carry; use RetryAfter::seconds instead")]
    RetryAfterDateOutOfRange,
    /// A template is invalid. The message includes the template error, so
    /// it is not repeated as `source()`.
    #[error("the {format:?} template is invalid: {error}")]
    Template {
        /// Which template.
        format: BodyFormat,
        /// What is wrong with it.
        error: TemplateError,
    },
    /// An extra header the layer sets itself from its own settings, or one
    /// that would be wrong on its answers (hop-by-hop, or describing a
    /// representation).
    #[error("the extra header `{name}` cannot go on the layer's answers; remove it: {instead}")]
    ReservedHeader {
        /// The rejected header.
        name: HeaderName,
        /// What sets it instead.
        instead: &'static str,
    },
    /// A translation or language setting the pages cannot use. The message
    /// includes it, so it is not repeated as `source()`.
    #[error("{0}")]
    Translation(TranslationError),
    /// A support link that is not an absolute `http(s)` URL.
    #[error("the support URL {url:?} cannot be linked: {reason}; give an absolute http(s) URL such as \"https://status.example.com\"")]
    InvalidSupportUrl {
        /// The rejected URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Settings of the dead-upstream fast path that cannot work.
    #[error("the ejection settings cannot work: {reason}")]
    InvalidEjection {
        /// What is wrong, and what to use instead.
        reason: &'static str,
    },
}

impl From<TranslationError> for ConfigError {
    fn from(error: TranslationError) -> Self {
        Self::Translation(error)
    }
}
