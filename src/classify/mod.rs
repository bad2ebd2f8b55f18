//! Turning an arbitrary error into an [`UpstreamError`]: the default
//! rules ([`UpstreamErrorKind::of`], [`UpstreamError::classify`]); the
//! [`Classifier`], your [`ClassifyRule`]s before them, which the layer and
//! `RetryPolicy` share; and the types a hand-rolled client uses to say
//! which of its failures happened while connecting ([`ConnectError`],
//! [`connect_timeout`]).
//!
//! The default rules walk the whole cause chain
//! ([`error_chain`]) and decide by types and
//! predicates, never by message text — with two exceptions where the
//! library offers nothing else: hyper-util's connect errors (`connect.rs`)
//! and axum-reverse-proxy's `ProxyError`, which keeps only a message
//! (`axum_reverse_proxy.rs`). One file per library; the library-specific
//! rules sit behind the `hyper`, `h2`, `rustls`, `reqwest-0-12`,
//! `reqwest-0-13`, `reqwest-middleware-0-4`, `reqwest-middleware-0-5`,
//! `tonic`, `pingora` and `axum-reverse-proxy` features. When a
//! downcast fails (a feature is off, or the error came from another major
//! version of the library) the walk goes on and the `io::ErrorKind` rules
//! still decide.

#[cfg(feature = "axum-reverse-proxy")]
mod axum_reverse_proxy;
mod connect;
mod connect_error;
mod from;
#[cfg(feature = "h2")]
mod h2;
#[cfg(any(feature = "hyper", feature = "reqwest-0-12", feature = "reqwest-0-13"))]
mod hyper;
mod io;
#[cfg(feature = "pingora")]
mod pingora;
#[cfg(any(feature = "reqwest-0-12", feature = "reqwest-0-13"))]
mod reqwest;
#[cfg(feature = "rustls")]
mod rustls;
#[cfg(feature = "tonic")]
mod tonic;
mod tower;

use std::error::Error;
use std::fmt;
use std::sync::{Arc, OnceLock};

pub use self::connect_error::{connect_timeout, ConnectError, ConnectTimeout};
use http::Response;

use crate::error::{error_chain, UpstreamError, UpstreamErrorKind};
use crate::recognize::{RecognizeRule, Recognizer, ResponseHead};
use crate::BoxError;

/// A classification rule of your own, for a [`Classifier`]: it names the
/// kind of the errors it knows.
///
/// Rules are asked before the default ones, in the order they were added, with
/// the error as the inner service returned it; the first `Some` wins. Use
/// [`error_chain`] to look deeper. Closures of the
/// right shape are rules:
///
/// ```
/// use std::error::Error;
/// use tower_gateway_error::error::error_chain;
/// use tower_gateway_error::{Classifier, GatewayErrorLayer, UpstreamErrorKind};
///
/// #[derive(Debug)]
/// struct PoolExhausted;
/// impl std::fmt::Display for PoolExhausted {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("no free connection")
///     }
/// }
/// impl Error for PoolExhausted {}
///
/// let classifier = Classifier::new().rule(|error: &(dyn Error + 'static)| {
///     error_chain(error)
///         .any(|level| level.is::<PoolExhausted>())
///         .then_some(UpstreamErrorKind::ConnectionLimitReached)
/// });
/// let layer = GatewayErrorLayer::builder().classifier(classifier).build().unwrap();
/// # let _ = layer;
/// ```
pub trait ClassifyRule: Send + Sync + 'static {
    /// The kind of `error`, or `None` to leave it to the next rule.
    fn kind(&self, error: &(dyn Error + 'static)) -> Option<UpstreamErrorKind>;
}

impl<F> ClassifyRule for F
where
    F: Fn(&(dyn Error + 'static)) -> Option<UpstreamErrorKind> + Send + Sync + 'static,
{
    fn kind(&self, error: &(dyn Error + 'static)) -> Option<UpstreamErrorKind> {
        self(error)
    }
}

impl UpstreamErrorKind {
    /// The kind of `error` by the default rules, without any layer; the
    /// error stays where it is.
    ///
    /// This is the same decision the layer makes, for use in a hand-written
    /// proxy (or pingora, or a handler) that calls the upstream itself. For
    /// your own rules too, use a [`Classifier`]; to keep the error as the
    /// cause of an [`UpstreamError`], [`UpstreamError::classify`].
    ///
    /// ```
    /// use std::io;
    /// use tower_gateway_error::UpstreamErrorKind;
    ///
    /// let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    /// assert_eq!(UpstreamErrorKind::of(&reset), UpstreamErrorKind::ConnectionTerminated);
    /// ```
    pub fn of(error: &(dyn Error + 'static)) -> Self {
        Classifier::defaults().kind(error)
    }
}

/// Your classification rules, then (unless turned off) the default ones:
/// one value that the layer
/// ([`GatewayErrorLayerBuilder::classifier`](crate::GatewayErrorLayerBuilder::classifier)),
/// [`RetryPolicy`](crate::retry) and your own code share, so
/// they all judge an error the same way. Cloning it is cheap (one `Arc`).
///
/// ```
/// use std::io;
/// use tower_gateway_error::{Classifier, UpstreamErrorKind};
///
/// let classifier = Classifier::new().rule(|error: &(dyn std::error::Error + 'static)| {
///     error
///         .downcast_ref::<io::Error>()
///         .filter(|e| e.kind() == io::ErrorKind::PermissionDenied)
///         .map(|_| UpstreamErrorKind::DestinationUnavailable)
/// });
/// let denied = io::Error::from(io::ErrorKind::PermissionDenied);
/// assert_eq!(classifier.kind(&denied), UpstreamErrorKind::DestinationUnavailable);
/// let reset = io::Error::from(io::ErrorKind::ConnectionReset);
/// assert_eq!(classifier.kind(&reset), UpstreamErrorKind::ConnectionTerminated);
///
/// let error = classifier.classify(reset);
/// assert_eq!(error.kind(), UpstreamErrorKind::ConnectionTerminated);
/// assert!(!error.is_retry_safe());
/// ```
#[derive(Clone)]
pub struct Classifier {
    rules: Arc<[Arc<dyn ClassifyRule>]>,
    recognizer: Recognizer,
    default_rules: bool,
}

impl Classifier {
    /// The default rules alone.
    pub fn new() -> Self {
        Self {
            rules: Arc::new([]),
            recognizer: Recognizer::default(),
            default_rules: true,
        }
    }

    /// Adds `rule`. Your rules are asked in the order added, all before the
    /// default rules; the first that returns a kind decides.
    pub fn rule(self, rule: impl ClassifyRule) -> Self {
        let mut rules = self.rules.to_vec();
        rules.push(Arc::new(rule));
        Self {
            rules: rules.into(),
            ..self
        }
    }

    /// Adds a rule that recognises an answer a proxy made up for its own
    /// failure, and gives the error it stands for (see [`recognize`]).
    /// Your rules are asked in the order added, before the default ones
    /// (those of the `axum-reverse-proxy` feature); the first that
    /// returns an error decides.
    ///
    /// [`recognize`]: crate::recognize
    pub fn recognize(self, rule: impl RecognizeRule) -> Self {
        Self {
            recognizer: self.recognizer.rule(rule),
            ..self
        }
    }

    /// The failure `response` stands for, classified, when a proxy made
    /// it up instead of passing on the upstream's answer (see
    /// [`recognize`](crate::recognize)); `None` for the upstream's own
    /// answers.
    pub fn recognize_response<B>(&self, response: &Response<B>) -> Option<UpstreamError> {
        self.recognized(ResponseHead::of(response))
    }

    /// Whether any rule, of yours or the defaults', may recognise an
    /// answer.
    pub(crate) fn recognizes(&self) -> bool {
        self.recognizer.has_rules(self.default_rules)
    }

    #[inline]
    pub(crate) fn recognized(&self, head: ResponseHead<'_>) -> Option<UpstreamError> {
        self.recognizer
            .failure(head, self.default_rules)
            .map(|error| self.upstream_error(error))
    }

    /// Whether the default rules run after yours (on unless turned off),
    /// for errors and for answers a proxy made up. With them off, an error
    /// no rule of yours recognises is
    /// [`Unclassified`](UpstreamErrorKind::Unclassified).
    pub fn default_rules(mut self, enabled: bool) -> Self {
        self.default_rules = enabled;
        self
    }

    /// Classifies `error`, keeping it as the cause. An `error` that already
    /// is an [`UpstreamError`] is returned as it is.
    pub fn classify(&self, error: impl Into<BoxError>) -> UpstreamError {
        self.upstream_error(error.into())
    }

    /// Classifies `error` where it is only lent, as in pingora's
    /// `fail_to_proxy` (`e: &Error`): the kind and the retry safety are
    /// the ones [`classify`](Self::classify) gives; the cause kept is the
    /// error's text and its causes', for the log.
    pub fn classify_borrowed(&self, error: &(dyn Error + 'static)) -> UpstreamError {
        if let Some(ours) = error.downcast_ref::<UpstreamError>() {
            return ours.clone();
        }
        let Classification {
            kind,
            request_not_sent,
        } = self.classification(error);
        UpstreamError::from_lent(kind, request_not_sent, error)
    }

    /// The kind of `error`, which stays where it is.
    pub fn kind(&self, error: &(dyn Error + 'static)) -> UpstreamErrorKind {
        self.classification(error).kind
    }

    /// The classifier with the default rules alone, shared.
    pub(crate) fn defaults() -> &'static Classifier {
        static DEFAULTS: OnceLock<Classifier> = OnceLock::new();
        DEFAULTS.get_or_init(Classifier::new)
    }

    pub(crate) fn upstream_error(&self, error: BoxError) -> UpstreamError {
        let error = match error.downcast::<UpstreamError>() {
            Ok(already) => return *already,
            Err(error) => error,
        };
        let Classification {
            kind,
            request_not_sent,
        } = self.classification(&*error);
        UpstreamError::from_parts(kind, request_not_sent, Some(error))
    }

    /// The kind of `error`, and whether it shows the request was never
    /// sent; without taking ownership, for a retry policy that must leave
    /// the error where it is.
    pub(crate) fn classification(&self, error: &(dyn Error + 'static)) -> Classification {
        if let Some(ours) = error.downcast_ref::<UpstreamError>() {
            return Classification {
                kind: ours.kind(),
                request_not_sent: ours.is_retry_safe(),
            };
        }
        for rule in self.rules.iter() {
            if let Some(kind) = rule.kind(error) {
                return Classification {
                    kind,
                    request_not_sent: false,
                };
            }
        }
        if self.default_rules {
            classify_default(error)
        } else {
            Classification {
                kind: UpstreamErrorKind::Unclassified,
                request_not_sent: false,
            }
        }
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Classifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Classifier")
            .field("rules", &self.rules.len())
            .field("recognize_rules", &self.recognizer.len())
            .field("default_rules", &self.default_rules)
            .finish()
    }
}

/// The outcome of the default rules: a kind, and whether the walk saw proof
/// that the request was never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Classification {
    pub(crate) kind: UpstreamErrorKind,
    pub(crate) request_not_sent: bool,
}

/// What one rule says about one level of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// This level settles it.
    Decided(UpstreamErrorKind),
    /// This level has a kind, but a deeper level may know better.
    #[cfg_attr(
        not(any(
            feature = "hyper",
            feature = "reqwest-0-12",
            feature = "reqwest-0-13",
            feature = "pingora",
            feature = "axum-reverse-proxy"
        )),
        allow(dead_code)
    )]
    Fallback(UpstreamErrorKind),
    /// This level says nothing about the kind.
    Continue,
}

/// What the walk has learnt from the levels above the current one.
#[derive(Debug, Default, Clone, Copy)]
struct Walk {
    /// A client reported a failure while connecting (hyper-util, reqwest,
    /// tonic, pingora, or a [`ConnectError`](crate::classify::ConnectError)), so no
    /// byte of the request reached the upstream.
    connect_phase: bool,
    /// The failure happened on a connection that was already open (hyper-util
    /// said so, or a level is an HTTP error of hyper, h2 or pingora, which
    /// only exist once there is a connection), so the request may have gone.
    send_phase: bool,
    /// The failure happened while resolving the upstream's name.
    dns_phase: bool,
    /// A level proved the request was never processed.
    request_not_sent: bool,
    /// The level just above this one was a client's connect error.
    parent_was_connect: bool,
    /// The level just above this one was a tonic `Channel`'s error.
    #[cfg(feature = "tonic")]
    parent_was_tonic_transport: bool,
}

pub(crate) fn classify_default(error: &(dyn Error + 'static)) -> Classification {
    let mut walk = Walk::default();
    let mut fallback = None;
    let mut decided = None;

    for level in error_chain(error) {
        let step = classify_level(level, &mut walk);
        match step {
            Step::Decided(kind) => {
                decided = Some(kind);
                break;
            }
            Step::Fallback(kind) => {
                fallback = fallback.or(Some(kind));
            }
            Step::Continue => {}
        }
    }

    let mut kind = decided
        .or(fallback)
        .unwrap_or(UpstreamErrorKind::Unclassified);
    if walk.dns_phase {
        kind = if kind.is_timeout() {
            UpstreamErrorKind::DnsTimeout
        } else {
            UpstreamErrorKind::DnsError
        };
    }
    Classification {
        kind,
        request_not_sent: walk.request_not_sent || walk.connect_phase,
    }
}

fn classify_level(level: &(dyn Error + 'static), walk: &mut Walk) -> Step {
    let parent_was_connect = std::mem::take(&mut walk.parent_was_connect);
    #[cfg(feature = "tonic")]
    let parent_was_tonic_transport = std::mem::take(&mut walk.parent_was_tonic_transport);

    if let Some(ours) = level.downcast_ref::<UpstreamError>() {
        walk.request_not_sent |= ours.is_retry_safe();
        return Step::Decided(ours.kind());
    }
    if let Some(dns) = level.downcast_ref::<crate::dns::DnsError>() {
        return Step::Decided(if dns.is_timeout() {
            UpstreamErrorKind::DnsTimeout
        } else {
            UpstreamErrorKind::DnsError
        });
    }

    // Each library's rules, in order; the first that says something wins.
    macro_rules! ask {
        ($rule:expr) => {
            let step = $rule;
            if step != Step::Continue {
                return step;
            }
        };
    }
    ask!(connect::classify(level, walk, parent_was_connect));
    ask!(tower::classify(level, walk));
    #[cfg(any(feature = "reqwest-0-12", feature = "reqwest-0-13"))]
    ask!(reqwest::classify(level, walk));
    #[cfg(feature = "tonic")]
    ask!(tonic::classify(level, walk, parent_was_tonic_transport));
    #[cfg(feature = "pingora")]
    ask!(pingora::classify(level, walk));
    #[cfg(feature = "axum-reverse-proxy")]
    ask!(axum_reverse_proxy::classify(level, walk));
    #[cfg(any(feature = "hyper", feature = "reqwest-0-12", feature = "reqwest-0-13"))]
    ask!(hyper::classify(level, walk));
    #[cfg(feature = "h2")]
    ask!(h2::classify(level, walk));
    #[cfg(feature = "rustls")]
    ask!(rustls::classify(level));
    io::classify(level, walk)
}
