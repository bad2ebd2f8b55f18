//! The forwarding service for one reqwest version, written once as a
//! macro: `Forward`, the clients it sends through (`Execute`), and its
//! `ResponseFuture`.

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

        use crate::forward::body::SyncBody;
        use crate::forward::request::{remove_hop_by_hop, retarget, upstream_base};
        use crate::{BoxError, ConfigError};

        /// A client [`Forward`] sends through: reqwest's `Client`, or
        /// reqwest-middleware's `ClientWithMiddleware` with its feature.
        pub trait Execute: Clone + Send + Sync + 'static {
            /// Its error, which the layer classifies; a request reqwest
            /// cannot build fails with reqwest's own error.
            type Error: From<$reqwest::Error> + Into<BoxError> + Send + 'static;
            /// The future of one request.
            type Future: Future<Output = Result<$reqwest::Response, Self::Error>> + Send + 'static;

            /// Sends `request`.
            fn execute(&self, request: $reqwest::Request) -> Self::Future;
        }

        impl Execute for $reqwest::Client {
            type Error = $reqwest::Error;
            type Future = <$reqwest::Client as tower_service::Service<$reqwest::Request>>::Future;

            fn execute(&self, request: $reqwest::Request) -> Self::Future {
                tower_service::Service::call(&mut &*self, request)
            }
        }

        /// Its `execute` is an `async fn`, whose future has no name: boxed.
        #[cfg(feature = $middleware_feature)]
        impl Execute for $middleware::ClientWithMiddleware {
            type Error = $middleware::Error;
            type Future = Pin<
                Box<dyn Future<Output = Result<$reqwest::Response, Self::Error>> + Send + 'static>,
            >;

            fn execute(&self, request: $reqwest::Request) -> Self::Future {
                let client = self.clone();
                Box::pin(async move { client.execute(request).await })
            }
        }

        /// A reqwest client as a `Service<http::Request<B>>` that forwards
        /// every request to one upstream (see the [module docs](super)).
        ///
        /// Its response body is `reqwest::Body`; its error is the
        /// client's (`reqwest::Error`, or `reqwest_middleware::Error`), for
        /// the layer and `RetryPolicy` ([`retry`](crate::retry)) to
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
            pub fn get_ref(&self) -> &C {
                &self.client
            }

            /// The client it sends through, to change.
            pub fn get_mut(&mut self) -> &mut C {
                &mut self.client
            }

            /// The client it sent through.
            pub fn into_inner(self) -> C {
                self.client
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
            type Future = ResponseFuture<C::Future, C::Error>;

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
                let state = match $reqwest::Request::try_from(request) {
                    Ok(request) => State::Sending {
                        future: self.client.execute(request),
                    },
                    Err(error) => State::Unsent {
                        error: Some(error.into()),
                    },
                };
                ResponseFuture { state }
            }
        }

        pin_project_lite::pin_project! {
            /// The response future of [`Forward`].
            pub struct ResponseFuture<F, E> {
                #[pin]
                state: State<F, E>,
            }
        }

        pin_project_lite::pin_project! {
            #[project = StateProj]
            enum State<F, E> {
                Sending { #[pin] future: F },
                // reqwest could not build the request.
                Unsent { error: Option<E> },
            }
        }

        impl<F, E> fmt::Debug for ResponseFuture<F, E> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("ResponseFuture").finish_non_exhaustive()
            }
        }

        impl<F, E> Future for ResponseFuture<F, E>
        where
            F: Future<Output = Result<$reqwest::Response, E>>,
        {
            type Output = Result<Response<$reqwest::Body>, E>;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                match self.project().state.project() {
                    StateProj::Sending { future } => {
                        let response = std::task::ready!(future.poll(cx))?;
                        let mut response = Response::from(response);
                        remove_hop_by_hop(response.headers_mut());
                        Poll::Ready(Ok(response))
                    }
                    StateProj::Unsent { error } => Poll::Ready(Err(error
                        .take()
                        .expect("a ResponseFuture is not polled after it is ready"))),
                }
            }
        }
    };
}

pub(super) use reqwest_forward;
