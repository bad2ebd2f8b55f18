//! [`RetryPolicy`]: a `tower::retry::Policy` that retries only what is safe
//! to retry, by what the failure says about whether the upstream saw the
//! request; and [`AsUpstreamCause`], the error types it can judge.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response};
use tower::retry::backoff::{Backoff, ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use tower::retry::budget::{Budget, TpsBudget};
use tower::retry::Policy;
use tower::util::rng::HasherRng;

use crate::{Classifier, ConfigError, UpstreamError, UpstreamErrorKind};

/// Retries a failed upstream call when that cannot do harm, for tower's
/// `Retry` middleware.
///
/// - A failure where the request **certainly never reached the upstream**
///   ([`UpstreamError::is_retry_safe`]: refused, DNS, connect timeout, a TLS
///   handshake failure, HTTP/2 REFUSED_STREAM or a GOAWAY below the stream)
///   is retried whatever the method, a POST included.
/// - A failure where the upstream **may have processed it** (the connection
///   reset or closed after the request went out, a read or response
///   timeout) is retried only for idempotent methods: GET, HEAD, OPTIONS,
///   PUT, DELETE, TRACE.
/// - Other failures are not retried: a malformed response, a failing
///   request body, a certificate the gateway does not trust (asking again
///   gets the same certificate), `destination_unavailable` (every endpoint
///   of an `EndpointSet` ejected, a closed `Buffer`), anything
///   unclassified; nor is any response
///   the upstream gave, error statuses included. An answer a proxy made up
///   for its own failure (see [`recognize`](crate::recognize)) is not the
///   upstream's: it is retried as the failure it stands for.
///
/// Each retry waits an exponential backoff with jitter, at most
/// [`max_retries`](RetryPolicyBuilder::max_retries) happen per request, and
/// all requests share a retry budget (tower's `TpsBudget`: by default one
/// retry per five successful requests in the last 10 seconds, plus a
/// reserve of 10 a second), so an outage does not multiply the traffic.
/// Each request gets its own random jitter.
///
/// # Replayable bodies
///
/// A request is retried only if its body can be sent again: the body type
/// must be `Clone`, like `http_body_util::Full<Bytes>`, `String` or
/// `Bytes`. A streaming body (hyper's `Incoming`, axum's `Body`) has to be
/// collected first, with a size limit; see `tests/retry.rs`.
///
/// # Cost
///
/// tower's `Retry` keeps a copy of every request in case it must be sent
/// again, so with a `RetryPolicy` each call clones the request's headers
/// and extensions (allocations the layer alone does not make), and a
/// successful call makes a deposit in the budget. With `max_retries(0)` no
/// copy is made.
///
/// # Stacking
///
/// Retry goes inside the layer, so the layer answers only the last failure:
///
/// ```
/// use bytes::Bytes;
/// use http::Request;
/// use http_body_util::Full;
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// use tower::ServiceBuilder;
/// use tower_gateway_error::retry::RetryPolicy;
/// use tower_gateway_error::GatewayErrorLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
/// let gateway = ServiceBuilder::new()
///     .layer(GatewayErrorLayer::new())
///     .retry(RetryPolicy::new())
///     .service(client);
/// # let _ = gateway;
/// # }
/// ```
#[derive(Debug)]
pub struct RetryPolicy {
    retries_left: usize,
    backoff_bounds: (Duration, Duration, f64),
    backoff: ExponentialBackoff<HasherRng>,
    budget: SharedBudget,
    classifier: Classifier,
}

/// The retry budget every clone of a policy draws from.
#[derive(Clone)]
struct SharedBudget(Arc<dyn Budget + Send + Sync>);

impl fmt::Debug for SharedBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Budget(..)")
    }
}

impl RetryPolicy {
    /// The defaults: at most 2 retries, backoff from 25 ms to 1 s with
    /// jitter, and tower's `TpsBudget::new(10 s, 10, 0.2)`.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default settings are valid")
    }

    /// Starts from the defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder::default()
    }

    fn classify(&self, error: &(dyn std::error::Error + 'static)) -> (UpstreamErrorKind, bool) {
        let classification = self.classifier.classification(error);
        (
            classification.kind,
            classification.request_not_sent || classification.kind.is_retry_safe(),
        )
    }

    /// Whether a failure of this kind leaves the request possibly processed
    /// but worth sending again when repeating it cannot change the outcome.
    fn transient(kind: UpstreamErrorKind) -> bool {
        use UpstreamErrorKind::*;
        matches!(
            kind,
            ConnectionTerminated
                | ConnectionReadTimeout
                | ConnectionWriteTimeout
                | HttpResponseTimeout
        )
    }

    fn decide(&self, kind: UpstreamErrorKind, retry_safe: bool, method: &Method) -> bool {
        use UpstreamErrorKind::*;
        // Asking again gets the same answer: the same certificate, the same
        // decision of the gateway's own.
        if matches!(
            kind,
            TlsCertificateError
                | DestinationNotFound
                | DestinationIpProhibited
                | HttpRequestDenied
                | ProxyLoopDetected
                | ProxyConfigurationError
                | ProxyInternalResponse
                // Refused by the gateway itself: every endpoint is ejected,
                // or its buffer closed; asking again at once gets the same.
                | DestinationUnavailable
        ) {
            return false;
        }
        retry_safe || (is_idempotent(method) && Self::transient(kind))
    }
}

/// tower's `Retry` clones the policy for every request. Each clone gets a
/// fresh random source: with a copied one, requests that failed together
/// would wait the same jittered time and retry in step.
impl Clone for RetryPolicy {
    fn clone(&self) -> Self {
        let (min, max, jitter) = self.backoff_bounds;
        Self {
            retries_left: self.retries_left,
            backoff_bounds: self.backoff_bounds,
            backoff: backoff(min, max, jitter).expect("checked when the policy was built"),
            budget: self.budget.clone(),
            classifier: self.classifier.clone(),
        }
    }
}

fn backoff(
    min: Duration,
    max: Duration,
    jitter: f64,
) -> Result<ExponentialBackoff<HasherRng>, tower::retry::backoff::InvalidBackoff> {
    let mut maker = ExponentialBackoffMaker::new(min, max, jitter, HasherRng::default())?;
    Ok(maker.make_backoff())
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

/// RFC 9110 §9.2.2's idempotent methods.
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

impl<B, ResBody, E> Policy<Request<B>, Response<ResBody>, E> for RetryPolicy
where
    B: Clone,
    E: AsUpstreamCause,
{
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut Request<B>,
        result: &mut Result<Response<ResBody>, E>,
    ) -> Option<Self::Future> {
        let (kind, retry_safe) = match result {
            // An answer a proxy made up for its own failure (see
            // `recognize`) is retried as that failure would be.
            Ok(response) => match self.classifier.recognize_response(response) {
                Some(failure) => (failure.kind(), failure.is_retry_safe()),
                None => {
                    self.budget.0.deposit();
                    return None;
                }
            },
            Err(error) => self.classify(error.as_cause()),
        };
        if self.retries_left == 0 {
            return None;
        }
        if !self.decide(kind, retry_safe, request.method()) || !self.budget.0.withdraw() {
            return None;
        }
        self.retries_left -= 1;
        Some(self.backoff.next_backoff())
    }

    fn clone_request(&mut self, request: &Request<B>) -> Option<Request<B>> {
        if self.retries_left == 0 {
            return None;
        }
        let mut copy = Request::new(request.body().clone());
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.version_mut() = request.version();
        *copy.headers_mut() = request.headers().clone();
        *copy.extensions_mut() = request.extensions().clone();
        Some(copy)
    }
}

/// The error types [`RetryPolicy`] can classify: the errors of hyper-util's
/// `Client`, hyper, h2, `io`, the boxed errors tower's middleware
/// (`Timeout`, `Buffer`, `LoadShed`) return, [`UpstreamError`],
/// [`ConnectError`](crate::classify::ConnectError), [`DnsError`](crate::dns::DnsError),
/// and with their features `reqwest::Error` (a service over a
/// `reqwest::Client`), `reqwest_middleware::Error` and pingora's `Error`.
///
/// For an error type of your own, one line does it:
///
/// ```
/// # #[derive(Debug)] struct MyClientError;
/// # impl std::fmt::Display for MyClientError {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("x") }
/// # }
/// # impl std::error::Error for MyClientError {}
/// impl tower_gateway_error::retry::AsUpstreamCause for MyClientError {
///     fn as_cause(&self) -> &(dyn std::error::Error + 'static) { self }
/// }
/// ```
///
/// (A blanket impl for every `Error` would rule out the one for tower's
/// boxed errors, which do not implement `Error`.) With the `hyper` or `h2`
/// feature off, those crates' errors have no impl, and Rust's orphan rule
/// keeps you from adding one: box them first, with
/// `tower::ServiceBuilder::map_err(Into::<BoxError>::into)` inside the
/// retry.
pub trait AsUpstreamCause {
    /// The error, for classification.
    fn as_cause(&self) -> &(dyn std::error::Error + 'static);
}

impl AsUpstreamCause for crate::BoxError {
    fn as_cause(&self) -> &(dyn std::error::Error + 'static) {
        &**self
    }
}

macro_rules! as_upstream_cause {
    ($($(#[$cfg:meta])* $error:ty),* $(,)?) => {$(
        $(#[$cfg])*
        impl AsUpstreamCause for $error {
            fn as_cause(&self) -> &(dyn std::error::Error + 'static) {
                self
            }
        }
    )*};
}

as_upstream_cause!(
    UpstreamError,
    crate::classify::ConnectError,
    crate::dns::DnsError,
    std::io::Error,
    tower::timeout::error::Elapsed,
    tower::load_shed::error::Overloaded,
    #[cfg(feature = "hyper")]
    hyper::Error,
    #[cfg(feature = "hyper")]
    hyper_util::client::legacy::Error,
    #[cfg(feature = "h2")]
    h2::Error,
    #[cfg(feature = "reqwest-0-12")]
    reqwest_0_12::Error,
    #[cfg(feature = "reqwest-0-13")]
    reqwest_0_13::Error,
    #[cfg(feature = "pingora")]
    pingora_error::Error,
    #[cfg(feature = "pingora")]
    pingora_error::BError,
    #[cfg(feature = "reqwest-middleware-0-4")]
    reqwest_middleware_0_4::Error,
    #[cfg(feature = "reqwest-middleware-0-5")]
    reqwest_middleware_0_5::Error,
);

/// Settings for a [`RetryPolicy`], checked by [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct RetryPolicyBuilder {
    max_retries: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    jitter: f64,
    budget: Option<SharedBudget>,
    classifier: Classifier,
}

impl Default for RetryPolicyBuilder {
    fn default() -> Self {
        Self {
            max_retries: 2,
            min_backoff: Duration::from_millis(25),
            max_backoff: Duration::from_secs(1),
            jitter: 0.5,
            budget: None,
            classifier: Classifier::new(),
        }
    }
}

impl RetryPolicyBuilder {
    /// Retries per request at most (2 unless set); 0 turns retrying off.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first wait (25 ms unless set), doubled for each further retry up
    /// to `max` (1 s unless set).
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }

    /// How much random time, as a fraction of the wait, is added to each
    /// wait so that clients do not retry in step (0.5 unless set; 0 to 1).
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// The budget all requests share (one policy's clones share it). Unless
    /// set, tower's `TpsBudget::new(10 s, 10, 0.2)`: each successful request
    /// earns a fifth of a retry for the next 10 seconds, on top of a reserve
    /// of 10 retries a second.
    pub fn budget(mut self, budget: impl Budget + Send + Sync + 'static) -> Self {
        self.budget = Some(SharedBudget(Arc::new(budget)));
        self
    }

    /// Classifies with `classifier` (your rules, then the defaults) instead
    /// of the defaults alone. Give it the one the layer has
    /// ([`GatewayErrorLayerBuilder::classifier`](crate::GatewayErrorLayerBuilder::classifier)),
    /// so a kind your rules map is judged the same way here.
    pub fn classifier(mut self, classifier: Classifier) -> Self {
        self.classifier = classifier;
        self
    }

    /// Checks the settings and builds the policy.
    pub fn build(self) -> Result<RetryPolicy, ConfigError> {
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(ConfigError::InvalidRetryJitter {
                jitter: self.jitter.to_string(),
            });
        }
        let backoff = backoff(self.min_backoff, self.max_backoff, self.jitter).map_err(|_| {
            ConfigError::InvalidRetryBackoff {
                min: self.min_backoff,
                max: self.max_backoff,
            }
        })?;
        Ok(RetryPolicy {
            retries_left: self.max_retries,
            backoff_bounds: (self.min_backoff, self.max_backoff, self.jitter),
            backoff,
            budget: self.budget.unwrap_or_else(|| {
                SharedBudget(Arc::new(TpsBudget::new(Duration::from_secs(10), 10, 0.2)))
            }),
            classifier: self.classifier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_methods_retry_what_may_have_been_processed() {
        let policy = RetryPolicy::new();
        let terminated = UpstreamErrorKind::ConnectionTerminated;
        assert!(policy.decide(terminated, false, &Method::GET));
        assert!(policy.decide(terminated, false, &Method::PUT));
        assert!(!policy.decide(terminated, false, &Method::POST));
        assert!(!policy.decide(terminated, false, &Method::PATCH));
        // Never sent: any method.
        assert!(policy.decide(UpstreamErrorKind::ConnectionRefused, true, &Method::POST));
        // A malformed answer or an untrusted certificate is not fixed by
        // asking again.
        assert!(!policy.decide(UpstreamErrorKind::HttpProtocolError, false, &Method::GET));
        assert!(!policy.decide(UpstreamErrorKind::TlsCertificateError, true, &Method::GET));
    }

    // Paused, so the clock does not move between the waits and only the
    // jitter can tell them apart.
    #[tokio::test(start_paused = true)]
    async fn each_clone_waits_its_own_jittered_time() {
        // What tower's `Retry` does per request: clone the policy.
        let policy = RetryPolicy::builder()
            .backoff(Duration::from_secs(10), Duration::from_secs(60))
            .jitter(1.0)
            .build()
            .unwrap();
        let waits: Vec<_> = (0..4)
            .map(|_| policy.clone().backoff.next_backoff().deadline())
            .collect();
        assert!(waits.windows(2).any(|w| w[0] != w[1]), "{waits:?}");
    }

    #[test]
    fn bad_settings_are_rejected() {
        let error = RetryPolicy::builder()
            .backoff(Duration::from_secs(2), Duration::from_secs(1))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("backoff"), "{error}");
        let error = RetryPolicy::builder().jitter(3.0).build().unwrap_err();
        assert!(error.to_string().contains("jitter"), "{error}");
    }
}
