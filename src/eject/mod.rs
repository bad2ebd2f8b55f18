//! The dead-upstream fast path: after a run of failures to reach the
//! upstream, stop knocking on a door known to be shut.
//!
//! With [`Ejection`] set on the builder
//! ([`GatewayErrorLayerBuilder::eject`](crate::GatewayErrorLayerBuilder::eject)),
//! `N` consecutive failures to reach the upstream *eject* it for a set
//! time. While it is ejected, every request is answered at once with `503
//! Service Unavailable`, `Proxy-Status: …; error=destination_unavailable`
//! (RFC 9209: "recent attempts to communicate with it may have failed")
//! and a `Retry-After` of the whole seconds left, without calling the inner
//! service. When the time is up, the next request goes through as a
//! *probe*, one at a time; the others keep their fast 503s meanwhile. An
//! answer from the upstream, error statuses included, or a failure that
//! shows it was reached (a reset mid-response, a protocol error) ends the
//! ejection; a probe that cannot reach the upstream starts the wait again;
//! a probe that tells nothing either way (shed by `LoadShed`, a timeout)
//! lets the next request probe.
//!
//! The page says to try again after the whole ejection time (an upper
//! bound of the time left in the header), and so does `Retry-After` on
//! other `destination_unavailable` answers (tower's `Buffer` closed),
//! unless a `Retry-After` is set for the kind. The answers to refused
//! requests always carry the time left, whatever is set.
//!
//! What counts as "cannot reach": `dns_error`, `dns_timeout`,
//! `destination_ip_unroutable`, `connection_refused`, `connection_timeout`,
//! `tls_certificate_error`, and `tls_protocol_error` / `tls_alert_received`
//! when the classifier saw them before the request was sent (the TLS
//! handshake). Add other kinds with [`Ejection::also_on`]. An upstream's
//! own error responses (a 500, a 503) never count: the upstream answered.
//! Failures that tell nothing of the upstream — shed or refused below the
//! layer, timeouts, the gateway's own decisions, unclassified errors —
//! neither count nor break a run.
//!
//! # Trade-offs
//!
//! - **What a probe costs**: one real request, sent as is: the probe is a
//!   visitor's request, not a synthetic health check, so it succeeds or
//!   fails for that visitor exactly as it would without the fast path. A
//!   non-idempotent request can be the probe; it is only sent when the
//!   upstream may be back, as it would have been without ejection. The
//!   probe makes whatever connection attempts its client makes (several,
//!   for a host with several addresses).
//! - **Concurrent requests during a probe** get fast 503s with
//!   `Retry-After: 1`: while ejected, one request at a time tries the
//!   upstream, once per interval. Calls already under way when it was
//!   ejected finish as they would have. A probe that takes longer than the
//!   interval (a connect with no timeout below the layer) is taken over by
//!   the next request, so give the client a connect timeout shorter than
//!   the interval.
//! - **A partial outage** (one of several upstreams behind a load balancer
//!   down): the layer's fast path sees one upstream. If one address in ten
//!   refuses, consecutive failures are rare and nothing is ejected; if it
//!   does trip, every request is refused for the interval, healthy
//!   upstreams' share included. Use an [`EndpointSet`] below the balancer
//!   (see "Behind a balancer"), or key the state by the request's
//!   authority ([`Ejection::per_upstream`]) when the request names its
//!   upstream. **One state per layer**: every service a layer with the
//!   fast path makes shares its state (one upstream behind many axum
//!   routes keeps one), so a layer applied to several endpoints would mix
//!   their runs of failures.
//! - **Time to notice recovery**: up to one interval after the upstream
//!   is back, plus the probe's own time.
//! - **Backpressure is kept**: `poll_ready` still waits for the inner
//!   service while the upstream is ejected, so under a saturated
//!   `ConcurrencyLimit` the fast 503s wait their turn too.
//! - **Cost when on**: a successful call clones and drops an `Arc` and
//!   reads two atomics, and allocates nothing (keyed: also one hash, the
//!   clock and a lock of the key table); when off, nothing.
//! - **One clock**: times are read from tokio's clock, so build and use the
//!   layer on one runtime (tests with a paused clock included).
//!
//! ```
//! use std::time::Duration;
//! use tower_gateway_error::eject::Ejection;
//! use tower_gateway_error::GatewayErrorLayer;
//!
//! let layer = GatewayErrorLayer::builder()
//!     // Five refused connections in a row: answer at once for ten seconds.
//!     .eject(Ejection::after(5, Duration::from_secs(10)))
//!     .build()
//!     .expect("valid settings");
//! # let _ = layer;
//! ```
//!
//! # Behind a balancer
//!
//! An [`EndpointSet`] ejects each endpoint of a balanced set on its own.
//! Its [`EndpointLayer`] goes around each endpoint's client, under the
//! balancer: while an endpoint is ejected its `poll_ready` waits (a timer
//! wakes it when its probe is due), so tower's p2c `Balance`, which sends
//! only to ready endpoints, sends it nothing, and the others take its
//! share; when the probe is due it is ready for one request, and is not
//! again until that request's outcome is known. Its [`AllEjectedLayer`]
//! goes right above the balancer (under a `Buffer` and a `Retry`, if any):
//! while every endpoint is ejected or being
//! probed, requests are answered at once with the refusal (503
//! `destination_unavailable`, `Retry-After` of the soonest probe), instead
//! of waiting for an endpoint to be ready. `RetryPolicy` above the balancer
//! (and above a `Buffer` in front of it) retries a failure before sending
//! on another endpoint; it does not retry the refusal.
//!
//! Trade-offs: an endpoint's probe is a real request, once per interval;
//! a request may wait in the balancer for a ready endpoint while the last
//! ones are being ejected (until their failures are known, or an answer
//! from one brings it back);
//! [`EndpointSet::max_ejected_percent`] keeps part of the set in when a
//! fault that is really the gateway's makes every endpoint fail, and the
//! endpoints kept in then get the traffic and its failures. An endpoint
//! removed from the balancer's set (by `tower::discover`) frees its state
//! when its service is dropped. The endpoints judge failures as the
//! layer does (the default rules, or [`EndpointSet::with_classifier`]),
//! answers a proxy made up included.

mod endpoint;
mod guard;
mod health;
mod report;
mod set;
mod set_state;
mod upstreams;

use std::fmt;
use std::time::Duration;

use http::{HeaderName, Request};
use tokio::time::Instant;

pub use self::endpoint::{
    EndpointLayer, EndpointService, ResponseFuture as EndpointResponseFuture,
};
pub use self::guard::{
    AllEjectedLayer, AllEjectedService, ResponseFuture as AllEjectedResponseFuture,
};
pub(crate) use self::health::Attempt;
use self::health::Outcome;
pub use self::set::EndpointSet;
use self::upstreams::Upstreams;
use crate::error::PerKind;
use crate::{ConfigError, UpstreamError, UpstreamErrorKind};

/// Settings of the dead-upstream fast path (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Ejection {
    after: u32,
    duration: Duration,
    also_on: Vec<UpstreamErrorKind>,
    key: Option<(UpstreamKey, usize)>,
}

/// Which part of a request names its upstream, for
/// [`Ejection::per_upstream`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamKey {
    /// The request's authority: the URI's (as a proxy's request has it), or
    /// else the `Host` header; compared without regard to case.
    Authority,
    /// The value of this request header, compared byte for byte.
    Header(HeaderName),
}

impl Ejection {
    /// Ejects the upstream for `duration` after `failures` consecutive
    /// failures to reach it.
    pub fn after(failures: u32, duration: Duration) -> Self {
        Self {
            after: failures,
            duration,
            also_on: Vec::new(),
            key: None,
        }
    }

    /// Counts failures of `kind` too, such as `http_response_timeout` for
    /// an upstream that takes connections but no longer answers.
    pub fn also_on(mut self, kind: UpstreamErrorKind) -> Self {
        self.also_on.push(kind);
        self
    }

    /// Keeps one state per upstream, as named by `key`, for at most
    /// `max_upstreams` upstreams. When the table is full, a new upstream
    /// takes the place of one that is neither ejected nor probed and has
    /// no call under way (one without failures first, then the one unused
    /// the longest); if there is none, and for requests without the key,
    /// requests pass without the fast path.
    ///
    /// With [`UpstreamKey::Authority`] the key is what the request names:
    /// in a reverse proxy, the client's `Host`. `a.example` and
    /// `a.example:80` are two keys; a client sending many `Host` values
    /// gets a fresh state for each, so key by what names the upstream
    /// you route to.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_gateway_error::eject::{Ejection, UpstreamKey};
    ///
    /// let per_host = Ejection::after(3, Duration::from_secs(5))
    ///     .per_upstream(UpstreamKey::Authority, 1024);
    /// # let _ = per_host;
    /// ```
    pub fn per_upstream(mut self, key: UpstreamKey, max_upstreams: usize) -> Self {
        self.key = Some((key, max_upstreams));
        self
    }
}

/// The failure a request is answered with while its upstream is ejected:
/// the cause of its `destination_unavailable` [`UpstreamError`], which a
/// hook can look for with `downcast_ref`.
#[derive(Debug, Clone)]
pub struct Ejected {
    left: Duration,
    failures: u32,
}

impl Ejected {
    /// The time left until the next attempt to reach the upstream; zero
    /// while a probe is under way.
    pub fn time_left(&self) -> Duration {
        self.left
    }

    /// How many consecutive failures ejected the upstream.
    pub fn after_failures(&self) -> u32 {
        self.failures
    }

    /// The time left, when `error` is the refusal of a request while its
    /// upstream is ejected.
    pub(crate) fn wait_of(error: &UpstreamError) -> Option<Duration> {
        let ejected = std::error::Error::source(error)?.downcast_ref::<Self>()?;
        Some(ejected.left)
    }
}

impl fmt::Display for Ejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the upstream is not called after {} consecutive failures to reach it; ",
            self.failures
        )?;
        if self.left.is_zero() {
            f.write_str("a probe request is under way")
        } else {
            write!(f, "the next attempt is in {:?}", self.left)
        }
    }
}

impl std::error::Error for Ejected {}

/// Whether a request may call the upstream.
pub(crate) enum Admission {
    /// Call it; the attempt, if tracked, is settled by its outcome.
    Pass(Option<Attempt>),
    /// Answer at once with `error`: the upstream is not called for `wait`
    /// more (zero while a probe is under way).
    Refuse {
        error: UpstreamError,
        wait: Duration,
    },
}

/// The compiled fast path: whose failures count, and the state of each
/// upstream.
#[derive(Debug)]
pub(crate) struct Ejector {
    after: u32,
    duration: Duration,
    counts: PerKind<Counts>,
    /// Times on the state's clock are milliseconds after this.
    epoch: Instant,
    upstreams: Upstreams,
}

/// Whether a failure of a kind counts as not reaching the upstream.
#[derive(Debug, Clone, Copy)]
enum Counts {
    Always,
    /// Only when the classifier saw it before the request was sent.
    BeforeSending,
    Never,
}

/// The kinds that mean the upstream could not be reached at all.
const UNREACHABLE: &[UpstreamErrorKind] = &[
    UpstreamErrorKind::DnsError,
    UpstreamErrorKind::DnsTimeout,
    UpstreamErrorKind::DestinationIpUnroutable,
    UpstreamErrorKind::ConnectionRefused,
    UpstreamErrorKind::ConnectionTimeout,
    UpstreamErrorKind::TlsCertificateError,
];

/// The kinds that count when they happened before the request was sent:
/// a failed TLS handshake.
const HANDSHAKE: &[UpstreamErrorKind] = &[
    UpstreamErrorKind::TlsProtocolError,
    UpstreamErrorKind::TlsAlertReceived,
];

impl Ejector {
    pub(crate) fn compile(settings: Ejection) -> Result<Self, ConfigError> {
        if settings.after == 0 {
            return Err(ConfigError::InvalidEjection {
                reason: "the number of failures is 0; eject after at least 1, such as 5",
            });
        }
        if settings.duration < Duration::from_millis(1) {
            return Err(ConfigError::InvalidEjection {
                reason:
                    "the time to eject for is under a millisecond; use a few seconds, such as 10s",
            });
        }
        if settings.duration > Duration::from_secs(86_400) {
            return Err(ConfigError::InvalidEjection {
                reason: "the time to eject for is over a day; use at most a few minutes, so a recovered upstream is noticed",
            });
        }
        let upstreams = match settings.key {
            None => Upstreams::one(),
            Some((_, 0)) => {
                return Err(ConfigError::InvalidEjection {
                    reason: "the number of upstreams to keep is 0; keep at least 1, such as 1024",
                })
            }
            Some((key, max)) => Upstreams::keyed(key, max),
        };
        let mut counts = PerKind::from_fn(|kind| {
            if UNREACHABLE.contains(&kind) {
                Counts::Always
            } else if HANDSHAKE.contains(&kind) {
                Counts::BeforeSending
            } else {
                Counts::Never
            }
        });
        for kind in settings.also_on {
            counts[kind] = Counts::Always;
        }
        Ok(Self {
            after: settings.after,
            duration: settings.duration,
            counts,
            epoch: Instant::now(),
            upstreams,
        })
    }

    /// Whether `request` may call its upstream now.
    #[inline]
    pub(crate) fn admit<B>(&self, request: &Request<B>) -> Admission {
        let Some(health) = self.upstreams.find(request, || self.now()) else {
            return Admission::Pass(None);
        };
        match health.admit(self.now(), self) {
            Ok(probe) => Admission::Pass(Some(Attempt::new(health, probe))),
            Err(left_ms) => {
                let wait = Duration::from_millis(left_ms);
                let ejected = Ejected {
                    left: wait,
                    failures: self.after,
                };
                Admission::Refuse {
                    error: UpstreamError::new(Self::REFUSED_AS, ejected),
                    wait,
                }
            }
        }
    }

    /// What a call that failed with `error` tells of its upstream.
    fn outcome(&self, error: &UpstreamError) -> Outcome {
        self.outcome_of(error.kind(), error.is_retry_safe())
    }

    /// What a failure of `kind` tells of its upstream; `retry_safe` when
    /// it shows the request was never sent.
    fn outcome_of(&self, kind: UpstreamErrorKind, retry_safe: bool) -> Outcome {
        let counts = match self.counts[kind] {
            Counts::Always => true,
            Counts::BeforeSending => retry_safe,
            Counts::Never => false,
        };
        if counts {
            Outcome::Unreachable
        } else if kind.is_timeout()
            || retry_safe
            || matches!(
                kind,
                UpstreamErrorKind::HttpRequestError | UpstreamErrorKind::Unclassified
            )
        {
            // Refused before it was sent (shed, a closed buffer, the
            // gateway's own decisions), or timed out without telling
            // whether the upstream was reached: neither way.
            Outcome::Unknown
        } else {
            Outcome::Reached
        }
    }

    /// What a refused request is answered as: RFC 9209's type for an
    /// upstream that "recent attempts to communicate with may have failed".
    pub(crate) const REFUSED_AS: UpstreamErrorKind = UpstreamErrorKind::DestinationUnavailable;

    /// How refused requests are answered: their kind, and the longest they
    /// are refused for (the ejection's duration).
    pub(crate) fn refusals(&self) -> (UpstreamErrorKind, Duration) {
        (Self::REFUSED_AS, self.duration)
    }

    fn now(&self) -> u64 {
        // +1: zero means "not ejected".
        Instant::now()
            .saturating_duration_since(self.epoch)
            .as_millis() as u64
            + 1
    }

    fn duration_ms(&self) -> u64 {
        (self.duration.as_millis() as u64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ejector(after: u32, duration: Duration) -> Ejector {
        Ejector::compile(Ejection::after(after, duration)).unwrap()
    }

    fn refused() -> UpstreamError {
        UpstreamError::from_kind(UpstreamErrorKind::ConnectionRefused)
    }

    fn admit(ejector: &Ejector) -> Admission {
        ejector.admit(&Request::new(()))
    }

    /// The attempt of a request that must be let through.
    #[track_caller]
    fn pass(ejector: &Ejector, why: &str) -> Attempt {
        match admit(ejector) {
            Admission::Pass(Some(attempt)) => attempt,
            _ => panic!("{why}"),
        }
    }

    /// The wait of a request that must be refused.
    #[track_caller]
    fn wait(ejector: &Ejector, why: &str) -> Duration {
        let Admission::Refuse { error, wait } = admit(ejector) else {
            panic!("{why}")
        };
        assert_eq!(error.kind(), UpstreamErrorKind::DestinationUnavailable);
        let ejected = std::error::Error::source(&error)
            .and_then(|cause| cause.downcast_ref::<Ejected>())
            .expect("the cause a hook can look for");
        assert_eq!(ejected.time_left(), wait);
        wait
    }

    #[tokio::test(start_paused = true)]
    async fn ejects_after_the_run_and_probes_one_at_a_time() {
        let ejector = ejector(2, Duration::from_secs(10));
        for _ in 0..2 {
            let attempt = pass(&ejector, "served until ejected");
            attempt.settle(Some(&refused()), &ejector);
        }
        let ejected = wait(&ejector, "ejected after two refusals");
        assert_eq!(ejected, Duration::from_secs(10));
        tokio::time::advance(Duration::from_millis(9_500)).await;
        assert_eq!(wait(&ejector, "still ejected"), Duration::from_millis(500));

        tokio::time::advance(Duration::from_millis(600)).await;
        let probe = pass(&ejector, "the probe goes through");
        assert_eq!(
            wait(&ejector, "one probe at a time"),
            Duration::ZERO,
            "no wait left while a probe is under way"
        );
        // A failed probe starts the wait again.
        probe.settle(Some(&refused()), &ejector);
        assert!(matches!(admit(&ejector), Admission::Refuse { .. }));
        tokio::time::advance(Duration::from_secs(10)).await;
        let probe = pass(&ejector, "the next probe");
        // A dropped probe lets the next request probe.
        drop(probe);
        let probe = pass(&ejector, "another probe");
        probe.settle(None, &ejector);
        let attempt = pass(&ejector, "served again");
        attempt.settle(Some(&refused()), &ejector);
        assert!(
            matches!(admit(&ejector), Admission::Pass(_)),
            "the count starts again after a success"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn what_tells_nothing_of_the_upstream_neither_counts_nor_ends_an_ejection() {
        let ejector = ejector(2, Duration::from_secs(10));
        let shed = UpstreamError::from_kind(UpstreamErrorKind::ConnectionLimitReached);
        let timeout = UpstreamError::from_kind(UpstreamErrorKind::HttpResponseTimeout);
        // A run of refusals, with a shed request and a timeout between
        // them, still ejects.
        for error in [refused(), shed.clone(), timeout.clone(), refused()] {
            let attempt = pass(&ejector, "served until ejected");
            attempt.settle(Some(&error), &ejector);
        }
        assert!(matches!(admit(&ejector), Admission::Refuse { .. }));
        // A probe that is shed frees the probe but leaves it ejected.
        tokio::time::advance(Duration::from_secs(10)).await;
        let probe = pass(&ejector, "the probe");
        probe.settle(Some(&shed), &ejector);
        let probe = pass(
            &ejector,
            "another probe, not a request served as if healthy",
        );
        assert!(matches!(admit(&ejector), Admission::Refuse { .. }));
        probe.settle(None, &ejector);
        assert!(matches!(admit(&ejector), Admission::Pass(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_hangs_longer_than_the_wait_is_taken_over() {
        let ejector = ejector(1, Duration::from_secs(5));
        let attempt = pass(&ejector, "let through");
        attempt.settle(Some(&refused()), &ejector);
        tokio::time::advance(Duration::from_secs(5)).await;
        let hung = pass(&ejector, "the first probe");
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(matches!(admit(&ejector), Admission::Refuse { .. }));
        tokio::time::advance(Duration::from_secs(1)).await;
        let second = pass(&ejector, "the hung probe is taken over");
        // The hung probe ending late does not free the second's slot.
        drop(hung);
        assert!(matches!(admit(&ejector), Admission::Refuse { .. }));
        second.settle(None, &ejector);
        assert!(matches!(admit(&ejector), Admission::Pass(None | Some(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn only_failures_to_reach_the_upstream_count() {
        let ejector = ejector(1, Duration::from_secs(1));
        let timeout = UpstreamError::from_kind(UpstreamErrorKind::HttpResponseTimeout);
        let handshake = UpstreamError::from_kind(UpstreamErrorKind::TlsProtocolError);
        for error in [timeout, handshake] {
            let attempt = pass(&ejector, &format!("not ejected by {error:?}"));
            attempt.settle(Some(&error), &ejector);
        }
        let after_sending = Ejector::compile(
            Ejection::after(1, Duration::from_secs(1))
                .also_on(UpstreamErrorKind::HttpResponseTimeout),
        )
        .unwrap();
        let attempt = pass(&after_sending, "let through");
        attempt.settle(
            Some(&UpstreamError::from_kind(
                UpstreamErrorKind::HttpResponseTimeout,
            )),
            &after_sending,
        );
        assert!(matches!(admit(&after_sending), Admission::Refuse { .. }));
    }

    #[test]
    fn settings_that_cannot_work_are_refused_with_what_to_use() {
        for (settings, what_to_use) in [
            (
                Ejection::after(0, Duration::from_secs(1)),
                "eject after at least 1, such as 5",
            ),
            (
                Ejection::after(1, Duration::ZERO),
                "use a few seconds, such as 10s",
            ),
            (
                Ejection::after(1, Duration::from_secs(100_000)),
                "use at most a few minutes",
            ),
            (
                Ejection::after(1, Duration::from_secs(1)).per_upstream(UpstreamKey::Authority, 0),
                "keep at least 1, such as 1024",
            ),
        ] {
            let error = Ejector::compile(settings).unwrap_err().to_string();
            assert!(
                error.starts_with("the ejection settings cannot work: "),
                "{error}"
            );
            assert!(error.contains(what_to_use), "{error}");
        }
        // At the limits, accepted.
        assert!(Ejector::compile(Ejection::after(1, Duration::from_millis(1))).is_ok());
        assert!(Ejector::compile(Ejection::after(1, Duration::from_secs(86_400))).is_ok());
    }
}
