//! gRPC callers get gRPC errors: a failure answering a gRPC call is a
//! trailers-only response, HTTP 200 with `grpc-status` and `grpc-message`,
//! as gRPC clients expect. Every header of it is worked out per kind when
//! the layer is built ([`GrpcAnswers`]).

use http::header;
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::headers::{ExtraHeaders, GRPC_MESSAGE, GRPC_STATUS, PROXY_STATUS};
use super::proxy_status::ProxyStatus;
use crate::error::PerKind;
use crate::{ConfigError, UpstreamErrorKind};

/// gRPC's UNAVAILABLE: transient, clients may retry.
const UNAVAILABLE: u8 = 14;
/// gRPC's DEADLINE_EXCEEDED.
const DEADLINE_EXCEEDED: u8 = 4;
/// gRPC's INTERNAL.
const INTERNAL: u8 = 13;

/// The headers of the gRPC answer for each kind.
#[derive(Debug, Clone)]
pub(crate) struct GrpcAnswers(PerKind<HeaderMap>);

impl GrpcAnswers {
    /// `None` when gRPC calls are answered like any other; else each
    /// kind's default code with `codes` applied (1 to 16 only).
    pub(crate) fn compile(
        enabled: bool,
        codes: Vec<(UpstreamErrorKind, u8)>,
        proxy_status: &ProxyStatus,
        extra: &ExtraHeaders,
    ) -> Result<Option<Self>, ConfigError> {
        let mut table = PerKind::from_fn(default_code);
        for (kind, code) in codes {
            if !(1..=16).contains(&code) {
                return Err(ConfigError::InvalidGrpcStatus { kind, code });
            }
            table[kind] = code;
        }
        Ok(
            enabled
                .then(|| Self(table.map(|kind, &code| headers(code, kind, proxy_status, extra)))),
        )
    }

    /// The answer for a failure of `kind`: HTTP 200 and no body, so the
    /// status travels in the header block that ends the stream.
    pub(crate) fn answer(&self, kind: UpstreamErrorKind) -> Response<()> {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::OK;
        *response.headers_mut() = self.0[kind].clone();
        response
    }
}

/// The gRPC code a kind maps to unless configured, by meaning (gRPC's
/// statuscodes.md): DEADLINE_EXCEEDED when the upstream did not answer in
/// time and may have run the call, INTERNAL for a request body that failed
/// (the caller's side), and UNAVAILABLE for everything else, timeouts
/// before the request was sent (DNS, connect) included: those are the
/// transient failures a client should retry with backoff.
fn default_code(kind: UpstreamErrorKind) -> u8 {
    if kind.is_timeout() && !kind.is_retry_safe() {
        DEADLINE_EXCEEDED
    } else if kind == UpstreamErrorKind::HttpRequestError {
        INTERNAL
    } else {
        UNAVAILABLE
    }
}

fn headers(
    code: u8,
    kind: UpstreamErrorKind,
    proxy_status: &ProxyStatus,
    extra: &ExtraHeaders,
) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4 + extra.len());
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(GRPC_STATUS, HeaderValue::from(u16::from(code)));
    headers.insert(GRPC_MESSAGE, percent_encoded(kind.description()));
    if let Some(value) = proxy_status.value(kind, None) {
        headers.insert(PROXY_STATUS, value);
    }
    extra.insert_into(&mut headers);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_percent_encoded() {
        assert_eq!(percent_encoded("50% lost\u{e9}"), "50%25 lost%C3%A9");
    }

    #[test]
    fn codes_go_by_whether_the_request_left() {
        use UpstreamErrorKind::*;
        assert_eq!(default_code(HttpResponseTimeout), DEADLINE_EXCEEDED);
        assert_eq!(default_code(ConnectionReadTimeout), DEADLINE_EXCEEDED);
        assert_eq!(default_code(ConnectionTimeout), UNAVAILABLE);
        assert_eq!(default_code(DnsTimeout), UNAVAILABLE);
        assert_eq!(default_code(ConnectionRefused), UNAVAILABLE);
        assert_eq!(default_code(HttpRequestError), INTERNAL);
    }

    #[test]
    fn an_answer_carries_every_header_worked_out_for_its_kind() {
        let proxy_status = ProxyStatus::compile("edge".into(), true).unwrap();
        let answers = GrpcAnswers::compile(
            true,
            vec![(UpstreamErrorKind::ConnectionRefused, 2)],
            &proxy_status,
            &ExtraHeaders::default(),
        )
        .unwrap()
        .unwrap();
        let answer = answers.answer(UpstreamErrorKind::ConnectionRefused);
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["grpc-status"], "2");
        assert_eq!(
            answer.headers()["proxy-status"],
            "edge; error=connection_refused"
        );
        assert!(
            GrpcAnswers::compile(false, vec![], &proxy_status, &ExtraHeaders::default())
                .unwrap()
                .is_none()
        );
    }
}
