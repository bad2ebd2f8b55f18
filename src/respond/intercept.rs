//! Replacing the body of the upstream's own error responses (off by
//! default; see
//! [`intercept`](crate::GatewayErrorLayerBuilder::intercept)): which
//! statuses, and what happens to the upstream's headers.

use http::header::{self, HeaderMap, HeaderName};
use http::{HeaderValue, StatusCode};

use super::headers::{PROXY_STATUS, VARY_ACCEPT};
use super::proxy_status::ProxyStatus;
use crate::ConfigError;

/// Headers that describe the upstream's body, which is replaced.
const BODY_HEADERS: [HeaderName; 14] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
    header::CONTENT_RANGE,
    header::CONTENT_DISPOSITION,
    header::TRANSFER_ENCODING,
    header::ETAG,
    header::LAST_MODIFIED,
    header::ACCEPT_RANGES,
    header::TRAILER,
    HeaderName::from_static("digest"),
    HeaderName::from_static("content-digest"),
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
    pub(crate) detail: String,
    /// This gateway's `Proxy-Status` member: `name; received-status=503`.
    member: String,
}

impl Interception {
    /// One entry per status; only 4xx and 5xx can be intercepted.
    pub(crate) fn compile(
        statuses: Vec<StatusCode>,
        proxy_status: &ProxyStatus,
    ) -> Result<Self, ConfigError> {
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
                    member: proxy_status.received(status),
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

    /// Appends this gateway's member to the upstream's `Proxy-Status`.
    pub(crate) fn append_member(&self, headers: &mut HeaderMap) {
        let value = appended_member(headers.get_all(&PROXY_STATUS).iter(), &self.member);
        headers.insert(PROXY_STATUS, value);
    }
}

/// Adds `accept` to the upstream's `Vary`, whose other entries (`Origin`,
/// say) still describe headers that are kept.
pub(crate) fn add_vary_accept(headers: &mut http::HeaderMap) {
    let varies_by_accept = headers.get_all(header::VARY).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|name| {
            name.trim_ascii().eq_ignore_ascii_case(b"accept") || name.trim_ascii() == b"*"
        })
    });
    if !varies_by_accept {
        headers.append(header::VARY, VARY_ACCEPT);
    }
}

/// The upstream's `Proxy-Status` members, kept as they are (several field
/// lines are one list), with `member` appended, as RFC 9209 asks of each
/// intermediary.
fn appended_member<'a>(
    existing: impl Iterator<Item = &'a HeaderValue>,
    member: &str,
) -> HeaderValue {
    let mut value = Vec::new();
    for line in existing {
        // Empty list members (a stray comma) would make the list invalid.
        let line = line.as_bytes().trim_ascii();
        let line = line.strip_suffix(b",").unwrap_or(line).trim_ascii_end();
        if !line.is_empty() {
            value.extend_from_slice(line);
            value.extend_from_slice(b", ");
        }
    }
    value.extend_from_slice(member.as_bytes());
    HeaderValue::from_bytes(&value).unwrap_or_else(|_| {
        HeaderValue::from_str(member).expect("the member was built from visible ASCII")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_appended_to_every_existing_line() {
        let lines = [
            HeaderValue::from_static("cdn; error=connection_timeout"),
            HeaderValue::from_static(" lb "),
        ];
        assert_eq!(
            appended_member(lines.iter(), "gateway; received-status=504"),
            "cdn; error=connection_timeout, lb, gateway; received-status=504"
        );
        assert_eq!(
            appended_member([].iter(), "gateway; received-status=502"),
            "gateway; received-status=502"
        );
        let trailing_comma = [HeaderValue::from_static("lb, ")];
        assert_eq!(
            appended_member(trailing_comma.iter(), "gateway; received-status=503"),
            "lb, gateway; received-status=503"
        );
    }

    #[test]
    fn vary_keeps_the_upstreams_entries() {
        let mut headers = http::HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        add_vary_accept(&mut headers);
        let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["Origin", "accept"]);
        let mut headers = http::HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("origin, Accept"));
        add_vary_accept(&mut headers);
        assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
    }
}
