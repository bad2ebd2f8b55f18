//! [`Fields`]: the values a body shows, already reduced to what a client may
//! see.

use std::borrow::Cow;

use http::{HeaderValue, StatusCode};

use super::language::Language;
use super::texts::{Situation, Text, Texts};
use crate::UpstreamErrorKind;

/// Request ids longer than this are cut before they are echoed.
pub(crate) const MAX_REQUEST_ID_LEN: usize = 128;

/// The values of a template's fields for one answer.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    pub(crate) status: u16,
    pub(crate) title: &'a str,
    pub(crate) detail: &'a str,
    /// The `Proxy-Status` error type; empty for a replaced upstream error
    /// response, which has none.
    pub(crate) error: &'a str,
    pub(crate) proxy: &'a str,
    pub(crate) request_id: Option<Cow<'a, str>>,
    pub(crate) error_chain: Option<&'a str>,
    /// The page's language tag and its strings.
    pub(crate) lang: &'a str,
    pub(crate) texts: &'a Texts,
    pub(crate) situation: Situation,
    /// What the visitor can do, `Retry-After` included.
    pub(crate) advice: Cow<'a, str>,
    /// Where visitors get help, when the user set it.
    pub(crate) support_url: Option<&'a str>,
    /// The time of the failure; `None` while a page is prepared, which
    /// leaves a hole for it.
    pub(crate) time: Option<&'a str>,
}

/// The status's reason phrase as RFC 9110 §15 names it: `http`'s
/// `canonical_reason`, except where RFC 9110 renamed one (413 "Content Too
/// Large", once "Payload Too Large"; 422 "Unprocessable Content", once
/// "Unprocessable Entity"); "Error" for a status with no phrase.
pub(crate) fn reason_phrase(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

impl<'a> Fields<'a> {
    /// The fields of a failure of `kind` answered with `status`.
    pub(crate) fn for_failure(
        status: StatusCode,
        kind: UpstreamErrorKind,
        proxy: &'a str,
        request_id: Option<&'a HeaderValue>,
        error_chain: Option<&'a str>,
    ) -> Self {
        Self {
            status: status.as_u16(),
            title: reason_phrase(status),
            detail: kind.description(),
            error: kind.as_str(),
            proxy,
            request_id: request_id.map(request_id_text),
            error_chain,
            ..Self::english(Situation::of(kind))
        }
    }

    /// The fields of the layer's page in place of an upstream answer with
    /// `status`: no error type, since the upstream did answer.
    pub(crate) fn for_upstream_answer(
        status: StatusCode,
        detail: &'a str,
        proxy: &'a str,
        request_id: Option<&'a HeaderValue>,
    ) -> Self {
        Self {
            status: status.as_u16(),
            title: reason_phrase(status),
            detail,
            error: "",
            proxy,
            request_id: request_id.map(request_id_text),
            error_chain: None,
            ..Self::english(Situation::UpstreamError)
        }
    }

    /// The same fields in `language`, for a `Retry-After` of `retry_after`
    /// seconds if there is one, with a link to `support_url` if set.
    pub(crate) fn in_language(
        mut self,
        language: &'a Language,
        retry_after: Option<u64>,
        support_url: Option<&'a str>,
    ) -> Self {
        self.lang = language.tag();
        self.texts = language.texts();
        self.advice = self.texts.advice(self.situation, retry_after);
        self.support_url = support_url;
        self
    }

    /// The same fields at `time`.
    pub(crate) fn at(mut self, time: &'a str) -> Self {
        self.time = Some(time);
        self
    }

    /// The built-in English words for `situation`, no support link, and a
    /// hole for the time.
    fn english(situation: Situation) -> Fields<'static> {
        let texts = super::language::english();
        Fields {
            status: 502,
            title: "Bad Gateway",
            detail: "",
            error: "",
            proxy: "",
            request_id: None,
            error_chain: None,
            lang: "en",
            texts,
            situation,
            advice: texts.advice(situation, None),
            support_url: None,
            time: None,
        }
    }

    /// The string `text` in the page's language.
    pub(crate) fn text(&self, text: Text) -> &str {
        self.texts.get(text)
    }

    /// Values for checking templates, with the optional ones absent.
    pub(crate) fn sample() -> Fields<'static> {
        Fields {
            status: 502,
            title: "Bad Gateway",
            detail: "sample",
            error: "proxy_internal_error",
            proxy: "proxy",
            request_id: None,
            error_chain: None,
            time: Some("2026-12-01 12:00:00 UTC"),
            ..Fields::english(Situation::Failed)
        }
    }
}

/// A request id as bodies show it: at most `MAX_REQUEST_ID_LEN` bytes, as
/// UTF-8 (invalid bytes replaced); escaping for the format comes later.
pub(crate) fn request_id_text(value: &HeaderValue) -> Cow<'_, str> {
    let bytes = value.as_bytes();
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_REQUEST_ID_LEN)])
}
