//! Bodies of your own: the [`RenderBody`] trait, what it is told about a
//! failure ([`ErrorContext`]), and what it returns ([`CustomBody`]).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

use super::format::BodyFormat;
use crate::request::CapturedRequest;
use crate::UpstreamError;

/// What a renderer knows about one failure.
#[derive(Debug)]
pub struct ErrorContext<'a> {
    pub(crate) error: &'a UpstreamError,
    pub(crate) status: StatusCode,
    pub(crate) format: BodyFormat,
    pub(crate) request: &'a CapturedRequest,
    pub(crate) show_details: bool,
}

impl<'a> ErrorContext<'a> {
    /// The classified failure. Its text may hold upstream addresses: show it
    /// only if [`details_allowed`](Self::details_allowed).
    pub fn error(&self) -> &'a UpstreamError {
        self.error
    }

    /// The status the response will have.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The format chosen for this request (fixed, or negotiated by `Accept`).
    pub fn format(&self) -> BodyFormat {
        self.format
    }

    /// What the layer kept of the request.
    pub fn request(&self) -> &'a CapturedRequest {
        self.request
    }

    /// Whether the layer's settings allow error details in the response.
    pub fn details_allowed(&self) -> bool {
        self.show_details
    }
}

/// A body written by a custom [`RenderBody`], with its `Content-Type`.
#[derive(Debug, Clone)]
pub struct CustomBody {
    pub(crate) content_type: HeaderValue,
    pub(crate) body: Bytes,
}

impl CustomBody {
    /// A body and the `Content-Type` that describes it.
    pub fn new(content_type: HeaderValue, body: impl Into<Bytes>) -> Self {
        Self {
            content_type,
            body: body.into(),
        }
    }
}

/// Writes error bodies of your own; install it with
/// [`GatewayErrorLayerBuilder::renderer`](crate::GatewayErrorLayerBuilder::renderer).
///
/// The layer still sets the status, `Content-Length`, `Cache-Control`,
/// `Retry-After` and `Proxy-Status`, and sends no body to `HEAD`. Closures of
/// the right shape are renderers:
///
/// ```
/// use http::HeaderValue;
/// use tower_gateway_error::render::{CustomBody, ErrorContext};
/// use tower_gateway_error::GatewayErrorLayer;
///
/// let layer = GatewayErrorLayer::builder()
///     .renderer(|cx: &ErrorContext<'_>| {
///         let body = format!("upstream trouble ({})\n", cx.error().kind());
///         CustomBody::new(HeaderValue::from_static("text/plain; charset=utf-8"), body)
///     })
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
pub trait RenderBody: Send + Sync + 'static {
    /// Writes the body for one failure.
    fn render(&self, cx: &ErrorContext<'_>) -> CustomBody;
}

impl<F> RenderBody for F
where
    F: Fn(&ErrorContext<'_>) -> CustomBody + Send + Sync + 'static,
{
    fn render(&self, cx: &ErrorContext<'_>) -> CustomBody {
        self(cx)
    }
}

/// The renderer the user installed, shared by every layer built from the
/// same settings.
#[derive(Clone)]
pub(crate) struct Renderer(Arc<dyn RenderBody>);

impl Renderer {
    pub(crate) fn new(renderer: impl RenderBody) -> Self {
        Self(Arc::new(renderer))
    }

    pub(crate) fn render(&self, cx: &ErrorContext<'_>) -> CustomBody {
        self.0.render(cx)
    }
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderBody(..)")
    }
}
