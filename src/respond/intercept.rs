//! Replacing the body of the upstream's own error responses (off by
//! default; see
//! [`intercept`](crate::GatewayErrorLayerBuilder::intercept)): which
//! statuses ([`Interception`]), and the answer that keeps the upstream's
//! status and headers but not its body.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{response, Response, StatusCode};

use super::headers::{add_vary, insert_body_headers};
use super::prepared::Chunks;
use super::Responder;
use crate::render::{reason_phrase, Fields};
use crate::request::CapturedRequest;
use crate::ConfigError;

/// Headers that describe the upstream's body, which is replaced, and so
/// are no longer true. What describes the resource or the answer
/// (`Cache-Control`, `Retry-After`, `Content-Range` of a 416, `Vary`) stays.
const BODY_HEADERS: [HeaderName; 14] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
    header::CONTENT_DISPOSITION,
    header::TRANSFER_ENCODING,
    header::ETAG,
    header::LAST_MODIFIED,
    header::ACCEPT_RANGES,
    header::TRAILER,
    HeaderName::from_static("digest"),
    HeaderName::from_static("content-digest"),
    HeaderName::from_static("repr-digest"),
];

/// The statuses whose upstream responses get the layer's body; empty
/// unless asked for.
#[derive(Debug, Clone, Default)]
pub(super) struct Interception(Vec<Intercepted>);

/// One status whose upstream responses get the layer's body, with what can
/// be worked out when the layer is built.
#[derive(Debug, Clone)]
pub(crate) struct Intercepted {
    status: StatusCode,
    /// The sentence the page shows.
    detail: String,
}

impl Interception {
    /// One entry per status; only 4xx and 5xx can be intercepted.
    pub(super) fn compile(statuses: Vec<StatusCode>) -> Result<Self, ConfigError> {
        let mut entries: Vec<Intercepted> = Vec::new();
        for status in statuses {
            if !(status.is_client_error() || status.is_server_error()) {
                return Err(ConfigError::InterceptNotAnErrorStatus { status });
            }
            if !entries.iter().any(|i| i.status == status) {
                entries.push(Intercepted {
                    status,
                    detail: format!(
                        "The upstream server answered {} {}.",
                        status.as_u16(),
                        reason_phrase(status)
                    ),
                });
            }
        }
        Ok(Self(entries))
    }
}

impl Responder {
    /// Whether the upstream's own response with `status` gets the layer's
    /// body (never for gRPC calls); see [`replace_body`](Self::replace_body).
    #[inline]
    pub(crate) fn intercepted(
        &self,
        status: StatusCode,
        request: &CapturedRequest,
    ) -> Option<&Intercepted> {
        self.intercept
            .0
            .iter()
            .find(|i| i.status == status)
            .filter(|_| !request.is_grpc())
    }

    /// The upstream's own answer, `head`, with the layer's body in place of
    /// its own (which is dropped unread; its connection is not reused). The
    /// upstream's status and other headers (`Retry-After` among them) are
    /// kept, taken out of `head`, the headers that described its body are
    /// replaced, and this gateway's member is appended to `Proxy-Status`.
    pub(crate) fn replace_body(
        &self,
        intercepted: &Intercepted,
        head: &mut response::Parts,
        request: &CapturedRequest,
    ) -> Response<Chunks> {
        let format = self.choice.format(request);
        let language = self.choice.language(format, request);
        let time = self.clock.now();
        // The upstream's own advice, when it is a delay, is what the page
        // tells the visitor.
        let retry_after = head
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok()?.parse().ok());
        let fields = Fields::for_upstream_answer(
            head.status,
            &intercepted.detail,
            self.proxy_status.name(),
            request.request_id(),
        );
        let fields = self
            .localized(fields, language, retry_after)
            .at(time.as_str());
        let body = self.pages.render(format, &fields);

        let headers = &mut head.headers;
        remove_body_headers(headers);
        // The upstream's caching advice still holds for its answer (a CDN
        // may micro-cache a 503); `no-store` where it gave none, and where
        // the page carries this visitor's request id, which a shared cache
        // would show to others.
        let cache_control: Vec<HeaderValue> = match request.request_id() {
            Some(_) => Vec::new(),
            None => headers
                .get_all(header::CACHE_CONTROL)
                .iter()
                .cloned()
                .collect(),
        };
        insert_body_headers(
            headers,
            HeaderValue::from_static(self.pages.content_type(format)),
            HeaderValue::from(body.len()),
        );
        if !cache_control.is_empty() {
            headers.remove(header::CACHE_CONTROL);
            for line in cache_control {
                headers.append(header::CACHE_CONTROL, line);
            }
        }
        add_vary(headers, self.choice.vary(format, false));
        if let Some(language) = self.choice.content_language(format, language) {
            headers.insert(header::CONTENT_LANGUAGE, language);
        }
        self.proxy_status.append_received(headers, head.status);
        self.extra.insert_into(headers);

        let mut response = Response::new(if request.is_head() {
            Chunks::default()
        } else {
            body.into()
        });
        *response.status_mut() = head.status;
        *response.version_mut() = head.version;
        *response.headers_mut() = std::mem::take(&mut head.headers);
        *response.extensions_mut() = std::mem::take(&mut head.extensions);
        response
    }
}

/// Removes the upstream's headers that described its body; the layer sets
/// its own for the body that replaces it.
fn remove_body_headers(headers: &mut HeaderMap) {
    for name in &BODY_HEADERS {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use http::{Method, Version};

    use super::*;
    use crate::respond::testing::{captured, responder};
    use crate::respond::Settings;

    #[test]
    fn only_error_statuses_are_intercepted_and_each_once() {
        let interception = Interception::compile(vec![
            StatusCode::BAD_GATEWAY,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ])
        .unwrap();
        assert_eq!(interception.0.len(), 2);
        assert_eq!(
            interception.0[1].detail,
            "The upstream server answered 503 Service Unavailable."
        );
        assert!(Interception::compile(vec![StatusCode::OK]).is_err());
    }

    #[test]
    fn only_intercepted_statuses_get_the_layers_body() {
        let responder = responder(Settings {
            intercept: vec![StatusCode::SERVICE_UNAVAILABLE],
            ..Settings::default()
        });
        let request = captured(Method::GET, Version::HTTP_11, &[]);
        assert!(responder
            .intercepted(StatusCode::BAD_GATEWAY, &request)
            .is_none());
        let (mut upstream, _) = Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header("retry-after", "120")
            .header("content-type", "text/x-upstream")
            .body("maintenance")
            .unwrap()
            .into_parts();
        let intercepted = responder
            .intercepted(StatusCode::SERVICE_UNAVAILABLE, &request)
            .unwrap();
        let replaced = responder.replace_body(intercepted, &mut upstream, &request);
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
        let body = replaced.into_body().into_bytes();
        let body = std::str::from_utf8(&body).unwrap();
        assert!(
            body.starts_with("Error 503: The server had a problem\n"),
            "{body}"
        );
        // The upstream's own Retry-After is the advice.
        assert!(
            body.contains("What you can do: Try again in 2 minutes."),
            "{body}"
        );
        // Never a gRPC call's.
        let call = captured(
            Method::POST,
            Version::HTTP_2,
            &[("content-type", "application/grpc")],
        );
        assert!(responder
            .intercepted(StatusCode::SERVICE_UNAVAILABLE, &call)
            .is_none());
    }
}
