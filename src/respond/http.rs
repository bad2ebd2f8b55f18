//! The error response to a failure: its status, its body in the format and
//! language the request gets, and its headers, from the answers made ahead
//! when there are, or rendered for this failure.

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

use super::headers::{insert_body_headers, set, PROXY_STATUS};
use super::prepared::{Chunks, PreparedAnswers};
use super::Responder;
use crate::render::{BodyFormat, ErrorContext, Fields};
use crate::request::CapturedRequest;
use crate::{UpstreamError, UpstreamErrorKind};

/// What the headers say of the body: its type, length and language, and
/// the request headers it was chosen by.
struct BodyHeaders {
    content_type: HeaderValue,
    length: usize,
    language: Option<HeaderValue>,
    vary: Option<HeaderValue>,
}

impl Responder {
    /// The error response to `request` for `error`, with `status`; `wait`
    /// is the time left when the gateway refused the request for a while.
    pub(super) fn http_answer(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
        wait: Option<Duration>,
    ) -> Response<Chunks> {
        let kind = error.kind();
        let format = self.choice.format(request);
        let language = self.choice.language(format, request);
        let (mut headers, body) = match &self.prepared {
            Some(prepared) => {
                let (mut headers, body) =
                    prepared.answer(kind, format, language, request.request_id(), &self.clock);
                self.set_params(&mut headers, error);
                (headers, body)
            }
            None => {
                let (headers, body) = self.render(error, status, format, language, request);
                (headers, body.into())
            }
        };
        if let Some(date) = self.retry_after.dated(kind) {
            set(&mut headers, header::RETRY_AFTER, date.clone());
        }
        if let Some(wait) = wait {
            set(
                &mut headers,
                header::RETRY_AFTER,
                self.retry_after.for_wait(wait),
            );
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

    /// Every kind's answer in every format and language, with holes for
    /// the request id and the time.
    pub(super) fn prepare(&self) -> PreparedAnswers {
        PreparedAnswers::compile(
            &self.pages,
            |format| self.choice.languages_of(format),
            |kind, language| {
                let status = self.statuses.get(kind);
                let fields =
                    Fields::for_failure(status, kind, self.proxy_status.name(), None, None);
                self.localized(fields, language, self.retry_after.seconds(kind))
            },
            |kind, format, language, length| {
                let body = BodyHeaders {
                    content_type: HeaderValue::from_static(self.pages.content_type(format)),
                    length,
                    language: self.choice.content_language(format, language),
                    vary: self.choice.vary(format, false),
                };
                self.headers(kind, body, None)
            },
        )
    }

    /// Renders this failure's body and headers from scratch: with a custom
    /// renderer, or with the error chain shown.
    fn render(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        format: BodyFormat,
        language: usize,
        request: &CapturedRequest,
    ) -> (HeaderMap, Bytes) {
        let details = self.show_details.then(|| error.display_chain().to_string());
        let (content_type, body) = match &self.renderer {
            Some(renderer) => {
                let custom = renderer.render(&ErrorContext {
                    error,
                    status,
                    format,
                    request,
                    show_details: self.show_details,
                });
                (custom.content_type, custom.body)
            }
            None => {
                let time = self.clock.now();
                let fields = Fields::for_failure(
                    status,
                    error.kind(),
                    self.proxy_status.name(),
                    request.request_id(),
                    details.as_deref(),
                );
                let fields = self
                    .localized(fields, language, self.retry_after.seconds(error.kind()))
                    .at(time.as_str());
                (
                    HeaderValue::from_static(self.pages.content_type(format)),
                    self.pages.render(format, &fields),
                )
            }
        };
        // A body of a custom renderer is chosen by `Accept` alone, and its
        // language is its own.
        let custom = self.renderer.is_some();
        let body_headers = BodyHeaders {
            content_type,
            length: body.len(),
            language: if custom {
                None
            } else {
                self.choice.content_language(format, language)
            },
            vary: self.choice.vary(format, custom),
        };
        let params = error.proxy_status_params();
        let proxy_status = (details.is_some() || params.is_some())
            .then(|| {
                self.proxy_status
                    .value_for(error.kind(), params, details.as_deref())
            })
            .flatten();
        (self.headers(error.kind(), body_headers, proxy_status), body)
    }

    /// Every header of an error response of `kind`, with `proxy_status` in
    /// place of the kind's prepared one when this failure says more.
    fn headers(
        &self,
        kind: UpstreamErrorKind,
        body: BodyHeaders,
        proxy_status: Option<HeaderValue>,
    ) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(9 + self.extra.len());
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
        if let Some(retry_after) = self.retry_after.fixed(kind) {
            headers.insert(header::RETRY_AFTER, retry_after.clone());
        }
        if let Some(value) = proxy_status.or_else(|| self.proxy_status.value(kind)) {
            headers.insert(PROXY_STATUS, value);
        }
        self.extra.insert_into(&mut headers);
        headers
    }
}

#[cfg(test)]
mod tests {
    use http::{Method, Version};

    use super::*;
    use crate::respond::testing::{captured, responder};
    use crate::respond::{retry_after, Settings};
    use crate::retry::RetryAfter;

    fn refused() -> UpstreamError {
        UpstreamError::from_kind(UpstreamErrorKind::ConnectionRefused)
    }

    /// Every part that changes a page: a support link, and `Retry-After`
    /// for some kinds, short and long.
    fn everything() -> Settings {
        Settings {
            support_url: Some("https://status.example.com/?a=1&b=2".into()),
            retry_after: retry_after::Settings {
                everywhere: None,
                per_kind: vec![
                    (
                        UpstreamErrorKind::ConnectionRefused,
                        RetryAfter::seconds(30),
                    ),
                    (
                        UpstreamErrorKind::ConnectionLimitReached,
                        RetryAfter::seconds(600),
                    ),
                ],
            },
            ..Settings::default()
        }
    }

    #[test]
    fn a_prepared_answer_is_the_answer_rendered_in_full() {
        let prepared = responder(everything());
        let rendered = Responder {
            prepared: None,
            ..responder(everything())
        };
        // The time, which may tick between two answers.
        let timeless = |body: Chunks| {
            let text = String::from_utf8(body.into_bytes().to_vec()).unwrap();
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
                        let status = prepared.status(kind);
                        let error = UpstreamError::from_kind(kind);
                        let a = prepared.answer(error.clone(), status, &request, None);
                        let b = rendered.answer(error, status, &request, None);
                        let case = format!("{kind} {accept} {language} {id:?}");
                        assert_eq!(a.headers(), b.headers(), "{case}");
                        assert_eq!(a.headers()["content-length"], a.body().len().to_string());
                        let (a, b) = (a.into_body(), b.into_body());
                        assert_eq!(timeless(a), timeless(b), "{case}");
                    }
                }
            }
        }
    }

    #[test]
    fn head_gets_the_headers_and_no_body() {
        let responder = responder(Settings::default());
        let status = StatusCode::BAD_GATEWAY;
        for id in [&[][..], &[("x-request-id", "req-1")][..]] {
            let get = captured(Method::GET, Version::HTTP_11, id);
            let get = responder.answer(refused(), status, &get, None);
            let head = captured(Method::HEAD, Version::HTTP_11, id);
            let head = responder.answer(refused(), status, &head, None);
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
    fn a_refused_request_is_told_the_time_left() {
        let responder = responder(Settings::default());
        let request = captured(Method::GET, Version::HTTP_11, &[]);
        let kind = UpstreamErrorKind::DestinationUnavailable;
        let wait = Some(Duration::from_millis(9_500));
        let answer = responder.answer(
            UpstreamError::from_kind(kind),
            responder.status(kind),
            &request,
            wait,
        );
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.headers()["retry-after"], "10");
    }
}
