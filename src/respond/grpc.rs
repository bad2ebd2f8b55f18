//! gRPC callers get gRPC errors ([`GrpcAnswers`]): a failure answering a
//! gRPC call is a trailers-only response, HTTP 200 with `grpc-status` and
//! `grpc-message`, as gRPC clients expect; a gRPC stream that breaks after
//! it started ends with those trailers. The code for each kind, and both
//! answers.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{response, Response, StatusCode};

use super::headers::{
    set, ExtraHeaders, GRPC_MESSAGE, GRPC_RETRY_PUSHBACK_MS, GRPC_STATUS, PROXY_STATUS,
};
use super::prepared::Chunks;
use super::proxy_status::ProxyStatus;
use super::retry_after::RetryAfters;
use super::Responder;
use crate::error::PerKind;
use crate::request::CapturedRequest;
use crate::{ConfigError, UpstreamError, UpstreamErrorKind};

/// The builder's gRPC settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// Whether gRPC calls get gRPC answers (on unless set).
    pub(crate) enabled: Option<bool>,
    /// Codes set for some kinds.
    pub(crate) codes: Vec<(UpstreamErrorKind, u8)>,
}

/// gRPC's UNAVAILABLE: transient, clients may retry.
const UNAVAILABLE: u8 = 14;
/// gRPC's DEADLINE_EXCEEDED.
const DEADLINE_EXCEEDED: u8 = 4;
/// gRPC's INTERNAL.
const INTERNAL: u8 = 13;
/// gRPC's PERMISSION_DENIED.
const PERMISSION_DENIED: u8 = 7;
/// gRPC's RESOURCE_EXHAUSTED: a size limit, which a retry meets again.
const RESOURCE_EXHAUSTED: u8 = 8;

/// The gRPC code a kind maps to unless configured, by meaning (gRPC's
/// statuscodes.md): DEADLINE_EXCEEDED when the upstream did not answer in
/// time and may have run the call; PERMISSION_DENIED when the gateway's
/// policy refused it; RESOURCE_EXHAUSTED when the upstream's response
/// went over a size limit (asking again meets the same limit); INTERNAL
/// for what the upstream sent that is not valid HTTP (the same code
/// whether the call had started or not), for a request body that failed
/// (the caller's side) and for the gateway's own failures (no
/// destination, a loop, its configuration), which a retry will not mend;
/// UNAVAILABLE for everything else, timeouts before the request was sent
/// (DNS, connect) included: those are the transient failures a client
/// should retry with backoff.
fn default_code(kind: UpstreamErrorKind) -> u8 {
    use UpstreamErrorKind::*;
    match kind {
        _ if kind.is_timeout() && !kind.is_retry_safe() => DEADLINE_EXCEEDED,
        HttpRequestDenied | DestinationIpProhibited => PERMISSION_DENIED,
        HttpResponseHeaderSectionSize
        | HttpResponseHeaderSize
        | HttpResponseBodySize
        | HttpResponseTrailerSectionSize
        | HttpResponseTrailerSize => RESOURCE_EXHAUSTED,
        HttpProtocolError
        | HttpRequestError
        | DestinationNotFound
        | ProxyLoopDetected
        | ProxyConfigurationError
        | ProxyInternalResponse => INTERNAL,
        _ => UNAVAILABLE,
    }
}

/// Every header of each kind's trailers-only answer, and the trailers that
/// end a broken stream, made ahead.
#[derive(Debug)]
pub(super) struct GrpcAnswers {
    answers: PerKind<HeaderMap>,
    /// The trailers of a stream broken by each kind of failure.
    broken: PerKind<HeaderMap>,
}

impl GrpcAnswers {
    /// `None` when gRPC calls are answered like any other; else each
    /// kind's answer, with the codes set (1 to 16 only), its
    /// `Proxy-Status` and the user's headers.
    pub(super) fn compile(
        settings: Settings,
        proxy_status: &ProxyStatus,
        extra: &ExtraHeaders,
    ) -> Result<Option<Self>, ConfigError> {
        let mut codes = PerKind::from_fn(|kind| (default_code(kind), false));
        for (kind, code) in settings.codes {
            if !(1..=16).contains(&code) {
                return Err(ConfigError::InvalidGrpcStatus { kind, code });
            }
            codes[kind] = (code, true);
        }
        if !settings.enabled.unwrap_or(true) {
            return Ok(None);
        }
        let answers = PerKind::from_fn(|kind| {
            let mut headers = HeaderMap::with_capacity(6);
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/grpc"),
            );
            headers.extend(status_and_message(codes[kind].0, kind));
            if let Some(value) = proxy_status.value(kind) {
                headers.insert(PROXY_STATUS, value);
            }
            extra.insert_into(&mut headers);
            headers
        });
        // A broken stream ends with the code set for
        // `http_response_incomplete`, else with the code a trailers-only
        // answer to its cause gets (set or default): INTERNAL when the
        // upstream sent something that is not valid, RESOURCE_EXHAUSTED
        // past a size limit, UNAVAILABLE when the connection was lost.
        let incomplete = UpstreamErrorKind::HttpResponseIncomplete;
        let broken = PerKind::from_fn(|cause| {
            let code = match codes[incomplete] {
                (code, true) => code,
                _ => codes[cause].0,
            };
            status_and_message(code, incomplete)
        });
        Ok(Some(Self { answers, broken }))
    }

    /// The trailers-only answer to a gRPC call of `content_type` that
    /// failed with `error`: HTTP 200 and no body, so the status travels in
    /// the header block that ends the stream.
    pub(super) fn answer(
        &self,
        responder: &Responder,
        error: &UpstreamError,
        content_type: &HeaderValue,
        wait: Option<Duration>,
    ) -> Response<Chunks> {
        let kind = error.kind();
        let mut response = Response::new(Chunks::default());
        let headers = response.headers_mut();
        *headers = self.answers[kind].clone();
        // The call's own content type, `+proto` and all.
        if content_type != "application/grpc" {
            set(headers, header::CONTENT_TYPE, content_type.clone());
        }
        if let Some(pushback) = responder.retry_after.pushback(kind) {
            set(headers, GRPC_RETRY_PUSHBACK_MS, pushback);
        }
        responder.set_params(headers, error);
        if let Some(wait) = wait {
            set(
                headers,
                GRPC_RETRY_PUSHBACK_MS,
                RetryAfters::pushback_for_wait(wait),
            );
        }
        response
    }

    /// The trailers that end a gRPC stream whose body broke after its head
    /// was sent, by `cause`.
    fn trailers(&self, cause: UpstreamErrorKind) -> HeaderMap {
        self.broken[cause].clone()
    }
}

impl Responder {
    /// Whether the upstream answered `request`, a gRPC call answered the
    /// gRPC way, with a gRPC stream (a 200 of a gRPC content type) rather
    /// than an error page of its own: a stream a failure ends with
    /// trailers.
    #[inline]
    pub(crate) fn is_grpc_stream(&self, head: &response::Parts, request: &CapturedRequest) -> bool {
        request.is_grpc()
            && head.status == StatusCode::OK
            && head
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
    }

    /// The trailers that end a gRPC stream broken by `cause`, as if the
    /// upstream had ended it with a status; `None` when gRPC calls are
    /// answered like any other.
    pub(crate) fn grpc_trailers(&self, cause: UpstreamErrorKind) -> Option<HeaderMap> {
        Some(self.grpc.as_ref()?.trailers(cause))
    }
}

/// `grpc-status` with `code`, and `grpc-message` with `kind`'s
/// description.
fn status_and_message(code: u8, kind: UpstreamErrorKind) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(2);
    headers.insert(GRPC_STATUS, HeaderValue::from(u16::from(code)));
    headers.insert(GRPC_MESSAGE, percent_encoded(kind.description()));
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
    use http::{Method, Version};

    use super::*;
    use crate::respond::testing::{captured, responder};
    use crate::respond::Settings as AnswerSettings;

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
        // Invalid HTTP is INTERNAL, as it is when a stream breaks on it.
        assert_eq!(default_code(HttpProtocolError), INTERNAL);
        // Size limits: RESOURCE_EXHAUSTED, not a retry's UNAVAILABLE.
        for kind in [
            HttpResponseHeaderSectionSize,
            HttpResponseHeaderSize,
            HttpResponseBodySize,
            HttpResponseTrailerSectionSize,
            HttpResponseTrailerSize,
        ] {
            assert_eq!(default_code(kind), RESOURCE_EXHAUSTED, "{kind:?}");
        }
    }

    fn grpc_call() -> CapturedRequest {
        captured(
            Method::POST,
            Version::HTTP_2,
            &[("content-type", "application/grpc")],
        )
    }

    fn with_codes(codes: Vec<(UpstreamErrorKind, u8)>) -> AnswerSettings {
        AnswerSettings {
            grpc: Settings {
                enabled: None,
                codes,
            },
            ..AnswerSettings::default()
        }
    }

    #[test]
    fn codes_can_be_set_from_1_to_16() {
        let refused = UpstreamErrorKind::ConnectionRefused;
        let set = responder(with_codes(vec![(refused, 2)]));
        let error = UpstreamError::from_kind(refused);
        let answer = set.answer(error, StatusCode::BAD_GATEWAY, &grpc_call(), None);
        assert_eq!(answer.headers()["grpc-status"], "2");
        assert_eq!(answer.headers()["content-type"], "application/grpc");
        let zero = with_codes(vec![(UpstreamErrorKind::DnsError, 0)]);
        assert!(Responder::compile(zero, None).is_err());
        let off = AnswerSettings {
            grpc: Settings {
                enabled: Some(false),
                codes: vec![],
            },
            ..AnswerSettings::default()
        };
        assert!(!responder(off).answers_grpc());
    }

    #[test]
    fn grpc_calls_get_a_trailers_only_answer_and_the_log_its_mapped_status() {
        let default = responder(AnswerSettings::default());
        let refused = UpstreamErrorKind::ConnectionRefused;
        let status = default.status(refused);
        let answer = default.answer(
            UpstreamError::from_kind(refused),
            status,
            &grpc_call(),
            None,
        );
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["grpc-status"], "14");
        assert_eq!(
            answer.headers()["proxy-status"],
            "edge; error=connection_refused"
        );
        assert!(answer.body().is_empty());
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        // A refused call is told the time left.
        let wait = Some(Duration::from_millis(14_500));
        let answer = default.answer(
            UpstreamError::from_kind(refused),
            status,
            &grpc_call(),
            wait,
        );
        assert_eq!(answer.headers()["grpc-retry-pushback-ms"], "14500");
    }

    #[test]
    fn a_broken_stream_ends_by_its_cause_unless_a_code_is_set() {
        let default = responder(AnswerSettings::default());
        let trailers = default
            .grpc_trailers(UpstreamErrorKind::HttpProtocolError)
            .unwrap();
        assert_eq!(trailers["grpc-status"], "13");
        assert_eq!(
            trailers["grpc-message"],
            "The upstream server sent an incomplete response."
        );
        let reset = default.grpc_trailers(UpstreamErrorKind::ConnectionTerminated);
        assert_eq!(reset.unwrap()["grpc-status"], "14");
        let too_large = default.grpc_trailers(UpstreamErrorKind::HttpResponseBodySize);
        assert_eq!(too_large.unwrap()["grpc-status"], "8");
        let set = responder(with_codes(vec![(
            UpstreamErrorKind::HttpResponseIncomplete,
            10,
        )]));
        let trailers = set.grpc_trailers(UpstreamErrorKind::HttpProtocolError);
        assert_eq!(trailers.unwrap()["grpc-status"], "10");
        // A code set for the cause holds mid-stream too.
        let set = responder(with_codes(vec![(UpstreamErrorKind::HttpProtocolError, 2)]));
        let trailers = set.grpc_trailers(UpstreamErrorKind::HttpProtocolError);
        assert_eq!(trailers.unwrap()["grpc-status"], "2");
    }
}
