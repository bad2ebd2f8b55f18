//! The support or status-page link on error pages, checked when the layer
//! is built ([`SupportUrl`]).

use http::uri::{Scheme, Uri};

use crate::ConfigError;

/// An absolute `http` or `https` URL, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SupportUrl(String);

impl SupportUrl {
    /// Accepts `url` if it is an absolute `http(s)` URL with a host. Pages
    /// escape it like any other field; the check keeps out what escaping
    /// cannot make safe in a link, such as a `javascript:` URL.
    pub(crate) fn compile(url: String) -> Result<Self, ConfigError> {
        let refuse = |reason: &'static str| ConfigError::InvalidSupportUrl {
            url: url.clone(),
            reason,
        };
        // RFC 3986's characters only: `http::Uri` also takes quotes and
        // braces, which a link should not carry raw.
        let uri_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
        if !url.bytes().all(uri_char) {
            return Err(refuse(
                "it has characters a URL must percent-encode (spaces, quotes, <, >)",
            ));
        }
        // `javascript:...` parses as a host and port: look at the scheme
        // as written first.
        let written_scheme = url.split_once(':').map(|(scheme, _)| scheme);
        if written_scheme.is_some_and(|scheme| {
            !scheme.contains('/')
                && !scheme.eq_ignore_ascii_case("http")
                && !scheme.eq_ignore_ascii_case("https")
                && !url[scheme.len() + 1..].starts_with("//")
        }) {
            return Err(refuse("only http and https links are shown"));
        }
        let parsed: Uri = url
            .parse()
            .map_err(|_| refuse("it is not a URL (spaces and quotes must be percent-encoded)"))?;
        match parsed.scheme() {
            Some(scheme) if *scheme == Scheme::HTTP || *scheme == Scheme::HTTPS => {}
            Some(_) => return Err(refuse("only http and https links are shown")),
            None => return Err(refuse("it is not absolute: start it with https://")),
        }
        if parsed.host().is_none_or(str::is_empty) {
            return Err(refuse("it has no host"));
        }
        Ok(Self(url))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_links_are_accepted() {
        for good in [
            "https://status.example.com",
            "http://example.com/help?from=502#top",
            "https://example.com:8443/a%20b",
        ] {
            assert_eq!(SupportUrl::compile(good.into()).unwrap().as_str(), good);
        }
        for bad in [
            "javascript:alert(1)",
            "/help",
            "status.example.com",
            "ftp://example.com",
            "https://exa mple.com",
            "https://example.com/\"onmouseover=x",
            "",
        ] {
            let error = SupportUrl::compile(bad.into()).unwrap_err();
            assert!(
                matches!(error, ConfigError::InvalidSupportUrl { .. }),
                "{bad:?}"
            );
        }
    }
}
