//! Replacing the body of the upstream's own error responses (off by
//! default; see
//! [`intercept`](crate::GatewayErrorLayerBuilder::intercept)).

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderValue, Response, StatusCode};

use crate::render::Fields;
use crate::response::{insert_body_headers, insert_extra_headers, ACCEPT, PROXY_STATUS};
use crate::settings::Settings;
use crate::{FailedRequest, ResponseBody};

/// Headers that describe the upstream's body, which is replaced.
const BODY_HEADERS: [HeaderName; 14] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
    header::CONTENT_RANGE,
    header::CONTENT_DISPOSITION,
    header::TRANSFER_ENCODING,
    header::ETAG,
    header::LAST_MODIFIED,
    header::ACCEPT_RANGES,
    header::TRAILER,
    HeaderName::from_static("digest"),
    HeaderName::from_static("content-digest"),
];

/// One status whose upstream responses get the layer's body, with what
/// can be worked out when the layer is built.
#[derive(Debug, Clone)]
pub(crate) struct Intercepted {
    pub(crate) status: StatusCode,
    detail: String,
    /// This gateway's `Proxy-Status` member: `name; received-status=503`.
    member: String,
}

impl Intercepted {
    pub(crate) fn new(status: StatusCode, proxy_member: &str) -> Self {
        Self {
            status,
            detail: format!(
                "The upstream server answered {} {}.",
                status.as_u16(),
                status.canonical_reason().unwrap_or("with an error")
            ),
            member: format!("{proxy_member}; received-status={}", status.as_u16()),
        }
    }
}

/// The upstream's response with the layer's body in place of its own: the
/// upstream's status and other headers (`Retry-After` among them) are
/// kept, the headers that described its body are replaced, and this
/// gateway's member is appended to `Proxy-Status`.
pub(crate) fn replace_body<B>(
    settings: &Settings,
    intercepted: &Intercepted,
    response: Response<B>,
    request: &FailedRequest,
) -> Response<ResponseBody<B>> {
    // The upstream's body is dropped unread; its connection is not reused.
    let (mut parts, _) = response.into_parts();
    let format = settings.format_for(request);
    let fields = Fields {
        status: intercepted.status.as_u16(),
        title: intercepted.status.canonical_reason().unwrap_or("Error"),
        detail: &intercepted.detail,
        // No RFC 9209 error type fits: the upstream did answer.
        error: "",
        proxy: &settings.proxy_name,
        request_id: request.request_id().map(crate::render::request_id_text),
        details: None,
    };
    let body: Bytes = settings.bodies.render(format, &fields);

    let headers = &mut parts.headers;
    for name in &BODY_HEADERS {
        headers.remove(name);
    }
    insert_body_headers(
        headers,
        HeaderValue::from_static(settings.bodies.content_type(format)),
        HeaderValue::from(body.len()),
    );
    if settings.negotiates() {
        add_vary_accept(headers);
    }
    if settings.proxy_status.is_some() {
        let value = appended_member(headers.get_all(&PROXY_STATUS).iter(), &intercepted.member);
        headers.insert(PROXY_STATUS, value);
    }
    insert_extra_headers(headers, &settings.extra_headers);

    let body = if request.is_head() {
        ResponseBody::empty()
    } else {
        ResponseBody::generated(body)
    };
    Response::from_parts(parts, body)
}

/// Adds `accept` to the upstream's `Vary`, whose other entries (`Origin`,
/// say) still describe headers that are kept.
fn add_vary_accept(headers: &mut http::HeaderMap) {
    let varies_by_accept = headers.get_all(header::VARY).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|name| {
            name.trim_ascii().eq_ignore_ascii_case(b"accept") || name.trim_ascii() == b"*"
        })
    });
    if !varies_by_accept {
        headers.append(header::VARY, ACCEPT);
    }
}

/// The upstream's `Proxy-Status` members, kept as they are (several field
/// lines are one list), with `member` appended, as RFC 9209 asks of each
/// intermediary.
fn appended_member<'a>(
    existing: impl Iterator<Item = &'a HeaderValue>,
    member: &str,
) -> HeaderValue {
    let mut value = Vec::new();
    for line in existing {
        // Empty list members (a stray comma) would make the list invalid.
        let line = line.as_bytes().trim_ascii();
        let line = line.strip_suffix(b",").unwrap_or(line).trim_ascii_end();
        if !line.is_empty() {
            value.extend_from_slice(line);
            value.extend_from_slice(b", ");
        }
    }
    value.extend_from_slice(member.as_bytes());
    HeaderValue::from_bytes(&value).unwrap_or_else(|_| {
        HeaderValue::from_str(member).expect("the member was built from visible ASCII")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_appended_to_every_existing_line() {
        let lines = [
            HeaderValue::from_static("cdn; error=connection_timeout"),
            HeaderValue::from_static(" lb "),
        ];
        assert_eq!(
            appended_member(lines.iter(), "gateway; received-status=504"),
            "cdn; error=connection_timeout, lb, gateway; received-status=504"
        );
        assert_eq!(
            appended_member([].iter(), "gateway; received-status=502"),
            "gateway; received-status=502"
        );
        let trailing_comma = [HeaderValue::from_static("lb, ")];
        assert_eq!(
            appended_member(trailing_comma.iter(), "gateway; received-status=503"),
            "lb, gateway; received-status=503"
        );
    }

    #[test]
    fn vary_keeps_the_upstreams_entries() {
        let mut headers = http::HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        add_vary_accept(&mut headers);
        let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["Origin", "accept"]);
        let mut headers = http::HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("origin, Accept"));
        add_vary_accept(&mut headers);
        assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
    }
}
