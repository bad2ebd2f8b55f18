//! The answers worked out when the layer is built: for every kind, format
//! and language, the headers and the body with everything but the request
//! id and the time filled in ([`PreparedAnswers`]).

use http::header::{self, HeaderMap};

use super::clock::Clock;
use super::content_length::content_length;
use super::headers::set;
use crate::error::PerKind;
use crate::render::{BodyFormat, Chunks, Prepared};
use crate::request::CapturedRequest;
use crate::UpstreamErrorKind;

/// One kind's answer in one format and language.
#[derive(Debug, Clone)]
struct Ready {
    headers: HeaderMap,
    page: Prepared,
}

/// Per kind and format, one answer per language, or a single one when the
/// page is the same in all of them (a JSON document, a template of the
/// user's without words of the pages).
#[derive(Debug, Clone)]
pub(crate) struct PreparedAnswers(PerKind<[Vec<Ready>; 3]>);

impl PreparedAnswers {
    /// Prepares `page(kind, format, language)` with `headers(kind, format,
    /// language, length)` for every kind, format and each of the
    /// `languages(format)` languages.
    pub(crate) fn compile(
        languages: impl Fn(BodyFormat) -> usize,
        mut page: impl FnMut(UpstreamErrorKind, BodyFormat, usize) -> Prepared,
        mut headers: impl FnMut(UpstreamErrorKind, BodyFormat, usize, usize) -> HeaderMap,
    ) -> Self {
        Self(PerKind::from_fn(|kind| {
            BodyFormat::ALL.map(|format| {
                (0..languages(format))
                    .map(|language| {
                        let page = page(kind, format, language);
                        Ready {
                            headers: headers(kind, format, language, page.len()),
                            page,
                        }
                    })
                    .collect()
            })
        }))
    }

    /// The headers and body of `kind`'s answer in `format` and `language`
    /// to `request`, failed at the time `clock` tells: a clone of what was
    /// prepared, with the time and the escaped request id put in.
    pub(crate) fn answer(
        &self,
        kind: UpstreamErrorKind,
        format: BodyFormat,
        language: usize,
        request: &CapturedRequest,
        clock: &Clock,
    ) -> (HeaderMap, Chunks) {
        let answers = &self.0[kind][format.index()];
        let ready = answers.get(language).unwrap_or(&answers[0]);
        let body = ready
            .page
            .body(request.request_id(), || clock.now().into_bytes());
        let mut headers = ready.headers.clone();
        if body.len() != ready.page.len() {
            set(
                &mut headers,
                header::CONTENT_LENGTH,
                content_length(body.len()),
            );
        }
        (headers, body)
    }
}
