//! Building the error response: status, headers and body for one failure.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

use crate::render::{push_request_id, request_id_text, ErrorContext, Fields};
use crate::settings::{RequestIdSlot, Settings};
use crate::{
    proxy_status, BodyFormat, FailedRequest, ResponseBody, UpstreamError, UpstreamErrorKind,
};

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
pub(crate) const PROXY_STATUS: header::HeaderName = header::HeaderName::from_static("proxy-status");
pub(crate) const ACCEPT: HeaderValue = HeaderValue::from_static("accept");

pub(crate) fn error_response<B>(
    settings: &Settings,
    error: UpstreamError,
    request: &FailedRequest,
) -> Response<ResponseBody<B>> {
    let mut response = build(settings, &error, request);
    // A gRPC answer is an HTTP 200; the log gets the status the failure
    // maps to, so alerts on 5xx see it.
    let status = if request.is_grpc() {
        settings.statuses[error.kind().index()]
    } else {
        response.status()
    };
    report(settings, &error, status, request);
    response.extensions_mut().insert(error);
    response
}

/// [`error_response`] without telling the log and the hook.
#[cfg(feature = "axum")]
pub(crate) fn unreported_error_response<B>(
    settings: &Settings,
    error: UpstreamError,
    request: &FailedRequest,
) -> Response<ResponseBody<B>> {
    let mut response = build(settings, &error, request);
    response.extensions_mut().insert(error);
    response
}

fn build<B>(
    settings: &Settings,
    error: &UpstreamError,
    request: &FailedRequest,
) -> Response<ResponseBody<B>> {
    if let (true, Some(grpc)) = (request.is_grpc(), &settings.grpc) {
        return crate::grpc::error_response(grpc, error);
    }
    let kind = error.kind();
    let status = settings.statuses[kind.index()];
    let format = settings.format_for(request);

    let (headers, body) = match prerendered(settings, error, format, request) {
        Some(ready) => ready,
        None => rendered(settings, error, status, format, request),
    };

    let body = if request.is_head() {
        ResponseBody::empty()
    } else {
        ResponseBody::generated(body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The common case, from what was worked out when the layer was built: a
/// clone of the headers and body, plus the escaped request id if there is
/// one. `None` when this failure needs rendering (a custom renderer, error
/// details, a template that shows the id twice).
fn prerendered(
    settings: &Settings,
    error: &UpstreamError,
    format: BodyFormat,
    request: &FailedRequest,
) -> Option<(HeaderMap, Bytes)> {
    let ready = &settings.prerendered.as_ref()?[error.kind().index()][format.index()];
    let Some(id) = request.request_id() else {
        return Some((ready.headers.clone(), ready.body.clone()));
    };
    match &ready.request_id {
        RequestIdSlot::Ignored => Some((ready.headers.clone(), ready.body.clone())),
        RequestIdSlot::Rerender => None,
        RequestIdSlot::Between(prefix, suffix) => {
            let id = request_id_text(id);
            let mut text = String::with_capacity(prefix.len() + id.len() + suffix.len() + 16);
            text.push_str(prefix);
            push_request_id(&mut text, format, &id);
            text.push_str(suffix);
            let mut headers = ready.headers.clone();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
            Some((headers, Bytes::from(text)))
        }
    }
}

/// Renders this failure's body and headers from scratch.
fn rendered(
    settings: &Settings,
    error: &UpstreamError,
    status: StatusCode,
    format: BodyFormat,
    request: &FailedRequest,
) -> (HeaderMap, Bytes) {
    let details = settings
        .show_details
        .then(|| error.display_chain().to_string());
    let (content_type, body) = match &settings.renderer {
        Some(renderer) => {
            let rendered = renderer.render(&ErrorContext {
                error,
                status,
                format,
                request,
                show_details: settings.show_details,
            });
            (rendered.content_type, rendered.body)
        }
        None => {
            let fields = Fields::new(
                status,
                error,
                &settings.proxy_name,
                request.request_id(),
                details.as_deref(),
            );
            (
                HeaderValue::from_static(settings.bodies.content_type(format)),
                settings.bodies.render(format, &fields),
            )
        }
    };
    let length = HeaderValue::from(body.len());
    let headers = headers(
        settings,
        error.kind(),
        content_type,
        length,
        details.as_deref(),
    );
    (headers, body)
}

/// Every header of an error response of `kind`.
pub(crate) fn headers(
    settings: &Settings,
    kind: UpstreamErrorKind,
    content_type: HeaderValue,
    content_length: HeaderValue,
    details: Option<&str>,
) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8 + settings.extra_headers.len());
    insert_body_headers(&mut headers, content_type, content_length);
    if settings.negotiates() {
        headers.insert(header::VARY, ACCEPT);
    }
    if let Some(retry_after) = &settings.retry_after[kind.index()] {
        headers.insert(header::RETRY_AFTER, retry_after.clone());
    }
    if let Some(values) = &settings.proxy_status {
        let value = match details {
            Some(details) => {
                proxy_status::header_value_with_details(&settings.proxy_member, kind, details)
            }
            None => values[kind.index()].clone(),
        };
        headers.insert(PROXY_STATUS, value);
    }
    insert_extra_headers(&mut headers, &settings.extra_headers);
    headers
}

/// The headers that describe a body the layer wrote, and keep browsers from
/// caching or sniffing it.
pub(crate) fn insert_body_headers(
    headers: &mut HeaderMap,
    content_type: HeaderValue,
    content_length: HeaderValue,
) {
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, content_length);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
}

/// The user's own headers, set last so they win.
pub(crate) fn insert_extra_headers(
    headers: &mut HeaderMap,
    extra: &[(header::HeaderName, HeaderValue)],
) {
    for (name, value) in extra {
        headers.insert(name.clone(), value.clone());
    }
}

/// Tells the log and the hook about a failure, whether it became an error
/// response or broke an upstream body already on its way.
pub(crate) fn report(
    settings: &Settings,
    error: &UpstreamError,
    status: http::StatusCode,
    request: &FailedRequest,
) {
    #[cfg(feature = "tracing")]
    log_failure(error, status, request);
    #[cfg(not(feature = "tracing"))]
    let _ = status;
    if let Some(hook) = &settings.hook {
        hook.on_upstream_error(error, request);
    }
}

/// One event per failure, with the full chain that clients never see.
/// Load shedding is the gateway working as designed and can come in floods,
/// so it is logged at debug rather than warn.
#[cfg(feature = "tracing")]
fn log_failure(error: &UpstreamError, status: http::StatusCode, request: &FailedRequest) {
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                $level,
                kind = error.kind().as_str(),
                status = status.as_u16(),
                retry_safe = error.is_retry_safe(),
                method = %request.method(),
                error = %error.display_chain(),
                "upstream call failed",
            )
        };
    }
    if error.kind() == crate::UpstreamErrorKind::ConnectionLimitReached {
        event!(tracing::Level::DEBUG);
    } else {
        event!(tracing::Level::WARN);
    }
}
