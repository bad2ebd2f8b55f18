//! [`DnsResolver`]: hyper-util's resolver, failing with [`DnsError`].

use std::future::Future;
use std::iter::Peekable;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower_service::Service;

use super::DnsError;
use crate::BoxError;

/// A resolver for hyper-util's `HttpConnector` that wraps another
/// (getaddrinfo by default) and fails with [`DnsError`]: a failed lookup
/// or one with no address is `dns_error`, one slower than the
/// [`timeout`](Self::timeout) is `dns_timeout`.
///
/// Without it the classifier still sees a hyper-util resolver failure,
/// through the message of hyper-util's private connect error, but cannot
/// tell a slow resolver from a failing one.
///
/// ```
/// use std::time::Duration;
/// use hyper_util::client::legacy::{connect::HttpConnector, Client};
/// use hyper_util::rt::TokioExecutor;
/// use tower_gateway_error::dns::DnsResolver;
///
/// let resolver = DnsResolver::new().timeout(Duration::from_secs(2));
/// let connector = HttpConnector::new_with_resolver(resolver);
/// let client: Client<_, String> = Client::builder(TokioExecutor::new()).build(connector);
/// # drop(client);
/// ```
#[derive(Debug, Clone)]
pub struct DnsResolver<R = GaiResolver> {
    inner: R,
    timeout: Option<Duration>,
}

impl DnsResolver<GaiResolver> {
    /// Wraps hyper-util's default resolver (getaddrinfo on a blocking
    /// thread), with no time limit.
    pub fn new() -> Self {
        Self::wrap(GaiResolver::new())
    }
}

impl Default for DnsResolver<GaiResolver> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> DnsResolver<R> {
    /// Wraps any resolver: a `Service<Name>` answering with socket
    /// addresses, as hyper-util's `HttpConnector` takes.
    pub fn wrap(inner: R) -> Self {
        Self {
            inner,
            timeout: None,
        }
    }

    /// Fails a lookup slower than `limit` with a timeout
    /// [`DnsError`] (`dns_timeout`, 504) and stops waiting for it.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// The wrapped resolver.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Unwraps the wrapped resolver.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R> Service<Name> for DnsResolver<R>
where
    R: Service<Name>,
    R::Response: Iterator<Item = SocketAddr>,
    R::Error: Into<BoxError>,
{
    type Response = Peekable<R::Response>;
    type Error = DnsError;
    type Future = ResolveFuture<R::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DnsError>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| DnsError::failed("(the resolver was not ready)", error))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        ResolveFuture {
            name: name.as_str().into(),
            deadline: self.timeout.map(tokio::time::sleep),
            limit: self.timeout.unwrap_or_default(),
            lookup: self.inner.call(name),
        }
    }
}

pin_project! {
    /// The future of a [`DnsResolver`] lookup.
    pub struct ResolveFuture<F> {
        #[pin]
        lookup: F,
        name: Box<str>,
        #[pin]
        deadline: Option<Sleep>,
        limit: Duration,
    }
}

impl<F> std::fmt::Debug for ResolveFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolveFuture")
            .field("name", &self.name)
            .field("limit", &self.deadline.as_ref().map(|_| self.limit))
            .finish_non_exhaustive()
    }
}

impl<F, A, E> Future for ResolveFuture<F>
where
    F: Future<Output = Result<A, E>>,
    A: Iterator<Item = SocketAddr>,
    E: Into<BoxError>,
{
    type Output = Result<Peekable<A>, DnsError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.lookup.poll(cx) {
            let name = std::mem::take(this.name);
            return Poll::Ready(match result {
                Ok(addresses) => {
                    let mut addresses = addresses.peekable();
                    match addresses.peek() {
                        Some(_) => Ok(addresses),
                        None => Err(DnsError::no_addresses(name)),
                    }
                }
                Err(error) => Err(DnsError::failed(name, error)),
            });
        }
        match this.deadline.as_pin_mut().map(|deadline| deadline.poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Err(DnsError::timed_out(
                std::mem::take(this.name),
                *this.limit,
            ))),
            Some(Poll::Pending) | None => Poll::Pending,
        }
    }
}
