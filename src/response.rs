//! Building the error response: status, headers and body for one failure.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::Response;

use crate::render::{ErrorContext, Fields};
use crate::settings::{FormatChoice, Settings};
use crate::{negotiate, proxy_status, FailedRequest, ResponseBody, UpstreamError};

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const ACCEPT: HeaderValue = HeaderValue::from_static("accept");

pub(crate) fn error_response<B>(
    settings: &Settings,
    error: UpstreamError,
    request: &FailedRequest,
) -> Response<ResponseBody<B>> {
    let kind = error.kind();
    let status = settings.statuses[kind.index()];
    let (format, negotiated) = match settings.format {
        FormatChoice::Fixed(format) => (format, false),
        FormatChoice::Negotiate { fallback } => (negotiate(request.accept(), fallback), true),
    };
    let details = settings
        .show_details
        .then(|| error.display_chain().to_string());

    let (content_type, body, content_length): (HeaderValue, Bytes, HeaderValue) =
        if let Some(renderer) = &settings.renderer {
            let rendered = renderer.render(&ErrorContext {
                error: &error,
                status,
                format,
                request,
                show_details: settings.show_details,
            });
            let length = HeaderValue::from(rendered.body.len());
            (rendered.content_type, rendered.body, length)
        } else {
            let content_type = HeaderValue::from_static(settings.bodies.content_type(format));
            let request_independent = details.is_none()
                && (request.request_id().is_none() || !settings.bodies.depends_on_request(format));
            if request_independent {
                let ready = &settings.prerendered[kind.index()][format.index()];
                (
                    content_type,
                    ready.body.clone(),
                    ready.content_length.clone(),
                )
            } else {
                let fields = Fields::new(
                    status,
                    &error,
                    &settings.proxy_name,
                    request.request_id(),
                    details.as_deref(),
                );
                let body = settings.bodies.render(format, &fields);
                let length = HeaderValue::from(body.len());
                (content_type, body, length)
            }
        };

    let mut headers = HeaderMap::with_capacity(8 + settings.extra_headers.len());
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, content_length);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    if negotiated {
        headers.insert(header::VARY, ACCEPT);
    }
    if let Some(retry_after) = &settings.retry_after[kind.index()] {
        headers.insert(header::RETRY_AFTER, retry_after.clone());
    }
    if let Some(values) = &settings.proxy_status {
        let value = match &details {
            Some(details) => {
                proxy_status::header_value_with_details(&settings.proxy_member, kind, details)
            }
            None => values[kind.index()].clone(),
        };
        headers.insert(PROXY_STATUS, value);
    }
    for (name, value) in &settings.extra_headers {
        headers.insert(name.clone(), value.clone());
    }

    let body = if request.is_head() {
        ResponseBody::empty()
    } else {
        ResponseBody::generated(body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;

    report(settings, &error, status, request);
    response.extensions_mut().insert(error);
    response
}

const PROXY_STATUS: header::HeaderName = header::HeaderName::from_static("proxy-status");

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
