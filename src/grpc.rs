//! gRPC callers get gRPC errors: a failure answering a request whose
//! `content-type` is `application/grpc` (or `application/grpc+proto`, ...)
//! is a trailers-only response, HTTP 200 with `grpc-status` and
//! `grpc-message`, as gRPC clients expect.

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::response::{insert_extra_headers, PROXY_STATUS};
use crate::{ResponseBody, UpstreamError, UpstreamErrorKind};

const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// gRPC's UNAVAILABLE: transient, clients may retry.
pub(crate) const UNAVAILABLE: u8 = 14;
/// gRPC's DEADLINE_EXCEEDED.
pub(crate) const DEADLINE_EXCEEDED: u8 = 4;
/// gRPC's INTERNAL.
pub(crate) const INTERNAL: u8 = 13;

/// Whether `content_type` names gRPC: `application/grpc`, optionally
/// followed by `+format` or parameters.
pub(crate) fn is_grpc(content_type: &[u8]) -> bool {
    const GRPC: &[u8] = b"application/grpc";
    content_type.len() >= GRPC.len()
        && content_type[..GRPC.len()].eq_ignore_ascii_case(GRPC)
        && matches!(content_type.get(GRPC.len()), None | Some(b'+' | b';'))
}

/// The gRPC code a kind maps to unless configured, by meaning (gRPC's
/// statuscodes.md): DEADLINE_EXCEEDED when the upstream did not answer in
/// time and may have run the call, INTERNAL for a request body that failed
/// (the caller's side), and UNAVAILABLE for everything else, timeouts
/// before the request was sent (DNS, connect) included: those are the
/// transient failures a client should retry with backoff.
pub(crate) fn default_code(kind: UpstreamErrorKind) -> u8 {
    if kind.is_timeout() && !kind.is_retry_safe() {
        DEADLINE_EXCEEDED
    } else if kind == UpstreamErrorKind::HttpRequestError {
        INTERNAL
    } else {
        UNAVAILABLE
    }
}

/// Every header of a trailers-only response for one kind, worked out when
/// the layer is built: nothing in it depends on the request.
pub(crate) fn headers(
    code: u8,
    kind: UpstreamErrorKind,
    proxy_status: Option<&HeaderValue>,
    extra: &[(HeaderName, HeaderValue)],
) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4 + extra.len());
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(GRPC_STATUS, HeaderValue::from(u16::from(code)));
    headers.insert(GRPC_MESSAGE, percent_encoded(kind.description()));
    if let Some(value) = proxy_status {
        headers.insert(PROXY_STATUS, value.clone());
    }
    insert_extra_headers(&mut headers, extra);
    headers
}

/// `grpc-message` is percent-encoded: everything outside printable ASCII,
/// and `%` itself.
fn percent_encoded(message: &str) -> HeaderValue {
    let mut out = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (b' '..=b'~').contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&out).expect("only printable ASCII was written")
}

/// The gRPC error response for `error`: HTTP 200 and no body, so the
/// status travels in the header block that ends the stream.
pub(crate) fn error_response<B>(
    grpc: &[HeaderMap],
    error: &UpstreamError,
) -> Response<ResponseBody<B>> {
    let headers = grpc[error.kind().index()].clone();
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = StatusCode::OK;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn messages_are_percent_encoded() {
        assert_eq!(percent_encoded("50% lost\u{e9}"), "50%25 lost%C3%A9");
    }
}
