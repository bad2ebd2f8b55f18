//! Clients as forwarding services: what a gateway puts under the layer
//! when its client does not speak `http::Request` itself.
//!
//! reqwest's `Client` is a tower `Service` of reqwest's own `Request`;
//! the layer, axum and hyper speak `http::Request`. [`reqwest_0_13::Forward`]
//! (and [`reqwest_0_12::Forward`]) is a `Service<http::Request<B>>` that
//! sends each request to one upstream, keeping its path and query, through
//! a `reqwest::Client` you built (its timeouts, TLS and pool are yours), or
//! through reqwest-middleware's `ClientWithMiddleware` with the
//! `reqwest-middleware-0-5` (or `-0-4`) feature. It removes hop-by-hop
//! headers (RFC 9110 §7.6.1) both ways, lets reqwest write `Host` and pick
//! the HTTP version, and streams bodies both ways (a request without a
//! body is sent with reqwest's empty one, which reqwest-retry can send
//! again; a streaming body it cannot). Its errors are reqwest's
//! (or reqwest-middleware's), which the features' rules classify.
//!
//! ```
//! # #[cfg(feature = "reqwest-0-13")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use reqwest_0_13 as reqwest;
//! # // The crate's tests build reqwest without a crypto provider.
//! # let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
//! use std::time::Duration;
//! use tower::Layer;
//! use tower_gateway_error::forward::reqwest_0_13::Forward;
//! use tower_gateway_error::GatewayErrorLayer;
//!
//! let client = reqwest::Client::builder()
//!     .connect_timeout(Duration::from_secs(5))
//!     .read_timeout(Duration::from_secs(30))
//!     .redirect(reqwest::redirect::Policy::none())
//!     .build()?;
//! let forward = Forward::new(client, "http://127.0.0.1:8080")?;
//! let gateway = GatewayErrorLayer::new().layer(forward);
//! // axum::Router::new().fallback_service(gateway), or serve it with hyper.
//! # let _ = gateway;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "reqwest-0-13"))]
//! # fn main() {}
//! ```

use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use http::header::{self, HeaderMap, HeaderName};
use http::uri::{PathAndQuery, Scheme, Uri};
use http::Request;
use http_body::{Body, Frame, SizeHint};

use crate::ConfigError;

#[cfg(feature = "reqwest-0-12")]
pub mod reqwest_0_12;
#[cfg(feature = "reqwest-0-13")]
pub mod reqwest_0_13;

/// The upstream's scheme and authority, checked once.
fn upstream_base(url: &str) -> Result<Uri, ConfigError> {
    let invalid = || ConfigError::InvalidUpstreamUrl {
        url: url.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|_| invalid())?;
    let scheme_ok = uri.scheme() == Some(&Scheme::HTTP) || uri.scheme() == Some(&Scheme::HTTPS);
    let path_ok = matches!(uri.path(), "" | "/") && uri.query().is_none();
    if !scheme_ok || uri.authority().is_none() || !path_ok {
        return Err(invalid());
    }
    Ok(uri)
}

/// `request`, pointed at `base` with its own path and query, with the
/// headers that describe the connection to the gateway removed.
fn retarget<B>(request: &mut Request<B>, base: &Uri) {
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(
        request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/")),
    );
    *request.uri_mut() = Uri::from_parts(parts).expect("a checked base and a request's path");
    // reqwest writes the upstream's Host from the URL, and picks the HTTP
    // version itself.
    *request.version_mut() = http::Version::default();
    request.headers_mut().remove(header::HOST);
    remove_hop_by_hop(request.headers_mut());
}

/// Removes the headers that describe one connection, not the message
/// (RFC 9110 §7.6.1): the ones `Connection` names, and the usual ones.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(header::CONNECTION) {
        let named: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|name| name.trim().parse().ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

/// `reqwest::Body::wrap` wants a `Sync` body; hyper's `Incoming` and
/// axum's `Body` are not. A `Mutex` makes one `Sync`; polling has `&mut`
/// access, so it never locks, and the body streams rather than being
/// collected.
struct SyncBody<B>(Mutex<B>);

impl<B> Body for SyncBody<B>
where
    B: Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let body = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        Pin::new(body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .size_hint()
    }
}

/// One module per reqwest version: `Forward`, and the clients it sends
/// through.
macro_rules! reqwest_forward {
    ($reqwest:ident, $middleware:ident, $middleware_feature:literal) => {
        use std::fmt;
        use std::future::Future;
        use std::pin::Pin;
        use std::sync::Mutex;
        use std::task::{Context, Poll};

        use bytes::Bytes;
        use http::{Request, Response, Uri};

        use crate::forward::{remove_hop_by_hop, retarget, upstream_base, SyncBody};
        use crate::{BoxError, ConfigError};

        /// The future of a request sent through an [`Execute`] client.
        pub type Sending<E> =
            Pin<Box<dyn Future<Output = Result<$reqwest::Response, E>> + Send + 'static>>;

        /// A client [`Forward`] sends through: reqwest's `Client`, or
        /// reqwest-middleware's `ClientWithMiddleware` with its feature.
        pub trait Execute: Clone + Send + Sync + 'static {
            /// Its error, which the layer classifies; a request reqwest
            /// cannot build fails with reqwest's own error.
            type Error: From<$reqwest::Error> + Into<BoxError> + Send + 'static;

            /// Sends `request`.
            fn execute(&self, request: $reqwest::Request) -> Sending<Self::Error>;
        }

        impl Execute for $reqwest::Client {
            type Error = $reqwest::Error;

            fn execute(&self, request: $reqwest::Request) -> Sending<Self::Error> {
                Box::pin($reqwest::Client::execute(self, request))
            }
        }

        #[cfg(feature = $middleware_feature)]
        impl Execute for $middleware::ClientWithMiddleware {
            type Error = $middleware::Error;

            fn execute(&self, request: $reqwest::Request) -> Sending<Self::Error> {
                let client = self.clone();
                Box::pin(async move { client.execute(request).await })
            }
        }

        /// A reqwest client as a `Service<http::Request<B>>` that forwards
        /// every request to one upstream (see the [module docs](super)).
        ///
        /// Its response body is `reqwest::Body`; its error is the
        /// client's (`reqwest::Error`, or `reqwest_middleware::Error`), for
        /// the layer and [`RetryPolicy`](crate::retry::RetryPolicy) to
        /// classify.
        #[derive(Clone)]
        pub struct Forward<C = $reqwest::Client> {
            client: C,
            upstream: Uri,
        }

        impl<C: Execute> Forward<C> {
            /// Forwards to `upstream`: a scheme (`http` or `https`), a host
            /// and optionally a port, with no path (each request keeps its
            /// own path and query).
            pub fn new(client: C, upstream: &str) -> Result<Self, ConfigError> {
                Ok(Self {
                    client,
                    upstream: upstream_base(upstream)?,
                })
            }

            /// The client it sends through.
            pub fn client(&self) -> &C {
                &self.client
            }

            /// The upstream it sends to.
            pub fn upstream(&self) -> &Uri {
                &self.upstream
            }
        }

        impl<C> fmt::Debug for Forward<C> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Forward")
                    .field("upstream", &self.upstream)
                    .finish_non_exhaustive()
            }
        }

        impl<C, B> tower_service::Service<Request<B>> for Forward<C>
        where
            C: Execute,
            B: http_body::Body + Send + Unpin + 'static,
            B::Data: Into<Bytes>,
            B::Error: Into<BoxError>,
        {
            type Response = Response<$reqwest::Body>;
            type Error = C::Error;
            type Future =
                Pin<Box<dyn Future<Output = Result<Self::Response, C::Error>> + Send + 'static>>;

            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
                // reqwest's pool needs no readiness; its errors come from
                // sending.
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, mut request: Request<B>) -> Self::Future {
                retarget(&mut request, &self.upstream);
                let request = request.map(|body| {
                    // A request without a body (most GETs) gets reqwest's
                    // empty one, which can be cloned: reqwest-retry resends
                    // only requests it can clone.
                    if body.is_end_stream() {
                        $reqwest::Body::from(Bytes::new())
                    } else {
                        $reqwest::Body::wrap(SyncBody(Mutex::new(body)))
                    }
                });
                let client = self.client.clone();
                Box::pin(async move {
                    let request = $reqwest::Request::try_from(request)?;
                    let response = client.execute(request).await?;
                    let mut response = Response::from(response);
                    remove_hop_by_hop(response.headers_mut());
                    Ok(response)
                })
            }
        }
    };
}

use reqwest_forward;
