//! [`Fields`]: the values a body shows, already reduced to what a client may
//! see.

use std::borrow::Cow;

use http::{HeaderValue, StatusCode};

use crate::UpstreamErrorKind;

/// Request ids longer than this are cut before they are echoed.
const MAX_REQUEST_ID_LEN: usize = 128;

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
            title: status.canonical_reason().unwrap_or("Error"),
            detail: kind.description(),
            error: kind.as_str(),
            proxy,
            request_id: request_id.map(request_id_text),
            error_chain,
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
            title: status.canonical_reason().unwrap_or("Error"),
            detail,
            error: "",
            proxy,
            request_id: request_id.map(request_id_text),
            error_chain: None,
        }
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
        }
    }
}

/// A request id as bodies show it: at most `MAX_REQUEST_ID_LEN` bytes, as
/// UTF-8 (invalid bytes replaced); escaping for the format comes later.
pub(crate) fn request_id_text(value: &HeaderValue) -> Cow<'_, str> {
    let bytes = value.as_bytes();
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_REQUEST_ID_LEN)])
}
