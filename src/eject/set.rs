//! [`EndpointSet`]: ejection per endpoint behind a balancer, and what the
//! set as a whole decides: how many endpoints may be out at once, and when
//! none is left to try.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

use super::endpoint::{EndpointLayer, EndpointState};
use super::guard::AllEjectedLayer;
use super::{Ejected, Ejection, Ejector};
use crate::{Classifier, ConfigError, UpstreamError};

/// Ejection per endpoint, for a set of endpoints behind a tower balancer
/// (`tower::balance::p2c::Balance`): an endpoint that cannot be reached is
/// taken out of the balancer's choice until its probe is due, the
/// balancer sends the others its traffic, and when every endpoint is out
/// requests are answered at once (see the [module docs](super), "Behind a
/// balancer").
///
/// Its two layers go in two places:
///
/// - [`endpoint_layer`](Self::endpoint_layer), around each endpoint's
///   client, under the balancer. **Every service it makes is one endpoint
///   with its own state**, however many times the layer is applied;
/// - [`all_ejected_layer`](Self::all_ejected_layer), right above the
///   balancer (under a `Buffer` and a `Retry`, if any), which answers at
///   once, with the time of the soonest probe, while no endpoint can be
///   tried.
///
/// ```
/// use std::time::Duration;
/// use tower::balance::p2c::Balance;
/// use tower::discover::ServiceList;
/// use tower::load::{CompleteOnResponse, PendingRequestsDiscover};
/// use tower::{Layer, ServiceBuilder};
/// use tower_gateway_error::eject::{EndpointSet, Ejection};
/// use tower_gateway_error::GatewayErrorLayer;
/// # use http::{Request, Response};
/// # type Body = String;
/// # fn client(_: &str) -> impl tower::Service<Request<Body>, Response = Response<Body>,
/// #     Error = std::io::Error, Future = impl Send> + Send { tower::service_fn(|_: Request<Body>| async {
/// #     Err::<Response<Body>, _>(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)) }) }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let set = EndpointSet::new(Ejection::after(3, Duration::from_secs(5))).unwrap();
/// let endpoints = ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]
///     .map(|addr| set.endpoint_layer().layer(client(addr)));
/// let balanced = Balance::new(PendingRequestsDiscover::new(
///     ServiceList::new(endpoints),
///     CompleteOnResponse::default(),
/// ));
/// let gateway = ServiceBuilder::new()
///     .layer(GatewayErrorLayer::new())
///     // A balancer is not `Clone`; a `Buffer` shares it between connections.
///     .buffer(1024)
///     .layer(set.all_ejected_layer())
///     .service(balanced);
/// # let _ = gateway;
/// # }
/// ```
#[derive(Clone)]
pub struct EndpointSet {
    shared: Arc<SetShared>,
}

/// What the endpoints of a set, and its guard, share.
pub(super) struct SetShared {
    pub(super) ejector: Ejector,
    pub(super) classifier: Classifier,
    /// The share of the set that may be ejected at once, in percent.
    max_ejected_percent: AtomicU8,
    endpoints: Mutex<Vec<Weak<EndpointState>>>,
    /// Guards waiting for the balancer, woken when an endpoint is ejected
    /// (which may leave none to try).
    waiters: Mutex<Vec<Waker>>,
}

impl EndpointSet {
    /// A set whose endpoints are ejected as `ejection` says, each on its
    /// own: `n` consecutive failures to reach one take it out for the
    /// duration, then one probe request tries it. Failures are judged by
    /// the default rules. `per_upstream` has no meaning here (each
    /// endpoint is its own upstream) and is refused.
    pub fn new(ejection: Ejection) -> Result<Self, ConfigError> {
        Self::with_classifier(ejection, Classifier::new())
    }

    /// The same, judging the endpoints' failures with `classifier` (the
    /// one the layer and `RetryPolicy` use, with your rules).
    pub fn with_classifier(
        ejection: Ejection,
        classifier: Classifier,
    ) -> Result<Self, ConfigError> {
        if ejection.key.is_some() {
            return Err(ConfigError::InvalidEjection {
                reason: "per_upstream keys one layer's state by request; an endpoint set has one state per endpoint already, so leave per_upstream off",
            });
        }
        Ok(Self {
            shared: Arc::new(SetShared {
                ejector: Ejector::compile(ejection)?,
                classifier,
                max_ejected_percent: AtomicU8::new(100),
                endpoints: Mutex::default(),
                waiters: Mutex::default(),
            }),
        })
    }

    /// Ejects at most `percent` of the set's endpoints at once (rounded
    /// down, but always at least one), as Envoy's `max_ejection_percent`:
    /// a fault that is really the gateway's (its network, its resolver)
    /// then cannot empty the set, and the endpoints left in get the
    /// traffic and its failures. 100 (the default) lets every endpoint be
    /// ejected, so that a set that is all down is answered at once.
    pub fn max_ejected_percent(self, percent: u8) -> Result<Self, ConfigError> {
        if percent == 0 || percent > 100 {
            return Err(ConfigError::InvalidEjection {
                reason: "the share of endpoints that may be ejected is not 1 to 100 percent; use such as 50",
            });
        }
        self.shared
            .max_ejected_percent
            .store(percent, Ordering::Relaxed);
        Ok(self)
    }

    /// The layer to put around each endpoint's client, under the
    /// balancer: each service it makes is a new endpoint of this set.
    pub fn endpoint_layer(&self) -> EndpointLayer {
        EndpointLayer::new(self.shared.clone())
    }

    /// The layer to put above the balancer: while no endpoint can be
    /// tried, it answers at once with the refusal of an ejected upstream
    /// (`destination_unavailable`, whose cause is [`Ejected`], with the
    /// time of the soonest probe), instead of waiting for the balancer.
    pub fn all_ejected_layer(&self) -> AllEjectedLayer {
        AllEjectedLayer::new(self.shared.clone())
    }

    /// How many endpoints of the set are alive (their services not
    /// dropped), and how many of them are ejected now.
    pub fn counts(&self) -> (usize, usize) {
        let endpoints = self.shared.alive();
        let ejected = endpoints.iter().filter(|e| e.is_ejected()).count();
        (endpoints.len(), ejected)
    }
}

impl fmt::Debug for EndpointSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (endpoints, ejected) = self.counts();
        f.debug_struct("EndpointSet")
            .field("endpoints", &endpoints)
            .field("ejected", &ejected)
            .field(
                "max_ejected_percent",
                &self.shared.max_ejected_percent.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

/// The most guards' wakers kept at once.
const MAX_WAITERS: usize = 64;

impl SetShared {
    pub(super) fn register(&self, endpoint: &Arc<EndpointState>) {
        let mut endpoints = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        // Endpoints removed from the balancer's set are forgotten here.
        endpoints.retain(|weak| weak.strong_count() > 0);
        endpoints.push(Arc::downgrade(endpoint));
    }

    fn alive(&self) -> Vec<Arc<EndpointState>> {
        let mut endpoints = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        endpoints.retain(|weak| weak.strong_count() > 0);
        endpoints.iter().filter_map(Weak::upgrade).collect()
    }

    /// Whether `candidate` may be ejected now without taking more of the
    /// set out than the cap allows (at least one endpoint always may).
    pub(super) fn may_eject(&self, candidate: &EndpointState) -> bool {
        let percent = self.max_ejected_percent.load(Ordering::Relaxed);
        if percent >= 100 {
            return true;
        }
        let endpoints = self.alive();
        let allowed = (endpoints.len() * usize::from(percent) / 100).max(1);
        let others = endpoints
            .iter()
            .filter(|e| !std::ptr::eq(&***e, candidate) && e.is_ejected())
            .count();
        others < allowed
    }

    /// The refusal for a request while no endpoint can be tried: every
    /// one is ejected or being probed. `None` while one can be.
    pub(super) fn all_out(&self, now: Instant) -> Option<UpstreamError> {
        let endpoints = self.alive();
        if endpoints.is_empty() {
            return None;
        }
        let mut soonest: Option<Duration> = None;
        for endpoint in &endpoints {
            let wait = endpoint.out_for(now, self.ejector.duration)?;
            soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
        }
        let left = soonest.unwrap_or_default();
        Some(UpstreamError::new(
            Ejector::REFUSED_AS,
            Ejected {
                left,
                failures: self.ejector.after,
            },
        ))
    }

    /// Asks to be woken when an endpoint is ejected.
    pub(super) fn wait(&self, waker: &Waker) {
        let woken = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            if waiters.iter().any(|w| w.will_wake(waker)) {
                return;
            }
            // Guards above a `Buffer` wait from many tasks: past a bound,
            // all are woken (they look again, and wait again if need be)
            // rather than the list growing while the set stays healthy.
            let woken = if waiters.len() >= MAX_WAITERS {
                std::mem::take(&mut *waiters)
            } else {
                Vec::new()
            };
            waiters.push(waker.clone());
            woken
        };
        for waker in woken {
            waker.wake();
        }
    }

    /// An endpoint was ejected: guards waiting may now find none left.
    pub(super) fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|e| e.into_inner()));
        for waker in waiters {
            waker.wake();
        }
    }
}
