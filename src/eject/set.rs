//! [`EndpointSet`]: ejection per endpoint behind a balancer, and what the
//! set as a whole decides: how many endpoints may be out at once, and when
//! none is left to try.

use std::fmt;
use std::sync::Arc;

use super::endpoint::EndpointLayer;
use super::guard::AllEjectedLayer;
use super::set_state::SetShared;
use super::{Ejection, Ejector};
use crate::{Classifier, ConfigError};

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
            shared: Arc::new(SetShared::new(Ejector::compile(ejection)?, classifier)),
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
        self.shared.set_max_ejected_percent(percent);
        Ok(self)
    }

    /// The layer to put around each endpoint's client, under the
    /// balancer: each service it makes is a new endpoint of this set.
    pub fn endpoint_layer(&self) -> EndpointLayer {
        EndpointLayer::new(self.shared.clone())
    }

    /// The layer to put above the balancer: while no endpoint can be
    /// tried, it answers at once with the refusal of an ejected upstream
    /// (`destination_unavailable`, whose cause is [`Ejected`](super::Ejected), with the
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
            .field("max_ejected_percent", &self.shared.max_ejected_percent())
            .finish_non_exhaustive()
    }
}
