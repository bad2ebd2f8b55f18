//! Writing the error body: the default HTML, problem+json and text bodies,
//! user templates, and the [`RenderBody`] trait for bodies of your own.

mod escape;
mod json_syntax;
mod pages;
mod template;

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

pub(crate) use self::template::Template;
pub use self::template::TemplateError;
use crate::{BodyFormat, FailedRequest, UpstreamError};

/// Request ids longer than this are cut before they are echoed.
const MAX_REQUEST_ID_LEN: usize = 128;

/// What a renderer knows about one failure.
pub struct ErrorContext<'a> {
    pub(crate) error: &'a UpstreamError,
    pub(crate) status: StatusCode,
    pub(crate) format: BodyFormat,
    pub(crate) request: &'a FailedRequest,
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
    pub fn request(&self) -> &'a FailedRequest {
        self.request
    }

    /// Whether the layer's settings allow error details in the response.
    pub fn details_allowed(&self) -> bool {
        self.show_details
    }
}

impl fmt::Debug for ErrorContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorContext")
            .field("error", &self.error)
            .field("status", &self.status)
            .field("format", &self.format)
            .field("request", &self.request)
            .field("show_details", &self.show_details)
            .finish()
    }
}

/// A body written by a custom [`RenderBody`], with its `Content-Type`.
#[derive(Debug, Clone)]
pub struct RenderedBody {
    pub(crate) content_type: HeaderValue,
    pub(crate) body: Bytes,
}

impl RenderedBody {
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
/// use tower_gateway_error::{ErrorContext, GatewayErrorLayer, RenderedBody};
///
/// let layer = GatewayErrorLayer::builder()
///     .renderer(|cx: &ErrorContext<'_>| {
///         let body = format!("upstream trouble ({})\n", cx.error().kind());
///         RenderedBody::new(HeaderValue::from_static("text/plain; charset=utf-8"), body)
///     })
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
pub trait RenderBody: Send + Sync + 'static {
    /// Writes the body for one failure.
    fn render(&self, cx: &ErrorContext<'_>) -> RenderedBody;
}

impl<F> RenderBody for F
where
    F: Fn(&ErrorContext<'_>) -> RenderedBody + Send + Sync + 'static,
{
    fn render(&self, cx: &ErrorContext<'_>) -> RenderedBody {
        self(cx)
    }
}

/// A request id as bodies show it: at most `MAX_REQUEST_ID_LEN` bytes, as
/// UTF-8 (invalid bytes replaced); escaping for the format comes later.
pub(crate) fn request_id_text(value: &HeaderValue) -> Cow<'_, str> {
    let bytes = value.as_bytes();
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_REQUEST_ID_LEN)])
}

/// Appends `id` escaped for `format`, as the built-in bodies and templates
/// escape it (JSON without the quotes, which surround the placeholder).
pub(crate) fn push_request_id(out: &mut String, format: BodyFormat, id: &str) {
    match format {
        BodyFormat::Html => escape::push_html(out, id),
        BodyFormat::Json => escape::push_json_content(out, id),
        BodyFormat::Text => escape::push_text(out, id, false),
    }
}

/// The values a body shows, already reduced to what a client may see.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    pub(crate) status: u16,
    pub(crate) title: &'a str,
    pub(crate) detail: &'a str,
    pub(crate) error: &'a str,
    pub(crate) proxy: &'a str,
    pub(crate) request_id: Option<Cow<'a, str>>,
    pub(crate) details: Option<&'a str>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(
        status: StatusCode,
        error: &'a UpstreamError,
        proxy: &'a str,
        request_id: Option<&'a HeaderValue>,
        details: Option<&'a str>,
    ) -> Self {
        let request_id = request_id.map(request_id_text);
        Self {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            detail: error.kind().description(),
            error: error.kind().as_str(),
            proxy,
            request_id,
            details,
        }
    }

    /// Fields with every optional value present, for checking templates.
    pub(crate) fn full_sample() -> Fields<'static> {
        Fields {
            request_id: Some(Cow::Borrowed("sample")),
            details: Some("sample"),
            ..Fields::empty_sample()
        }
    }

    /// Fields with every optional value absent, for checking templates.
    pub(crate) fn empty_sample() -> Fields<'static> {
        Fields {
            status: 502,
            title: "Bad Gateway",
            detail: "sample",
            error: "proxy_internal_error",
            proxy: "proxy",
            request_id: None,
            details: None,
        }
    }
}

/// The built-in bodies, or the user's templates where set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bodies {
    pub(crate) html: Option<Template>,
    pub(crate) json: Option<Template>,
}

impl Bodies {
    pub(crate) fn render(&self, format: BodyFormat, fields: &Fields<'_>) -> Bytes {
        let text = match (format, &self.html, &self.json) {
            (BodyFormat::Html, Some(template), _) | (BodyFormat::Json, _, Some(template)) => {
                template.render(fields)
            }
            (BodyFormat::Html, None, _) => pages::html(fields),
            (BodyFormat::Json, _, None) => pages::json(fields),
            (BodyFormat::Text, _, _) => pages::text(fields),
        };
        Bytes::from(text)
    }

    /// A user's JSON template is their own shape, not necessarily an RFC
    /// 9457 problem document, so it is sent as plain `application/json`.
    pub(crate) fn content_type(&self, format: BodyFormat) -> &'static str {
        match (format, &self.json) {
            (BodyFormat::Json, Some(_)) => "application/json",
            _ => format.content_type(),
        }
    }

    /// Whether the body in `format` changes with the request id or details
    /// (the built-in bodies show both when present).
    pub(crate) fn depends_on_request(&self, format: BodyFormat) -> bool {
        match (format, &self.html, &self.json) {
            (BodyFormat::Html, Some(t), _) | (BodyFormat::Json, _, Some(t)) => t.uses_request(),
            _ => true,
        }
    }
}
