//! `UpstreamError::classify` and the `From` conversions, so `?` works on an
//! upstream call in code that returns `Result<_, UpstreamError>` (an axum
//! handler, with the `axum` feature). Each classifies with the default
//! rules and keeps the error as the cause.

use super::Classifier;
use crate::error::UpstreamError;
use crate::BoxError;

impl UpstreamError {
    /// Classifies `error` with the default rules, keeping it as the cause
    /// (see [`UpstreamErrorKind::of`](crate::UpstreamErrorKind::of) for its
    /// kind alone).
    ///
    /// An `error` that already is an `UpstreamError` is returned as it is.
    pub fn classify(error: impl Into<BoxError>) -> Self {
        Classifier::defaults().upstream_error(error.into())
    }
}

/// `From<$error> for UpstreamError` through [`UpstreamError::classify`],
/// behind the feature that brings the error's library.
macro_rules! classified {
    ($($(#[$attr:meta])* $error:ty;)*) => {$(
        $(#[$attr])*
        impl From<$error> for UpstreamError {
            fn from(error: $error) -> Self {
                Self::classify(error)
            }
        }
    )*};
}

classified! {
    /// Classified with the default rules, so `?` works on an upstream call
    /// in code that returns `Result<_, UpstreamError>` (an axum handler,
    /// with the `axum` feature).
    std::io::Error;
    /// Classified with the default rules, so `?` works; see the `io::Error` impl.
    #[cfg(feature = "hyper")]
    ::hyper::Error;
    /// Classified with the default rules, so `?` works on a hyper-util
    /// `Client` call; see the `io::Error` impl.
    #[cfg(feature = "hyper")]
    hyper_util::client::legacy::Error;
    /// Classified with the default rules, so `?` works on a reqwest 0.12
    /// call; see the `io::Error` impl.
    #[cfg(feature = "reqwest-0-12")]
    reqwest_0_12::Error;
    /// Classified with the default rules, so `?` works on a reqwest 0.13
    /// call; see the `io::Error` impl.
    #[cfg(feature = "reqwest-0-13")]
    reqwest_0_13::Error;
    /// Classified with the default rules, so `?` works on a call that fails
    /// with pingora's `Box<Error>`; see the `io::Error` impl.
    #[cfg(feature = "pingora")]
    pingora_error::BError;
    /// Classified with the default rules, so `?` works on a call through
    /// reqwest-middleware 0.4 (reqwest's error inside, or a middleware's);
    /// see the `io::Error` impl.
    #[cfg(feature = "reqwest-middleware-0-4")]
    reqwest_middleware_0_4::Error;
    /// The same for reqwest-middleware 0.5; see the `io::Error` impl.
    #[cfg(feature = "reqwest-middleware-0-5")]
    reqwest_middleware_0_5::Error;
    /// Classified as a response timeout, so `?` works on a call under
    /// tower's `Timeout`; see the `io::Error` impl.
    ::tower::timeout::error::Elapsed;
}
