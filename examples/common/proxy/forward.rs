//! `Forward`: one upstream's client as a tower `Service`, with the
//! request pointed at the upstream and hop-by-hop headers removed both
//! ways.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{header, HeaderMap, HeaderName, Request, Uri, Version};
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use tower::Service;

use super::BoxError;

/// Forwards every request to one upstream: same method, path, query, body;
/// headers minus hop-by-hop ones; `Host` set from the upstream.
// The client and the target behind one `Arc`: a server clones its service
// for every request, and the client alone is a handful of `Arc`s.
#[derive(Debug)]
pub struct Forward<C, B> {
    upstream: Arc<Upstream<C, B>>,
}

#[derive(Debug)]
struct Upstream<C, B> {
    client: Client<C, B>,
    scheme: Scheme,
    authority: Authority,
    version: Version,
}

// By hand: deriving would demand `C: Clone, B: Clone`.
impl<C, B> Clone for Forward<C, B> {
    fn clone(&self) -> Self {
        Self {
            upstream: Arc::clone(&self.upstream),
        }
    }
}

impl<C, B> Forward<C, B> {
    pub fn new(client: Client<C, B>, upstream: &Uri, http2: bool) -> Self {
        let upstream = Upstream {
            client,
            scheme: upstream.scheme().cloned().unwrap_or(Scheme::HTTP),
            authority: upstream
                .authority()
                .cloned()
                .expect("an upstream has a host"),
            version: if http2 {
                Version::HTTP_2
            } else {
                Version::HTTP_11
            },
        };
        Self {
            upstream: Arc::new(upstream),
        }
    }
}

impl<C, B> Service<Request<B>> for Forward<C, B>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper_util::client::legacy::Error;
    type Future = ForwardFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The client queues and pools by itself.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let upstream = &*self.upstream;
        *request.uri_mut() = Uri::builder()
            .scheme(upstream.scheme.clone())
            .authority(upstream.authority.clone())
            .path_and_query(path)
            .build()
            .expect("scheme, authority and path from valid parts");
        *request.version_mut() = upstream.version;
        remove_hop_by_hop(request.headers_mut());
        // The client writes Host (or :authority) from the URI.
        request.headers_mut().remove(header::HOST);
        ForwardFuture {
            inner: upstream.client.request(request),
        }
    }
}

/// The client's response future, with the response's hop-by-hop headers
/// removed too (an upstream's `Connection: close` is about its connection
/// to us, not ours to the client).
pub struct ForwardFuture {
    inner: hyper_util::client::legacy::ResponseFuture,
}

impl Future for ForwardFuture {
    type Output = Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(Pin::new(&mut self.inner).poll(cx))?;
        remove_hop_by_hop(response.headers_mut());
        Poll::Ready(Ok(response))
    }
}

/// RFC 9110 §7.6.1: headers that describe one connection, not the message,
/// including any the `Connection` header names. `TE: trailers` is kept: it
/// is end-to-end in effect (gRPC needs it) and HTTP/2 allows exactly it.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let te_trailers = headers
        .get(header::TE)
        .is_some_and(|te| te.as_bytes().eq_ignore_ascii_case(b"trailers"));
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
    if te_trailers {
        headers.insert(header::TE, http::HeaderValue::from_static("trailers"));
    }
}
