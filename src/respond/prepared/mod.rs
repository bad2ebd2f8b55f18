//! The answers worked out when the layer is built, and how one is sent: for
//! every kind, format and language, the headers and the page with
//! everything but the request id and the time filled in
//! ([`PreparedAnswers`]); the page kept as shared text around those holes
//! (`page.rs`); the body that sends it with the holes filled, nothing copied
//! (`chunks.rs`); the time pages show, written once a second (`clock.rs`);
//! and `Content-Length` values without an allocation (`content_length.rs`).

mod chunks;
mod clock;
mod content_length;
mod page;

use http::header::{self, HeaderMap, HeaderValue};

pub(crate) use self::chunks::Chunks;
#[cfg(test)]
pub(crate) use self::chunks::{Chunk, Layout};
pub(super) use self::clock::Clock;
use self::content_length::content_length;
use self::page::Prepared;
use super::headers::set;
use crate::error::PerKind;
use crate::render::{BodyFormat, Fields, Pages};
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
#[derive(Clone)]
pub(super) struct PreparedAnswers(PerKind<[Vec<Ready>; BodyFormat::COUNT]>);

impl PreparedAnswers {
    /// For every kind, format and each of its `languages(format)` languages:
    /// the page of `pages` with `fields(kind, language)`, and
    /// `headers(kind, format, language, length)`.
    pub(super) fn compile<'f>(
        pages: &Pages,
        languages: impl Fn(BodyFormat) -> usize,
        mut fields: impl FnMut(UpstreamErrorKind, usize) -> Fields<'f>,
        mut headers: impl FnMut(UpstreamErrorKind, BodyFormat, usize, usize) -> HeaderMap,
    ) -> Self {
        Self(PerKind::from_fn(|kind| {
            BodyFormat::ALL.map(|format| {
                (0..languages(format))
                    .map(|language| {
                        let page = Prepared::of(pages.template(format), &fields(kind, language));
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
    /// to a request with `request_id`, failed at the time `clock` tells: a
    /// clone of what was prepared, with the time and the escaped request
    /// id put in.
    pub(super) fn answer(
        &self,
        kind: UpstreamErrorKind,
        format: BodyFormat,
        language: usize,
        request_id: Option<&HeaderValue>,
        clock: &Clock,
    ) -> (HeaderMap, Chunks) {
        let answers = &self.0[kind][format.index()];
        let ready = answers.get(language).unwrap_or(&answers[0]);
        let body = ready.page.body(request_id, || clock.now().into_bytes());
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

impl std::fmt::Debug for PreparedAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every page of every kind would be thousands of lines.
        f.write_str("PreparedAnswers(..)")
    }
}
