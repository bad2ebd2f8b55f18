//! Replacing the body of the upstream's own error responses (off by
//! default; see
//! [`intercept`](crate::GatewayErrorLayerBuilder::intercept)): which
//! statuses, and what happens to the upstream's headers.

use http::header::{self, HeaderMap, HeaderName};
use http::StatusCode;

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
pub(crate) struct Interception(Vec<Intercepted>);

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
    pub(crate) fn compile(statuses: Vec<StatusCode>) -> Result<Self, ConfigError> {
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
                        status.canonical_reason().unwrap_or("with an error")
                    ),
                });
            }
        }
        Ok(Self(entries))
    }

    /// The entry for `status`, if its body is to be replaced.
    #[inline]
    pub(crate) fn find(&self, status: StatusCode) -> Option<&Intercepted> {
        self.0.iter().find(|i| i.status == status)
    }
}

impl Intercepted {
    /// Removes the upstream's headers that described its body; the layer
    /// sets its own for the body that replaces it.
    pub(crate) fn remove_body_headers(&self, headers: &mut HeaderMap) {
        for name in &BODY_HEADERS {
            headers.remove(name);
        }
    }

    /// The sentence the page shows in place of the upstream's body.
    pub(crate) fn detail(&self) -> &str {
        &self.detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_error_statuses_are_intercepted_and_each_once() {
        let interception = Interception::compile(vec![
            StatusCode::BAD_GATEWAY,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ])
        .unwrap();
        assert_eq!(interception.0.len(), 2);
        let found = interception.find(StatusCode::SERVICE_UNAVAILABLE).unwrap();
        assert_eq!(
            found.detail(),
            "The upstream server answered 503 Service Unavailable."
        );
        assert!(interception.find(StatusCode::OK).is_none());
        assert!(Interception::compile(vec![StatusCode::OK]).is_err());
    }
}
