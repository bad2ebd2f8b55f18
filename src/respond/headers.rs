//! The header vocabulary every answer shares, and the user's own headers
//! ([`ExtraHeaders`]), checked when the layer is built.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::ConfigError;

pub(crate) const PROXY_STATUS: HeaderName = HeaderName::from_static("proxy-status");
pub(crate) const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
pub(crate) const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
/// gRPC's counterpart of `Retry-After` (gRPC proposal A6).
pub(crate) const GRPC_RETRY_PUSHBACK_MS: HeaderName =
    HeaderName::from_static("grpc-retry-pushback-ms");
/// The `Vary` value of a body in a negotiated format.
pub(crate) const VARY_ACCEPT: HeaderValue = HeaderValue::from_static("accept");
/// ... in a negotiated format and language.
pub(crate) const VARY_ACCEPT_AND_LANGUAGE: HeaderValue =
    HeaderValue::from_static("accept, accept-language");
/// ... in a fixed format and a negotiated language.
pub(crate) const VARY_ACCEPT_LANGUAGE: HeaderValue = HeaderValue::from_static("accept-language");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// The headers that describe a body the layer wrote, and keep browsers from
/// caching or sniffing it.
pub(crate) fn insert_body_headers(
    headers: &mut HeaderMap,
    content_type: HeaderValue,
    content_length: HeaderValue,
) {
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, content_length);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
}

/// Sets `name` to `value` in a header map cloned from a prepared one, in
/// place when it is there already. `HeaderMap::insert` makes room for one
/// more entry before it looks for the name, so a map filled to its load
/// factor, as a prepared one can be, would reallocate just to replace a
/// value. A name not there yet is inserted, which may allocate.
pub(crate) fn set(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    match headers.get_mut(&name) {
        Some(slot) => *slot = value,
        None => {
            headers.insert(name, value);
        }
    }
}

/// Adds the names in `vary` that the upstream's `Vary` lacks; its other
/// entries (`Origin`, say) still describe headers that are kept.
pub(crate) fn add_vary(headers: &mut HeaderMap, vary: Option<HeaderValue>) {
    let Some(vary) = vary else { return };
    let listed = |name: &[u8]| {
        headers.get_all(header::VARY).iter().any(|value| {
            value.as_bytes().split(|&b| b == b',').any(|listed| {
                let listed = listed.trim_ascii();
                listed.eq_ignore_ascii_case(name) || listed == b"*"
            })
        })
    };
    let names = || {
        vary.as_bytes()
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
    };
    let missing: Vec<&[u8]> = names().filter(|name| !listed(name)).collect();
    if missing.is_empty() {
        return;
    }
    let value = if missing.len() == names().count() {
        vary.clone()
    } else {
        HeaderValue::from_bytes(&missing.join(&b", "[..])).unwrap_or_else(|_| vary.clone())
    };
    headers.append(header::VARY, value);
}

/// Whether `name` is a connection-specific header field, which HTTP/2
/// forbids (RFC 9113 §8.2.2) and a proxy must not forward.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TE
        || name == header::UPGRADE
        || name == "keep-alive"
        || name == "proxy-connection"
}

/// Whether `name` describes one representation of a resource (RFC 9110
/// §8): a fixed value would mislabel the layer's body, which it writes
/// whole, unencoded, new each time.
fn is_representation_metadata(name: &HeaderName) -> bool {
    name == header::CONTENT_ENCODING
        || name == header::CONTENT_RANGE
        || name == header::ETAG
        || name == header::LAST_MODIFIED
}

/// Headers the user adds to every error response, set last so they win
/// over the layer's own `Cache-Control` and `X-Content-Type-Options`;
/// `Set-Cookie` is added to any the answer has (an intercepted upstream
/// answer's cookies stay), since cookies are never combined.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtraHeaders(Vec<(HeaderName, HeaderValue)>);

impl ExtraHeaders {
    /// Refuses the headers the layer writes from its own settings, naming
    /// the setting to use instead.
    pub(crate) fn compile(headers: Vec<(HeaderName, HeaderValue)>) -> Result<Self, ConfigError> {
        for (name, _) in &headers {
            let instead = if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
                "it is part of the framing of the body the layer writes"
            } else if name == header::CONTENT_TYPE {
                "html_template, json_template or renderer set it with the body"
            } else if name == PROXY_STATUS {
                "proxy_name and proxy_status set it"
            } else if name == header::CONTENT_LANGUAGE {
                "the layer sets it from the page's language: see languages, default_language and translation"
            } else if name == header::RETRY_AFTER {
                "retry_after and retry_after_for set it"
            } else if name == header::VARY {
                "the layer lists `accept` and `accept-language` when it negotiates the format and the language"
            } else if name == GRPC_STATUS || name == GRPC_MESSAGE {
                "grpc_status_for sets the code"
            } else if name == GRPC_RETRY_PUSHBACK_MS {
                "retry_after and retry_after_for set it"
            } else if is_representation_metadata(name) {
                "it describes a representation, and the layer's body is a new one, \
                 written whole and unencoded"
            } else if is_hop_by_hop(name) {
                "it describes one connection, not the answer (RFC 9110 §7.6.1), and \
                 HTTP/2 and gRPC forbid it"
            } else {
                continue;
            };
            return Err(ConfigError::ReservedHeader {
                name: name.clone(),
                instead,
            });
        }
        Ok(Self(headers))
    }

    pub(crate) fn insert_into(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.0 {
            if name == header::SET_COOKIE {
                headers.append(name.clone(), value.clone());
            } else {
                headers.insert(name.clone(), value.clone());
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why `name` is refused as an extra header; the message names it.
    fn refusal(name: &'static str) -> String {
        let error = ExtraHeaders::compile(vec![(
            HeaderName::from_static(name),
            HeaderValue::from_static("x"),
        )])
        .unwrap_err()
        .to_string();
        assert!(error.contains(name), "{error}");
        error
    }

    #[test]
    fn the_layers_own_headers_are_refused_with_the_setting_to_use() {
        for name in [
            "proxy-status",
            "content-type",
            "retry-after",
            "vary",
            "content-length",
            "content-language",
        ] {
            refusal(name);
        }
        let error =
            ExtraHeaders::compile(vec![(PROXY_STATUS, HeaderValue::from_static("x"))]).unwrap_err();
        assert!(error.to_string().contains("proxy_name"), "{error}");
        let cache = (header::CACHE_CONTROL, HeaderValue::from_static("max-age=5"));
        let extra = ExtraHeaders::compile(vec![cache]).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, NO_STORE);
        extra.insert_into(&mut headers);
        assert_eq!(headers[header::CACHE_CONTROL], "max-age=5");
    }

    #[test]
    fn representation_headers_are_refused_with_why() {
        for name in ["content-encoding", "content-range", "etag", "last-modified"] {
            let error = refusal(name);
            assert!(error.contains("unencoded"), "{error}");
        }
    }

    #[test]
    fn cookies_are_added_to_the_answers_own() {
        let extra = ExtraHeaders::compile(vec![
            (header::SET_COOKIE, HeaderValue::from_static("a=1")),
            (header::SET_COOKIE, HeaderValue::from_static("b=2")),
        ])
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::SET_COOKIE, HeaderValue::from_static("upstream=0"));
        extra.insert_into(&mut headers);
        let cookies: Vec<_> = headers.get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(cookies, ["upstream=0", "a=1", "b=2"]);
    }

    #[test]
    fn hop_by_hop_headers_are_refused_with_why() {
        for name in [
            "connection",
            "keep-alive",
            "te",
            "transfer-encoding",
            "upgrade",
            "proxy-connection",
        ] {
            let error = refusal(name);
            if name != "transfer-encoding" {
                assert!(error.contains("HTTP/2"), "{error}");
            }
        }
    }

    #[test]
    fn vary_keeps_the_upstreams_entries() {
        let mut headers = HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        add_vary(&mut headers, Some(VARY_ACCEPT));
        let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["Origin", "accept"]);
        let mut headers = HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("origin, Accept"));
        add_vary(&mut headers, Some(VARY_ACCEPT));
        assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
        add_vary(&mut headers, Some(VARY_ACCEPT_AND_LANGUAGE));
        let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["origin, Accept", "accept-language"]);
    }
}
