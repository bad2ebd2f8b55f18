//! The validated, immutable settings a layer and its services share, with
//! everything that does not depend on a request worked out up front.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::classify::Classifier;
use crate::format::Negotiator;
use crate::intercept::Intercepted;
use crate::render::{Bodies, Fields};
use crate::{
    BodyFormat, FailedRequest, OnUpstreamError, RenderBody, UpstreamError, UpstreamErrorKind,
};

const KINDS: usize = UpstreamErrorKind::COUNT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatChoice {
    Fixed(BodyFormat),
    Negotiate(Negotiator),
}

/// The response for one kind in one format, worked out when the layer was
/// built: the body without a request id, every header, and how to add a
/// request id cheaply.
#[derive(Debug, Clone)]
pub(crate) struct Prerendered {
    pub(crate) body: Bytes,
    pub(crate) headers: HeaderMap,
    pub(crate) request_id: RequestIdSlot,
}

/// Where a request id goes in a prerendered body.
#[derive(Debug, Clone)]
pub(crate) enum RequestIdSlot {
    /// The body does not show it.
    Ignored,
    /// The body is `prefix`, the escaped id, `suffix`.
    Between(String, String),
    /// The body shows it more than once (a template), or already holds the
    /// mark text: render it anew.
    Rerender,
}

/// Stands in for the request id while prerendering; every escaping leaves
/// it unchanged, so the body can be split where it lands.
const REQUEST_ID_MARK: &str = "REQUESTID4f9c2b7e1aSLOT";

pub(crate) struct Settings {
    pub(crate) statuses: [StatusCode; KINDS],
    pub(crate) retry_after: [Option<HeaderValue>; KINDS],
    /// The name as given, for bodies.
    pub(crate) proxy_name: String,
    /// The name as a structured-field item, for `Proxy-Status`.
    pub(crate) proxy_member: String,
    /// `Proxy-Status` per kind, or `None` when turned off.
    pub(crate) proxy_status: Option<[HeaderValue; KINDS]>,
    pub(crate) show_details: bool,
    pub(crate) format: FormatChoice,
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) extra_headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) hook: Option<Arc<dyn OnUpstreamError>>,
    pub(crate) renderer: Option<Arc<dyn RenderBody>>,
    pub(crate) classifier: Classifier,
    pub(crate) request_id_header: HeaderName,
    pub(crate) bodies: Bodies,
    /// Per kind and format: the body, headers and request-id slot of every
    /// failure. `None` with a custom renderer or details, which render each
    /// failure anew.
    pub(crate) prerendered: Option<Vec<[Prerendered; 3]>>,
    /// Whether requests keep their URI: only a hook or a renderer reads it.
    /// Stored rather than derived from those two because every request reads
    /// it (derived, it cost ~50 instructions per request in callgrind).
    pub(crate) capture_uri: bool,
    /// Per kind, the headers of the gRPC answer (all but `Proxy-Status`);
    /// `None` when gRPC requests are answered like any other.
    pub(crate) grpc: Option<Vec<HeaderMap>>,
    /// Upstream statuses whose bodies are replaced; empty unless asked for.
    pub(crate) intercept: Vec<Intercepted>,
}

impl Settings {
    /// The body format for `request`: fixed, or negotiated by its `Accept`.
    pub(crate) fn format_for(&self, request: &FailedRequest) -> BodyFormat {
        match self.format {
            FormatChoice::Fixed(format) => format,
            FormatChoice::Negotiate(negotiator) => negotiator.choose(request.accept()),
        }
    }

    /// The interception set for `status`, if its body is to be replaced.
    pub(crate) fn intercepted(&self, status: StatusCode) -> Option<&Intercepted> {
        self.intercept.iter().find(|i| i.status == status)
    }

    pub(crate) fn negotiates(&self) -> bool {
        matches!(self.format, FormatChoice::Negotiate(_))
    }

    pub(crate) fn prerender(&mut self) {
        if self.renderer.is_some() || self.show_details {
            return;
        }
        let prerendered = UpstreamErrorKind::ALL
            .iter()
            .map(|&kind| {
                let error = UpstreamError::from_kind(kind);
                let status = self.statuses[kind.index()];
                let fields = Fields::new(status, &error, &self.proxy_name, None, None);
                BodyFormat::ALL.map(|format| {
                    let body = self.bodies.render(format, &fields);
                    let headers = crate::response::headers(
                        self,
                        kind,
                        HeaderValue::from_static(self.bodies.content_type(format)),
                        HeaderValue::from(body.len()),
                        None,
                    );
                    Prerendered {
                        request_id: self.request_id_slot(format, &fields, &body),
                        body,
                        headers,
                    }
                })
            })
            .collect();
        self.prerendered = Some(prerendered);
    }

    fn request_id_slot(
        &self,
        format: BodyFormat,
        fields: &Fields<'_>,
        plain: &[u8],
    ) -> RequestIdSlot {
        if !self.bodies.depends_on_request(format) {
            return RequestIdSlot::Ignored;
        }
        // A template (or proxy name) that already holds the mark would make
        // the split land in the wrong place: render such bodies in full.
        if plain
            .windows(REQUEST_ID_MARK.len())
            .any(|w| w == REQUEST_ID_MARK.as_bytes())
        {
            return RequestIdSlot::Rerender;
        }
        let mut marked = fields.clone();
        marked.request_id = Some(REQUEST_ID_MARK.into());
        let body = self.bodies.render(format, &marked);
        let text = std::str::from_utf8(&body).expect("bodies are rendered from strings");
        match text.split_once(REQUEST_ID_MARK) {
            Some((prefix, suffix)) if !suffix.contains(REQUEST_ID_MARK) => {
                RequestIdSlot::Between(prefix.to_owned(), suffix.to_owned())
            }
            Some(_) => RequestIdSlot::Rerender,
            None => RequestIdSlot::Ignored,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("statuses", &self.statuses)
            .field("retry_after", &self.retry_after)
            .field("proxy_name", &self.proxy_name)
            .field("proxy_status", &self.proxy_status.is_some())
            .field("show_details", &self.show_details)
            .field("format", &self.format)
            .field("response_timeout", &self.response_timeout)
            .field("extra_headers", &self.extra_headers)
            .field("hook", &self.hook.as_ref().map(|_| ".."))
            .field("renderer", &self.renderer.as_ref().map(|_| ".."))
            .field("classifier", &self.classifier)
            .field("request_id_header", &self.request_id_header)
            .field("bodies", &self.bodies)
            .field("intercept", &self.intercept)
            .field("grpc", &self.grpc.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GatewayErrorLayer;

    #[test]
    fn a_template_holding_the_mark_itself_is_rendered_in_full() {
        let html = format!("<a href={REQUEST_ID_MARK}>x</a>{{{{details}}}}");
        let layer = GatewayErrorLayer::builder()
            .html_template(html)
            .build()
            .unwrap();
        let ready = &layer.settings().prerendered.as_ref().unwrap()[0][BodyFormat::Html.index()];
        assert!(matches!(ready.request_id, RequestIdSlot::Rerender));
    }

    #[test]
    fn built_in_bodies_get_a_slot() {
        let layer = GatewayErrorLayer::new();
        for format in BodyFormat::ALL {
            let ready = &layer.settings().prerendered.as_ref().unwrap()[0][format.index()];
            assert!(
                matches!(ready.request_id, RequestIdSlot::Between(..)),
                "{format:?}"
            );
        }
    }
}
