//! What the layer keeps of every request in case it fails
//! ([`CapturedRequest`]), and the plan of what to keep ([`CapturePlan`]),
//! worked out when the layer is built so a request pays only for what the
//! settings can use.

use std::sync::OnceLock;

use http::request::Parts;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, Version};

/// The parts of a request the layer keeps while the inner service runs, so
/// a failure can still be answered in the right format and reported.
///
/// It is taken from every request, before anything failed, and kept
/// cheaply: the method and version, the `Accept` header when the format is
/// negotiated, `Accept-Language` when the page's language is, the
/// request-id header, the `Content-Type` of a gRPC call, and the URI when
/// a hook or a custom renderer is installed or the failure event would be
/// logged with its path.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    method: Method,
    version: Version,
    /// `None` when nothing will look at it: `/` is shown then.
    uri: Option<Uri>,
    accept: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
    request_id: Option<HeaderValue>,
    /// The `content-type` of a gRPC call, which its answer echoes.
    grpc: Option<HeaderValue>,
}

/// What to keep of each request, decided by the layer's settings.
#[derive(Debug, Clone)]
pub(crate) struct CapturePlan {
    /// Keep `Accept`: the format is negotiated.
    pub(crate) accept: bool,
    /// Keep `Accept-Language`: the page's language is negotiated.
    pub(crate) accept_language: bool,
    /// Keep the URI: a hook or a renderer will see it.
    pub(crate) uri: bool,
    /// Keep the URI when the failure event would be logged: its path is
    /// part of it.
    pub(crate) uri_for_log: bool,
    /// Tell gRPC calls apart: they are answered the gRPC way.
    pub(crate) grpc: bool,
    /// The header bodies show as the request id.
    pub(crate) request_id: HeaderName,
}

impl CapturePlan {
    /// The header bodies show as the request id, unless set.
    pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

    /// Every header a request can be asked for (not its URI); the tests'
    /// plan.
    #[cfg(test)]
    pub(crate) fn everything() -> Self {
        Self {
            accept: true,
            accept_language: true,
            uri: false,
            uri_for_log: false,
            grpc: true,
            request_id: Self::REQUEST_ID,
        }
    }

    /// Whether the URI is kept for this request: someone will see it, or
    /// the failure event is logged with its path and a subscriber would
    /// record it (checked per request, as subscribers can change).
    #[inline]
    fn keeps_uri(&self) -> bool {
        self.uri || (self.uri_for_log && log_would_record())
    }

    #[inline]
    pub(crate) fn capture<B>(&self, request: &Request<B>) -> CapturedRequest {
        self.capture_head(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
            self.keeps_uri(),
        )
    }

    /// Everything, URI included, from a request's head alone.
    pub(crate) fn capture_parts(&self, parts: &Parts) -> CapturedRequest {
        self.capture_head(
            &parts.method,
            parts.version,
            &parts.uri,
            &parts.headers,
            true,
        )
    }

    /// Everything, URI included.
    pub(crate) fn capture_all<B>(&self, request: &Request<B>) -> CapturedRequest {
        self.capture_head(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
            true,
        )
    }

    #[inline]
    fn capture_head(
        &self,
        method: &Method,
        version: Version,
        uri: &Uri,
        headers: &HeaderMap,
        keep_uri: bool,
    ) -> CapturedRequest {
        // One pass over the headers instead of a hashed look-up for each
        // header kept: a request has few headers, and comparing a standard
        // name is comparing a number. The request id and the content type
        // are their first value, as `HeaderMap::get` would take it;
        // `Accept` and `Accept-Language` are lists, whose field lines are
        // one list (RFC 9110 §5.3): joined, only when there are several.
        // gRPC runs over HTTP/2 only, so HTTP/1 requests skip its header.
        let grpc = self.grpc && version == Version::HTTP_2;
        let mut accept = Lines::NONE;
        let mut accept_language = Lines::NONE;
        let mut request_id = None;
        let mut content_type = None;
        for (name, value) in headers {
            if request_id.is_none() && *name == self.request_id {
                request_id = Some(value);
            }
            if *name == header::ACCEPT {
                if self.accept {
                    accept.add(value);
                }
            } else if *name == header::ACCEPT_LANGUAGE {
                if self.accept_language {
                    accept_language.add(value);
                }
            } else if *name == header::CONTENT_TYPE && grpc && content_type.is_none() {
                content_type = Some(value);
            }
        }
        CapturedRequest {
            method: method.clone(),
            version,
            uri: keep_uri.then(|| uri.clone()),
            accept: accept.value(headers, header::ACCEPT),
            accept_language: accept_language.value(headers, header::ACCEPT_LANGUAGE),
            request_id: request_id.cloned(),
            grpc: content_type
                .filter(|value| is_grpc(value.as_bytes()))
                .cloned(),
        }
    }
}

/// The field lines of a list-valued header seen so far: the first, and
/// whether there were more.
struct Lines<'a> {
    first: Option<&'a HeaderValue>,
    more: bool,
}

impl<'a> Lines<'a> {
    const NONE: Self = Self {
        first: None,
        more: false,
    };

    #[inline]
    fn add(&mut self, value: &'a HeaderValue) {
        if self.first.is_none() {
            self.first = Some(value);
        } else {
            self.more = true;
        }
    }

    /// The field's value: its one line, or all its lines joined with `, `
    /// (which allocates, for the rare request that sends several).
    #[inline]
    fn value(self, headers: &HeaderMap, name: HeaderName) -> Option<HeaderValue> {
        let first = self.first?;
        if !self.more {
            return Some(first.clone());
        }
        Some(join_lines(headers, name))
    }
}

#[cold]
fn join_lines(headers: &HeaderMap, name: HeaderName) -> HeaderValue {
    let mut joined = Vec::new();
    for line in headers.get_all(name) {
        if !joined.is_empty() {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(line.as_bytes());
    }
    HeaderValue::from_bytes(&joined).expect("field values joined by `, ` are a field value")
}

/// Whether a failure event would be recorded by the current subscriber.
#[cfg(feature = "tracing")]
#[inline]
fn log_would_record() -> bool {
    tracing::enabled!(target: "tower_gateway_error", tracing::Level::WARN)
}

#[cfg(not(feature = "tracing"))]
#[inline]
fn log_would_record() -> bool {
    false
}

/// Whether `content_type` names gRPC: `application/grpc`, optionally
/// followed by `+format` or parameters.
fn is_grpc(content_type: &[u8]) -> bool {
    const GRPC: &[u8] = b"application/grpc";
    content_type.len() >= GRPC.len()
        && content_type[..GRPC.len()].eq_ignore_ascii_case(GRPC)
        && matches!(content_type.get(GRPC.len()), None | Some(b'+' | b';'))
}

impl CapturedRequest {
    /// Stands in for a request the layer never saw (an error a handler
    /// returned on its own): a GET with no headers.
    #[cfg(feature = "axum")]
    pub(crate) fn unknown() -> Self {
        Self {
            method: Method::GET,
            version: Version::HTTP_11,
            uri: None,
            accept: None,
            accept_language: None,
            request_id: None,
            grpc: None,
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

    /// The request's URI. Hooks and renderers always see it; the layer
    /// keeps it only when one of them is installed or the failure is
    /// logged with its path, so a value seen anywhere else may be `/`.
    pub fn uri(&self) -> &Uri {
        static ROOT: OnceLock<Uri> = OnceLock::new();
        self.uri
            .as_ref()
            .unwrap_or_else(|| ROOT.get_or_init(Uri::default))
    }

    /// The path, when the URI was kept.
    #[cfg(feature = "tracing")]
    pub(crate) fn kept_path(&self) -> Option<&str> {
        self.uri.as_ref().map(Uri::path)
    }

    /// The `Accept` header, when the layer negotiates the body format: its
    /// field lines joined with `, ` when the request sent several.
    pub fn accept(&self) -> Option<&HeaderValue> {
        self.accept.as_ref()
    }

    /// The `Accept-Language` header, when the layer negotiates the page's
    /// language: its field lines joined with `, ` when there were several.
    pub fn accept_language(&self) -> Option<&HeaderValue> {
        self.accept_language.as_ref()
    }

    /// The request-id header (`x-request-id` unless configured otherwise).
    pub fn request_id(&self) -> Option<&HeaderValue> {
        self.request_id.as_ref()
    }

    /// Whether the request is a gRPC call (HTTP/2 with `content-type:
    /// application/grpc` or `application/grpc+...`), which is answered the
    /// gRPC way; always `false` when the layer's
    /// [`grpc`](crate::GatewayErrorLayerBuilder::grpc) handling is off.
    pub fn is_grpc(&self) -> bool {
        self.grpc.is_some()
    }

    /// The `content-type` of a gRPC call (`application/grpc+proto`, say).
    pub(crate) fn grpc_content_type(&self) -> Option<&HeaderValue> {
        self.grpc.as_ref()
    }

    pub(crate) fn is_head(&self) -> bool {
        self.method == Method::HEAD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> CapturePlan {
        CapturePlan::everything()
    }

    #[test]
    fn grpc_content_types() {
        assert!(is_grpc(b"application/grpc"));
        assert!(is_grpc(b"application/grpc+proto"));
        assert!(is_grpc(b"Application/GRPC;charset=utf-8"));
        assert!(!is_grpc(b"application/grpc-web"));
        assert!(!is_grpc(b"application/json"));
        assert!(!is_grpc(b"application/grp"));
    }

    #[test]
    fn only_what_the_plan_asks_for_is_kept() {
        let request = Request::get("/orders/7?x=1")
            .header("accept", "application/json")
            .header("x-request-id", "r-1")
            .body(())
            .unwrap();
        let kept = plan().capture(&request);
        assert_eq!(kept.accept().unwrap(), "application/json");
        assert_eq!(kept.request_id().unwrap(), "r-1");
        assert_eq!(kept.uri(), "/");
        let without_accept = CapturePlan {
            accept: false,
            ..plan()
        };
        assert!(without_accept.capture(&request).accept().is_none());
        assert_eq!(plan().capture_all(&request).uri(), "/orders/7?x=1");
    }

    #[test]
    fn the_first_value_of_each_header_is_kept_and_list_headers_joined() {
        let request = Request::get("/")
            .header("accept-language", "de")
            .header("x-request-id", "first")
            .header("accept", "text/html")
            .header("accept-language", "fr")
            .header("accept", "application/json")
            .header("x-request-id", "second")
            .body(())
            .unwrap();
        let kept = plan().capture(&request);
        assert_eq!(kept.accept().unwrap(), "text/html, application/json");
        assert_eq!(kept.accept_language().unwrap(), "de, fr");
        assert_eq!(kept.request_id().unwrap(), "first");
        let none = CapturePlan {
            accept: false,
            accept_language: false,
            ..plan()
        };
        let kept = none.capture(&request);
        assert!(kept.accept().is_none() && kept.accept_language().is_none());
        assert_eq!(kept.request_id().unwrap(), "first");
    }

    #[test]
    fn grpc_is_an_http2_call_with_a_grpc_content_type() {
        let call = |version| {
            Request::post("/shop.Orders/Get")
                .version(version)
                .header("content-type", "application/grpc+proto")
                .body(())
                .unwrap()
        };
        assert!(plan().capture(&call(Version::HTTP_2)).is_grpc());
        assert!(!plan().capture(&call(Version::HTTP_11)).is_grpc());
        let off = CapturePlan {
            grpc: false,
            ..plan()
        };
        assert!(!off.capture(&call(Version::HTTP_2)).is_grpc());
    }
}
