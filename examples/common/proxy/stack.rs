//! What the layer wraps: `Forward` directly, or a composed stack (a
//! balancer over several, a retry), under a timeout and load shedding.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Request;
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::ServiceList;
use tower::limit::ConcurrencyLimit;
use tower::load::{CompleteOnResponse, PendingRequestsDiscover};
use tower::load_shed::LoadShed;
use tower::timeout::Timeout;
use tower::util::{BoxCloneSyncService, BoxService, Either};
use tower::{Layer, Service, ServiceExt};
use tower_gateway_error::eject::EndpointSet;
use tower_gateway_error::ConfigError;

use super::{Args, BoxError, Forward};

/// What the layer wraps, under tower's timeout (`--timeout`: the layer
/// answers 504) and load shedding (the layer answers 503 when the service
/// below is not ready: beyond `--max-concurrency` requests in flight, or a
/// full `Buffer` in front of a balancer). Both fail with errors, which is
/// why they go under the layer. Without `--max-concurrency` there is no
/// limit at all, rather than one too high to matter: a `ConcurrencyLimit`
/// takes a semaphore permit for every request and allocates when cloned,
/// which a server does per request.
pub type Guarded<S> = Timeout<LoadShed<Either<ConcurrencyLimit<S>, S>>>;

/// Anything but one `Forward` called directly: several upstreams balanced
/// by tower's p2c (each in an `EndpointSet`'s endpoint layer with
/// `--eject-after`, the set's guard above the balancer, a `Buffer` that
/// shares them between connections), and with `--retries` tower's `Retry`
/// with the crate's `RetryPolicy` above them (or above the one `Forward`)
/// and `ReadBody` above that. Boxed: the composed types are long, and a
/// box per request costs little beside a balancer's or a retry's work.
pub type Composed<B> =
    BoxCloneSyncService<Request<B>, http::Response<hyper::body::Incoming>, BoxError>;

/// What the layer wraps: one upstream forwarded to directly, or a composed
/// stack.
// Made once and cloned per request; boxing the direct variant would put a
// pointer and a boxed future between it and every request. Not tower's
// `Either`: with it, the connection task's future is no longer seen as
// `Send` for every lifetime of the boxed error, and `tokio::spawn` refuses
// it ("one type is more general than the other").
#[allow(clippy::large_enum_variant)]
pub enum Upstreams<C, B> {
    Direct(Guarded<Forward<C, B>>),
    Composed(Guarded<Composed<B>>),
}

// By hand: deriving would demand `C: Clone, B: Clone`.
impl<C, B> Clone for Upstreams<C, B> {
    fn clone(&self) -> Self {
        match self {
            Self::Direct(direct) => Self::Direct(direct.clone()),
            Self::Composed(composed) => Self::Composed(composed.clone()),
        }
    }
}

impl<C, B> Service<Request<B>> for Upstreams<C, B>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<hyper::body::Incoming>;
    type Error = BoxError;
    type Future = UpstreamsFuture<
        <Guarded<Forward<C, B>> as Service<Request<B>>>::Future,
        <Guarded<Composed<B>> as Service<Request<B>>>::Future,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Self::Direct(direct) => direct.poll_ready(cx),
            Self::Composed(composed) => composed.poll_ready(cx),
        }
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        match self {
            Self::Direct(direct) => UpstreamsFuture::Direct {
                future: direct.call(request),
            },
            Self::Composed(composed) => UpstreamsFuture::Composed {
                future: composed.call(request),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of `Upstreams`.
    #[project = UpstreamsFutureProj]
    pub enum UpstreamsFuture<D, S> {
        Direct { #[pin] future: D },
        Composed { #[pin] future: S },
    }
}

impl<D, S, T> Future for UpstreamsFuture<D, S>
where
    D: Future<Output = Result<T, BoxError>>,
    S: Future<Output = Result<T, BoxError>>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            UpstreamsFutureProj::Direct { future } => future.poll(cx),
            UpstreamsFutureProj::Composed { future } => future.poll(cx),
        }
    }
}

pub(super) fn guarded<S>(inner: S, args: &Args) -> Guarded<S> {
    let limited = match args.max_concurrency {
        Some(limit) => Either::Left(ConcurrencyLimit::new(inner, limit)),
        None => Either::Right(inner),
    };
    Timeout::new(LoadShed::new(limited), args.timeout)
}

/// The upstreams of `args`, one or balanced, as one service.
#[cfg_attr(not(feature = "retry"), allow(dead_code))]
pub(super) fn one_or_balanced<C, B>(
    args: &Args,
    client: Client<C, B>,
) -> Result<Composed<B>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if args.balances() {
        return balanced(args, client);
    }
    let forward = Forward::new(client, &args.upstream[0], args.upstream_http2);
    Ok(BoxCloneSyncService::new(forward.map_err(
        |error: hyper_util::client::legacy::Error| -> BoxError { Box::new(error) },
    )))
}

/// The upstreams of `args`, balanced.
pub(super) fn balanced<C, B>(args: &Args, client: Client<C, B>) -> Result<Composed<B>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Endpoint<B> = BoxService<Request<B>, http::Response<hyper::body::Incoming>, BoxError>;
    let set = args.ejection().map(EndpointSet::new).transpose()?;
    let endpoints: Vec<Endpoint<B>> = args
        .upstream
        .iter()
        .map(|upstream| {
            let forward = Forward::new(client.clone(), upstream, args.upstream_http2);
            match &set {
                Some(set) => BoxService::new(set.endpoint_layer().layer(forward)),
                None => BoxService::new(forward.map_err(
                    |error: hyper_util::client::legacy::Error| -> BoxError { Box::new(error) },
                )),
            }
        })
        .collect();
    let balance = Balance::new(PendingRequestsDiscover::new(
        ServiceList::new(endpoints),
        CompleteOnResponse::default(),
    ));
    let guarded = match &set {
        Some(set) => BoxService::new(set.all_ejected_layer().layer(balance)),
        None => BoxService::new(balance),
    };
    Ok(BoxCloneSyncService::new(Buffer::new(guarded, 1024)))
}
