//! The answer: the one place that knows how the parts — status, format,
//! pages, `Retry-After`, `Proxy-Status`, the user's headers, gRPC answers,
//! interception — make an error response ([`Responder`]). Each part is
//! worked out by its own file when the layer is built.

mod clock;
mod content_length;
mod format;
mod grpc;
mod headers;
mod intercept;
mod prepared;
mod proxy_status;
mod retry_after;
mod status;
mod structured_field;
mod support_url;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use self::clock::Clock;
pub(crate) use self::format::FormatChoice;
pub(crate) use self::grpc::GrpcCodes;
pub(crate) use self::headers::ExtraHeaders;
use self::headers::{
    add_vary, insert_body_headers, set, GRPC_RETRY_PUSHBACK_MS, PROXY_STATUS, VARY_ACCEPT,
    VARY_ACCEPT_AND_LANGUAGE, VARY_ACCEPT_LANGUAGE,
};
pub(crate) use self::intercept::{Intercepted, Interception};
use self::prepared::PreparedAnswers;
pub(crate) use self::proxy_status::{NextHop, ProxyStatus};
pub(crate) use self::retry_after::RetryAfters;
pub(crate) use self::status::Statuses;
pub(crate) use self::support_url::SupportUrl;
use crate::classify::Params;
use crate::error::PerKind;
use crate::render::{BodyFormat, Chunks, ErrorContext, Fields, Languages, Pages, RenderBody};
use crate::request::CapturedRequest;
use crate::{UpstreamError, UpstreamErrorKind};

/// The parts of an answer, each compiled from the builder's values.
pub(crate) struct Parts {
    pub(crate) statuses: Statuses,
    pub(crate) format: FormatChoice,
    pub(crate) pages: Pages,
    pub(crate) languages: Languages,
    pub(crate) support_url: Option<SupportUrl>,
    pub(crate) retry_after: RetryAfters,
    pub(crate) proxy_status: ProxyStatus,
    pub(crate) extra: ExtraHeaders,
    pub(crate) grpc: Option<GrpcCodes>,
    pub(crate) intercept: Interception,
    pub(crate) show_details: bool,
    /// Whether answers carry their error in their extensions.
    pub(crate) error_extension: bool,
    pub(crate) renderer: Option<Arc<dyn RenderBody>>,
}

/// Makes every error response from the parts, and the answers that do not
/// depend on the request ahead of time.
pub(crate) struct Responder {
    parts: Parts,
    /// `None` with a custom renderer or error details, which render each
    /// failure anew.
    prepared: Option<PreparedAnswers>,
    /// Every header of each kind's gRPC answer; `None` when gRPC calls are
    /// answered like any other.
    grpc: Option<PerKind<HeaderMap>>,
    /// Whether some `Retry-After` is a date, added per answer while it is
    /// in the future.
    dated_retry_after: bool,
    /// The time each page shows.
    clock: Clock,
}

impl Responder {
    pub(crate) fn new(parts: Parts) -> Self {
        let grpc = parts.grpc.as_ref().map(|codes| {
            PerKind::from_fn(|kind| {
                let mut headers = codes.headers(kind);
                if let Some(value) = parts.proxy_status.value(kind) {
                    headers.insert(PROXY_STATUS, value);
                }
                parts.extra.insert_into(&mut headers);
                headers
            })
        });
        let dated_retry_after = parts.retry_after.has_dates();
        let mut responder = Self {
            parts,
            prepared: None,
            grpc,
            dated_retry_after,
            clock: Clock::default(),
        };
        if responder.parts.renderer.is_none() && !responder.parts.show_details {
            let parts = &responder.parts;
            let languages = parts.languages.all();
            responder.prepared = Some(PreparedAnswers::compile(
                |format| {
                    if parts.pages.is_localized(format) {
                        languages.len()
                    } else {
                        1
                    }
                },
                |kind, format, language| {
                    let status = parts.statuses.get(kind);
                    let name = parts.proxy_status.name();
                    let fields = Fields::for_failure(status, kind, name, None, None).in_language(
                        &languages[language],
                        parts.retry_after.seconds(kind),
                        parts.support_url.as_ref().map(SupportUrl::as_str),
                    );
                    parts.pages.prepare(format, &fields)
                },
                |kind, format, language, length| {
                    let body = BodyHeaders {
                        content_type: HeaderValue::from_static(parts.pages.content_type(format)),
                        length,
                        language: content_language(parts, format, language),
                        vary: vary(parts, format),
                    };
                    responder_headers(parts, kind, body, &Params::default(), None)
                },
            ));
        }
        responder
    }

    /// Whether the page's language depends on `Accept-Language`, so it must
    /// be captured.
    pub(crate) fn negotiates_language(&self) -> bool {
        let parts = &self.parts;
        parts.languages.negotiates()
            && BodyFormat::ALL
                .iter()
                .any(|&format| parts.pages.is_localized(format) && parts.format.may_choose(format))
    }

    /// Whether the body format depends on `Accept`, so it must be captured.
    pub(crate) fn negotiates(&self) -> bool {
        self.parts.format.negotiates()
    }

    /// Whether gRPC calls get gRPC answers, so they must be told apart.
    pub(crate) fn answers_grpc(&self) -> bool {
        self.grpc.is_some()
    }

    /// The status a failure of `kind` maps to; a gRPC answer is an HTTP 200,
    /// but logs and alerts on 5xx should see this.
    pub(crate) fn status(&self, kind: UpstreamErrorKind) -> StatusCode {
        self.parts.statuses.get(kind)
    }

    /// The error response to `request` for `error`, which it carries in its
    /// extensions unless turned off, with `extra` set among its headers
    /// (the time left of an ejected upstream).
    pub(crate) fn answer(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
        extra: Option<(HeaderName, HeaderValue)>,
    ) -> Response<Chunks> {
        let mut response = self.build(&error, request, extra);
        if self.parts.error_extension {
            response.extensions_mut().insert(error);
        }
        response
    }

    fn build(
        &self,
        error: &UpstreamError,
        request: &CapturedRequest,
        extra: Option<(HeaderName, HeaderValue)>,
    ) -> Response<Chunks> {
        let kind = error.kind();
        // What only this failure says in `Proxy-Status` (a DNS rcode, a TLS
        // alert); empty, and free, for most kinds.
        let params = error.proxy_status_params();
        if let (Some(content_type), Some(grpc)) = (request.grpc_content_type(), &self.grpc) {
            // A trailers-only answer: HTTP 200 and no body, so the status
            // travels in the header block that ends the stream.
            let mut response = Response::new(Chunks::default());
            let headers = response.headers_mut();
            *headers = grpc[kind].clone();
            // The call's own content type, `+proto` and all.
            if content_type != "application/grpc" {
                set(headers, header::CONTENT_TYPE, content_type.clone());
            }
            if let Some(pushback) = self.parts.retry_after.pushback(kind) {
                set(headers, GRPC_RETRY_PUSHBACK_MS, pushback);
            }
            self.set_params(headers, kind, &params);
            if let Some((name, value)) = extra {
                set(headers, name, value);
            }
            return response;
        }
        let status = self.parts.statuses.get(kind);
        let format = self.parts.format.for_request(request);
        let language = self.language(format, request);
        let (mut headers, body) = match &self.prepared {
            Some(prepared) => {
                let (mut headers, body) =
                    prepared.answer(kind, format, language, request, &self.clock);
                self.set_params(&mut headers, kind, &params);
                (headers, body)
            }
            None => {
                let (headers, body) =
                    self.render(error, status, format, language, request, &params);
                (headers, body.into())
            }
        };
        if self.dated_retry_after {
            if let Some(date) = self.parts.retry_after.dated(kind) {
                set(&mut headers, header::RETRY_AFTER, date.clone());
            }
        }
        if let Some((name, value)) = extra {
            set(&mut headers, name, value);
        }
        let mut response = Response::new(if request.is_head() {
            Chunks::default()
        } else {
            body
        });
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }

    /// The trailers that end a gRPC response whose body broke after its
    /// head was sent: the code set for `http_response_incomplete` with
    /// `grpc_status_for`, else by what broke it, INTERNAL (13) when the
    /// upstream sent something that is not valid, UNAVAILABLE (14) when the
    /// connection was lost or timed out. `None` when gRPC calls are
    /// answered like any other.
    pub(crate) fn grpc_trailers(&self, cause: UpstreamErrorKind) -> Option<HeaderMap> {
        let codes = self.parts.grpc.as_ref()?;
        let incomplete = UpstreamErrorKind::HttpResponseIncomplete;
        let by_cause = if cause == UpstreamErrorKind::HttpProtocolError {
            grpc::INTERNAL
        } else {
            grpc::UNAVAILABLE
        };
        let code = codes.set_for(incomplete).unwrap_or(by_cause);
        Some(grpc::trailers(code, incomplete))
    }

    /// The index of the language of a page in `format` for `request`: the
    /// fallback for pages that are the same in every language.
    fn language(&self, format: BodyFormat, request: &CapturedRequest) -> usize {
        let parts = &self.parts;
        if parts.pages.is_localized(format) {
            parts.languages.choose(request.accept_language())
        } else {
            0
        }
    }

    /// Puts this failure's parameters into a prepared `Proxy-Status`.
    fn set_params(&self, headers: &mut HeaderMap, kind: UpstreamErrorKind, params: &Params<'_>) {
        if params.is_empty() {
            return;
        }
        if let Some(value) = self.parts.proxy_status.value_for(kind, params, None) {
            set(headers, PROXY_STATUS, value);
        }
    }

    /// Renders this failure's body and headers from scratch.
    fn render(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        format: BodyFormat,
        language: usize,
        request: &CapturedRequest,
        params: &Params<'_>,
    ) -> (HeaderMap, Bytes) {
        let parts = &self.parts;
        let details = parts
            .show_details
            .then(|| error.display_chain().to_string());
        let (content_type, body) = match &parts.renderer {
            Some(renderer) => {
                let custom = renderer.render(&ErrorContext {
                    error,
                    status,
                    format,
                    request,
                    show_details: parts.show_details,
                });
                (custom.content_type, custom.body)
            }
            None => {
                let time = self.clock.now();
                let fields = Fields::for_failure(
                    status,
                    error.kind(),
                    parts.proxy_status.name(),
                    request.request_id(),
                    details.as_deref(),
                )
                .in_language(
                    &parts.languages.all()[language],
                    parts.retry_after.seconds(error.kind()),
                    parts.support_url.as_ref().map(SupportUrl::as_str),
                )
                .at(time.as_str());
                (
                    HeaderValue::from_static(parts.pages.content_type(format)),
                    parts.pages.render(format, &fields),
                )
            }
        };
        // A body of a custom renderer is chosen by `Accept` alone, and its
        // language is its own.
        let ours = parts.renderer.is_none();
        let body_headers = BodyHeaders {
            content_type,
            length: body.len(),
            language: ours
                .then(|| content_language(parts, format, language))
                .flatten(),
            vary: if ours {
                vary(parts, format)
            } else {
                parts.format.negotiates().then_some(VARY_ACCEPT)
            },
        };
        let headers = responder_headers(
            parts,
            error.kind(),
            body_headers,
            params,
            details.as_deref(),
        );
        (headers, body)
    }

    /// Whether the upstream's own response with `status` gets the layer's
    /// body (never for gRPC calls); see [`replace_body`](Self::replace_body).
    #[inline]
    pub(crate) fn intercepted(
        &self,
        status: StatusCode,
        request: &CapturedRequest,
    ) -> Option<&Intercepted> {
        self.parts
            .intercept
            .find(status)
            .filter(|_| !request.is_grpc())
    }

    /// The upstream's own `response` with the layer's body in place of its
    /// own. The upstream's status and other headers (`Retry-After` among
    /// them) are kept, the headers that described its body are replaced,
    /// and this gateway's member is appended to `Proxy-Status`.
    pub(crate) fn replace_body<B>(
        &self,
        intercepted: &Intercepted,
        response: Response<B>,
        request: &CapturedRequest,
    ) -> Response<Bytes> {
        let parts = &self.parts;
        // The upstream's body is dropped unread; its connection is not reused.
        let (mut head, _) = response.into_parts();
        let format = parts.format.for_request(request);
        let language = self.language(format, request);
        let time = self.clock.now();
        // The upstream's own advice, when it is a delay, is what the page
        // tells the visitor.
        let retry_after = head
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok()?.parse().ok());
        let fields = Fields::for_upstream_answer(
            head.status,
            intercepted.detail(),
            parts.proxy_status.name(),
            request.request_id(),
        )
        .in_language(
            &parts.languages.all()[language],
            retry_after,
            parts.support_url.as_ref().map(SupportUrl::as_str),
        )
        .at(time.as_str());
        let body = parts.pages.render(format, &fields);

        let headers = &mut head.headers;
        intercepted.remove_body_headers(headers);
        // The upstream's caching advice still holds for its answer (a CDN
        // may micro-cache a 503); `no-store` only where it gave none.
        let cache_control: Vec<HeaderValue> = headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .cloned()
            .collect();
        insert_body_headers(
            headers,
            HeaderValue::from_static(parts.pages.content_type(format)),
            HeaderValue::from(body.len()),
        );
        if !cache_control.is_empty() {
            headers.remove(header::CACHE_CONTROL);
            for line in cache_control {
                headers.append(header::CACHE_CONTROL, line);
            }
        }
        add_vary(headers, vary(parts, format));
        if let Some(language) = content_language(parts, format, language) {
            headers.insert(header::CONTENT_LANGUAGE, language);
        }
        parts.proxy_status.append_received(headers, head.status);
        parts.extra.insert_into(headers);

        let body = if request.is_head() {
            Bytes::new()
        } else {
            body
        };
        Response::from_parts(head, body)
    }
}

/// What the headers say of the body: its type, length and language, and
/// the request headers it was chosen by.
struct BodyHeaders {
    content_type: HeaderValue,
    length: usize,
    language: Option<HeaderValue>,
    vary: Option<HeaderValue>,
}

/// Every header of an error response of `kind`.
fn responder_headers(
    parts: &Parts,
    kind: UpstreamErrorKind,
    body: BodyHeaders,
    params: &Params<'_>,
    details: Option<&str>,
) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(9 + parts.extra.len());
    insert_body_headers(
        &mut headers,
        body.content_type,
        HeaderValue::from(body.length),
    );
    if let Some(language) = body.language {
        headers.insert(header::CONTENT_LANGUAGE, language);
    }
    if let Some(vary) = body.vary {
        headers.insert(header::VARY, vary);
    }
    if let Some(retry_after) = parts.retry_after.fixed(kind) {
        headers.insert(header::RETRY_AFTER, retry_after.clone());
    }
    let value = if details.is_some() || !params.is_empty() {
        parts.proxy_status.value_for(kind, params, details)
    } else {
        parts.proxy_status.value(kind)
    };
    if let Some(value) = value {
        headers.insert(PROXY_STATUS, value);
    }
    parts.extra.insert_into(&mut headers);
    headers
}

/// The request headers a page in `format` was chosen by.
fn vary(parts: &Parts, format: BodyFormat) -> Option<HeaderValue> {
    let by_language = parts.pages.is_localized(format) && parts.languages.negotiates();
    match (parts.format.negotiates(), by_language) {
        (true, true) => Some(VARY_ACCEPT_AND_LANGUAGE),
        (true, false) => Some(VARY_ACCEPT),
        (false, true) => Some(VARY_ACCEPT_LANGUAGE),
        (false, false) => None,
    }
}

/// The language of a page in `format`, when it is written in one.
fn content_language(parts: &Parts, format: BodyFormat, language: usize) -> Option<HeaderValue> {
    if !parts.pages.is_localized(format) {
        return None;
    }
    Some(parts.languages.all()[language].content_language().clone())
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = &self.parts;
        f.debug_struct("Responder")
            .field("statuses", &parts.statuses)
            .field("format", &parts.format)
            .field("pages", &parts.pages)
            .field("languages", &parts.languages)
            .field("support_url", &parts.support_url)
            .field("retry_after", &parts.retry_after)
            .field("proxy_status", &parts.proxy_status)
            .field("extra", &parts.extra)
            .field("grpc", &parts.grpc)
            .field("intercept", &parts.intercept)
            .field("show_details", &parts.show_details)
            .field("error_extension", &parts.error_extension)
            .field("renderer", &parts.renderer.as_ref().map(|_| ".."))
            .field("prepared", &self.prepared.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use http::{Method, Request, Version};

    use super::*;
    use crate::request::CapturePlan;

    fn parts() -> Parts {
        let proxy_status = ProxyStatus::compile("edge".into(), true, NextHop::default()).unwrap();
        let extra = ExtraHeaders::default();
        Parts {
            statuses: Statuses::compile(vec![]).unwrap(),
            format: FormatChoice::compile(None, BodyFormat::Text),
            pages: Pages::compile(None, None).unwrap(),
            languages: Languages::compile(vec![], None, None).unwrap(),
            support_url: None,
            retry_after: RetryAfters::compile(None, vec![]).unwrap(),
            grpc: GrpcCodes::compile(true, vec![]).unwrap(),
            intercept: Interception::compile(vec![StatusCode::SERVICE_UNAVAILABLE]).unwrap(),
            proxy_status,
            extra,
            show_details: false,
            error_extension: true,
            renderer: None,
        }
    }

    fn captured(method: Method, version: Version, headers: &[(&str, &str)]) -> CapturedRequest {
        let mut request = Request::builder().method(method).version(version);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let plan = CapturePlan {
            accept: true,
            accept_language: true,
            uri: false,
            uri_for_log: false,
            grpc: true,
            request_id: http::HeaderName::from_static("x-request-id"),
        };
        plan.capture(&request.body(()).unwrap())
    }

    fn refused() -> UpstreamError {
        UpstreamError::from_kind(UpstreamErrorKind::ConnectionRefused)
    }

    /// Every part that changes a page: a support link, and `Retry-After`
    /// for some kinds, short and long.
    fn parts_with_everything() -> Parts {
        use crate::retry::RetryAfter;
        Parts {
            support_url: Some(
                SupportUrl::compile("https://status.example.com/?a=1&b=2".into()).unwrap(),
            ),
            retry_after: RetryAfters::compile(
                None,
                vec![
                    (
                        UpstreamErrorKind::ConnectionRefused,
                        RetryAfter::seconds(30),
                    ),
                    (
                        UpstreamErrorKind::ConnectionLimitReached,
                        RetryAfter::seconds(600),
                    ),
                ],
            )
            .unwrap(),
            ..parts()
        }
    }

    #[test]
    fn a_prepared_answer_is_the_answer_rendered_in_full() {
        let prepared = Responder::new(parts_with_everything());
        let rendered = Responder {
            prepared: None,
            ..Responder::new(parts_with_everything())
        };
        // The time, which may tick between two answers.
        let timeless = |body: &Chunks| {
            let text = String::from_utf8(body.clone().into_bytes().to_vec()).unwrap();
            match text.find(" UTC") {
                Some(end) => format!("{}{}", &text[..end - 19], &text[end..]),
                None => text,
            }
        };
        for accept in ["application/json", "text/html", "text/plain"] {
            for language in ["de-CH", "ja", "nl"] {
                // No id; a plain one, sent as a chunk; one that is escaped
                // into a page written out.
                for id in [None, Some("req-1"), Some("r\"<1>")] {
                    let mut headers = vec![("accept", accept), ("accept-language", language)];
                    headers.extend(id.map(|id| ("x-request-id", id)));
                    let request = captured(Method::GET, Version::HTTP_11, &headers);
                    for &kind in UpstreamErrorKind::ALL {
                        let a = prepared.answer(UpstreamError::from_kind(kind), &request, None);
                        let b = rendered.answer(UpstreamError::from_kind(kind), &request, None);
                        let case = format!("{kind} {accept} {language} {id:?}");
                        assert_eq!(a.headers(), b.headers(), "{case}");
                        assert_eq!(timeless(a.body()), timeless(b.body()), "{case}");
                        assert_eq!(a.headers()["content-length"], a.body().len().to_string());
                    }
                }
            }
        }
    }

    #[test]
    fn head_gets_the_headers_and_no_body() {
        let responder = Responder::new(parts());
        for id in [&[][..], &[("x-request-id", "req-1")][..]] {
            let get = responder.answer(
                refused(),
                &captured(Method::GET, Version::HTTP_11, id),
                None,
            );
            let head = responder.answer(
                refused(),
                &captured(Method::HEAD, Version::HTTP_11, id),
                None,
            );
            assert_eq!(head.headers(), get.headers(), "{id:?}");
            assert!(head.body().is_empty());
            assert_eq!(
                get.headers()["content-length"],
                get.body().len().to_string()
            );
            assert!(head.extensions().get::<UpstreamError>().is_some());
        }
    }

    #[test]
    fn grpc_calls_get_a_trailers_only_answer_and_the_log_its_mapped_status() {
        let responder = Responder::new(parts());
        let call = captured(
            Method::POST,
            Version::HTTP_2,
            &[("content-type", "application/grpc")],
        );
        let answer = responder.answer(refused(), &call, None);
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["grpc-status"], "14");
        assert!(answer.body().is_empty());
        assert_eq!(
            responder.status(UpstreamErrorKind::ConnectionRefused),
            StatusCode::BAD_GATEWAY
        );
    }

    #[test]
    fn only_intercepted_statuses_get_the_layers_body() {
        let responder = Responder::new(parts());
        let request = captured(Method::GET, Version::HTTP_11, &[]);
        assert!(responder
            .intercepted(StatusCode::BAD_GATEWAY, &request)
            .is_none());
        let upstream = Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header("retry-after", "120")
            .header("content-type", "text/x-upstream")
            .body("maintenance")
            .unwrap();
        let intercepted = responder
            .intercepted(StatusCode::SERVICE_UNAVAILABLE, &request)
            .unwrap();
        let replaced = responder.replace_body(intercepted, upstream, &request);
        assert_eq!(replaced.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(replaced.headers()["retry-after"], "120");
        assert_eq!(
            replaced.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            replaced.headers()["proxy-status"],
            "edge; received-status=503"
        );
        let body = std::str::from_utf8(replaced.body()).unwrap();
        assert!(
            body.starts_with("Error 503: The server had a problem\n"),
            "{body}"
        );
        // The upstream's own Retry-After is the advice.
        assert!(
            body.contains("What you can do: Try again in 2 minutes."),
            "{body}"
        );
    }
}
