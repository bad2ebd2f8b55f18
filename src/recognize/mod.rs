//! Answers a proxy made up for its own failure: recognising them, so the
//! layer answers them as the failures they stand for.
//!
//! Some proxies never fail as a tower `Service`: when they cannot forward
//! a request they answer it themselves, with a bare `502 Bad Gateway` or
//! `504 Gateway Timeout` (axum-reverse-proxy does, with `Error =
//! Infallible`). To the layer such an answer looks like the upstream's,
//! and an upstream's answer passes through untouched. A [`RecognizeRule`]
//! tells the two apart, by a mark the proxy leaves on its own answers (an
//! extension, usually), and gives the error the answer stands for. The
//! layer then treats the call as failed with that error: it is classified
//! (your [`ClassifyRule`](crate::classify::ClassifyRule)s and the default
//! rules, which know the errors of the recognised proxies), reported to
//! the hook, the log and the metrics, counted by the dead-upstream fast
//! path, and answered with the layer's page and `Proxy-Status`, never
//! `received-status`. `RetryPolicy` ([`retry`](crate::retry)) retries
//! such an answer as it would the error.
//!
//! Rules live in a [`Classifier`](crate::Classifier), beside the
//! classification rules, so the layer and the retry policy share them:
//! [`Classifier::recognize`](crate::Classifier::recognize). With the
//! `axum-reverse-proxy` feature the default rules recognise that crate's
//! answers (`ReverseProxyFailure`); nothing else is needed.
//!
//! ```
//! use http::StatusCode;
//! use tower_gateway_error::recognize::ResponseHead;
//! use tower_gateway_error::{BoxError, Classifier, UpstreamErrorKind};
//!
//! /// What our own proxy puts in the extensions of an answer it made up.
//! #[derive(Clone, Debug)]
//! struct CouldNotConnect;
//!
//! let classifier = Classifier::new().recognize(|head: ResponseHead<'_>| {
//!     head.extensions.get::<CouldNotConnect>().map(|_| {
//!         BoxError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
//!     })
//! });
//!
//! let mut made_up = http::Response::new(());
//! *made_up.status_mut() = StatusCode::BAD_GATEWAY;
//! made_up.extensions_mut().insert(CouldNotConnect);
//! let error = classifier.recognize_response(&made_up).unwrap();
//! assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
//!
//! // The upstream's own 502 is its answer, and passes through.
//! let mut upstreams = http::Response::new(());
//! *upstreams.status_mut() = StatusCode::BAD_GATEWAY;
//! assert!(classifier.recognize_response(&upstreams).is_none());
//! ```

#[cfg(feature = "axum-reverse-proxy")]
mod axum_reverse_proxy;

use std::sync::Arc;

use http::{Extensions, HeaderMap, Response, StatusCode};

#[cfg(feature = "axum-reverse-proxy")]
pub use self::axum_reverse_proxy::ReverseProxyFailure;
use crate::BoxError;

/// The head of a response, as a [`RecognizeRule`] sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ResponseHead<'a> {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The extensions, where a proxy usually marks an answer it made up.
    pub extensions: &'a Extensions,
}

impl<'a> ResponseHead<'a> {
    /// The head of `response`.
    pub fn of<B>(response: &'a Response<B>) -> Self {
        Self {
            status: response.status(),
            headers: response.headers(),
            extensions: response.extensions(),
        }
    }

    pub(crate) fn of_parts(head: &'a http::response::Parts) -> Self {
        Self {
            status: head.status,
            headers: &head.headers,
            extensions: &head.extensions,
        }
    }
}

/// A rule that recognises an answer a proxy made up for its own failure,
/// for [`Classifier::recognize`](crate::Classifier::recognize).
///
/// It returns the error the answer stands for, which is then classified
/// like any error the inner service returns (so it may be of a type your
/// own [`ClassifyRule`](crate::classify::ClassifyRule) knows), or `None`
/// for an answer that is the upstream's. Rules run on every response, so
/// a rule should decide by something cheap (an extension) and build the
/// error only when it recognises one. Closures of the right shape are
/// rules; see the [module docs](self).
pub trait RecognizeRule: Send + Sync + 'static {
    /// The error `head` stands for, if a proxy made it up.
    fn failure(&self, head: ResponseHead<'_>) -> Option<BoxError>;
}

impl<F> RecognizeRule for F
where
    F: Fn(ResponseHead<'_>) -> Option<BoxError> + Send + Sync + 'static,
{
    fn failure(&self, head: ResponseHead<'_>) -> Option<BoxError> {
        self(head)
    }
}

/// Your recognition rules, then (unless the default rules are off) the
/// ones of the proxy features.
#[derive(Clone, Default)]
pub(crate) struct Recognizer {
    rules: Option<Arc<[Arc<dyn RecognizeRule>]>>,
}

impl Recognizer {
    pub(crate) fn rule(&self, rule: impl RecognizeRule) -> Self {
        let mut rules = self.rules.as_deref().map(<[_]>::to_vec).unwrap_or_default();
        rules.push(Arc::new(rule));
        Self {
            rules: Some(rules.into()),
        }
    }

    /// Whether any rule may recognise an answer: yours, or the default
    /// ones when `default_rules` and a proxy feature brings one.
    pub(crate) fn has_rules(&self, default_rules: bool) -> bool {
        self.rules.is_some() || (default_rules && cfg!(feature = "axum-reverse-proxy"))
    }

    pub(crate) fn len(&self) -> usize {
        self.rules.as_deref().map_or(0, <[_]>::len)
    }

    /// The error `head` stands for, by your rules, then the default ones
    /// when `default_rules`.
    #[inline]
    pub(crate) fn failure(&self, head: ResponseHead<'_>, default_rules: bool) -> Option<BoxError> {
        if let Some(rules) = &self.rules {
            if let Some(error) = rules.iter().find_map(|rule| rule.failure(head)) {
                return Some(error);
            }
        }
        if default_rules {
            return default_failure(head);
        }
        None
    }
}

#[cfg(feature = "axum-reverse-proxy")]
use self::axum_reverse_proxy::failure as default_failure;

#[cfg(not(feature = "axum-reverse-proxy"))]
#[inline(always)]
fn default_failure(_: ResponseHead<'_>) -> Option<BoxError> {
    None
}
