//! [`FailedRequest`]: what the layer keeps of a request in case it fails.

use http::{header, HeaderMap, HeaderValue, Method, Request, Uri, Version};

use crate::settings::Settings;

/// The parts of a request the layer keeps while the inner service runs, so a
/// failure can still be answered in the right format and reported.
///
/// Only what a failure needs is kept, and cheaply: the method and version,
/// the `Accept` header when the format is negotiated, and the request-id
/// header. The URI is kept only when a hook or a custom renderer is
/// installed, so requests pay for it only then.
#[derive(Debug, Clone)]
pub struct FailedRequest {
    method: Method,
    version: Version,
    uri: Option<Uri>,
    accept: Option<HeaderValue>,
    request_id: Option<HeaderValue>,
    grpc: bool,
}

impl FailedRequest {
    #[inline]
    pub(crate) fn capture<B>(request: &Request<B>, settings: &Settings, uri: bool) -> Self {
        Self::capture_head(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
            settings,
            uri,
        )
    }

    /// What `capture` keeps, from the parts of a request head, for callers
    /// that have no `Request` (pingora's `RequestHeader` is `Parts`).
    #[inline]
    pub(crate) fn capture_head(
        method: &Method,
        version: Version,
        uri: &Uri,
        headers: &HeaderMap,
        settings: &Settings,
        keep_uri: bool,
    ) -> Self {
        Self {
            method: method.clone(),
            version,
            uri: keep_uri.then(|| uri.clone()),
            accept: if settings.negotiates() {
                headers.get(header::ACCEPT).cloned()
            } else {
                None
            },
            request_id: headers.get(&settings.request_id_header).cloned(),
            // gRPC runs over HTTP/2 only, so HTTP/1 requests skip the lookup.
            grpc: settings.grpc.is_some()
                && version == Version::HTTP_2
                && headers
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|value| crate::grpc::is_grpc(value.as_bytes())),
        }
    }

    /// Stands in for a request the layer never saw (an error a handler
    /// returned on its own): a GET with no headers.
    #[cfg(feature = "axum")]
    pub(crate) fn unknown() -> Self {
        Self {
            method: Method::GET,
            version: Version::HTTP_11,
            uri: None,
            accept: None,
            request_id: None,
            grpc: false,
        }
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request's URI; `Some` whenever a hook or custom renderer is
    /// installed, or the value came from
    /// [`GatewayErrorLayer::capture_request`](crate::GatewayErrorLayer::capture_request).
    pub fn uri(&self) -> Option<&Uri> {
        self.uri.as_ref()
    }

    /// The `Accept` header, when the layer negotiates the body format.
    pub fn accept(&self) -> Option<&HeaderValue> {
        self.accept.as_ref()
    }

    /// The request-id header (`x-request-id` unless configured otherwise).
    pub fn request_id(&self) -> Option<&HeaderValue> {
        self.request_id.as_ref()
    }

    /// Whether the request is a gRPC call (HTTP/2 with
    /// `content-type: application/grpc` or `application/grpc+...`), which is answered the gRPC way; always
    /// `false` when the layer's [`grpc`](crate::GatewayErrorLayerBuilder::grpc)
    /// handling is off.
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    pub(crate) fn is_head(&self) -> bool {
        self.method == Method::HEAD
    }
}
