//! gRPC callers get gRPC errors: a failure answering a gRPC call is a
//! trailers-only response, HTTP 200 with `grpc-status` and `grpc-message`,
//! as gRPC clients expect. The code for each kind ([`GrpcCodes`]), and the
//! gRPC headers of the answer.

use http::header;
use http::{HeaderMap, HeaderValue};

use super::headers::{GRPC_MESSAGE, GRPC_STATUS};
use crate::error::PerKind;
use crate::{ConfigError, UpstreamErrorKind};

/// gRPC's UNAVAILABLE: transient, clients may retry.
pub(crate) const UNAVAILABLE: u8 = 14;
/// gRPC's DEADLINE_EXCEEDED.
const DEADLINE_EXCEEDED: u8 = 4;
/// gRPC's INTERNAL.
pub(crate) const INTERNAL: u8 = 13;
/// gRPC's PERMISSION_DENIED.
const PERMISSION_DENIED: u8 = 7;

/// The `grpc-status` code for each kind, and whether the user set it.
#[derive(Debug, Clone)]
pub(crate) struct GrpcCodes(PerKind<(u8, bool)>);

impl GrpcCodes {
    /// `None` when gRPC calls are answered like any other; else each
    /// kind's default code with `codes` applied (1 to 16 only).
    pub(crate) fn compile(
        enabled: bool,
        codes: Vec<(UpstreamErrorKind, u8)>,
    ) -> Result<Option<Self>, ConfigError> {
        let mut table = PerKind::from_fn(|kind| (default_code(kind), false));
        for (kind, code) in codes {
            if !(1..=16).contains(&code) {
                return Err(ConfigError::InvalidGrpcStatus { kind, code });
            }
            table[kind] = (code, true);
        }
        Ok(enabled.then_some(Self(table)))
    }

    /// The code the user set for `kind`, if any.
    pub(crate) fn set_for(&self, kind: UpstreamErrorKind) -> Option<u8> {
        let (code, set) = self.0[kind];
        set.then_some(code)
    }

    /// The gRPC headers of the trailers-only answer for `kind`:
    /// `content-type`, `grpc-status` and a percent-encoded `grpc-message`.
    pub(crate) fn headers(&self, kind: UpstreamErrorKind) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        headers.insert(GRPC_STATUS, HeaderValue::from(u16::from(self.0[kind].0)));
        headers.insert(GRPC_MESSAGE, percent_encoded(kind.description()));
        headers
    }
}

/// `grpc-status` and `grpc-message` alone, to end a response whose body
/// broke: the trailers of a stream that had started.
pub(crate) fn trailers(code: u8, kind: UpstreamErrorKind) -> HeaderMap {
    let mut trailers = HeaderMap::with_capacity(2);
    trailers.insert(GRPC_STATUS, HeaderValue::from(u16::from(code)));
    trailers.insert(GRPC_MESSAGE, percent_encoded(kind.description()));
    trailers
}

/// The gRPC code a kind maps to unless configured, by meaning (gRPC's
/// statuscodes.md): DEADLINE_EXCEEDED when the upstream did not answer in
/// time and may have run the call; PERMISSION_DENIED when the gateway's
/// policy refused it; INTERNAL for a request body that failed (the
/// caller's side) and for the gateway's own failures (no destination, a
/// loop, its configuration), which a retry will not mend; UNAVAILABLE for
/// everything else, timeouts before the request was sent (DNS, connect)
/// included: those are the transient failures a client should retry with
/// backoff.
pub(crate) fn default_code(kind: UpstreamErrorKind) -> u8 {
    use UpstreamErrorKind::*;
    match kind {
        _ if kind.is_timeout() && !kind.is_retry_safe() => DEADLINE_EXCEEDED,
        HttpRequestDenied | DestinationIpProhibited => PERMISSION_DENIED,
        HttpRequestError
        | DestinationNotFound
        | ProxyLoopDetected
        | ProxyConfigurationError
        | ProxyInternalResponse => INTERNAL,
        _ => UNAVAILABLE,
    }
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
    fn codes_can_be_set_from_1_to_16() {
        let codes = GrpcCodes::compile(true, vec![(UpstreamErrorKind::ConnectionRefused, 2)])
            .unwrap()
            .unwrap();
        let headers = codes.headers(UpstreamErrorKind::ConnectionRefused);
        assert_eq!(headers["grpc-status"], "2");
        assert_eq!(headers["content-type"], "application/grpc");
        assert!(GrpcCodes::compile(true, vec![(UpstreamErrorKind::DnsError, 0)]).is_err());
        assert!(GrpcCodes::compile(false, vec![]).unwrap().is_none());
    }
}
