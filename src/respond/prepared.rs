//! The answers worked out when the layer is built: for every kind and
//! format, the headers and the body with everything but the request id
//! filled in ([`PreparedAnswers`]).

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};

use crate::error::PerKind;
use crate::render::{BodyFormat, Prepared};
use crate::request::CapturedRequest;
use crate::UpstreamErrorKind;

/// One kind's answer in one format.
#[derive(Debug, Clone)]
struct Ready {
    headers: HeaderMap,
    page: Prepared,
}

#[derive(Debug, Clone)]
pub(crate) struct PreparedAnswers(PerKind<[Ready; 3]>);

impl PreparedAnswers {
    /// Prepares `page(kind, format)` with `headers(kind, format, length)`
    /// for every kind and format.
    pub(crate) fn compile(
        mut page: impl FnMut(UpstreamErrorKind, BodyFormat) -> Prepared,
        mut headers: impl FnMut(UpstreamErrorKind, BodyFormat, usize) -> HeaderMap,
    ) -> Self {
        Self(PerKind::from_fn(|kind| {
            BodyFormat::ALL.map(|format| {
                let page = page(kind, format);
                Ready {
                    headers: headers(kind, format, page.plain().len()),
                    page,
                }
            })
        }))
    }

    /// The headers and body of `kind`'s answer in `format` to `request`: a
    /// clone of what was prepared, plus the escaped request id if the page
    /// shows one.
    pub(crate) fn answer(
        &self,
        kind: UpstreamErrorKind,
        format: BodyFormat,
        request: &CapturedRequest,
    ) -> (HeaderMap, Bytes) {
        let ready = &self.0[kind][format.index()];
        let body = ready.page.body(request.request_id());
        let mut headers = ready.headers.clone();
        if body.len() != ready.page.plain().len() {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        (headers, body)
    }
}
