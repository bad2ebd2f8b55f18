//! The `Proxy-Status` header (RFC 9209): the intermediary's name and the
//! error type, as a structured-field list member, worked out per kind when
//! the layer is built ([`ProxyStatus`]).

use http::{HeaderValue, StatusCode};

use crate::error::PerKind;
use crate::{ConfigError, UpstreamErrorKind};

/// This gateway's name, and its `Proxy-Status` member for each kind.
#[derive(Debug, Clone)]
pub(crate) struct ProxyStatus {
    /// The name as given, for bodies.
    name: String,
    /// The name as a structured-field item.
    member: String,
    /// The header value per kind; `None` when the header is turned off.
    values: Option<PerKind<HeaderValue>>,
}

impl ProxyStatus {
    /// Checks `name` and renders every kind's value, unless `enabled` is
    /// off (the name is still checked: bodies show it).
    pub(crate) fn compile(name: String, enabled: bool) -> Result<Self, ConfigError> {
        let member = render_name(&name)?;
        let values = enabled.then(|| PerKind::from_fn(|kind| header_value(&member, kind)));
        Ok(Self {
            name,
            member,
            values,
        })
    }

    /// The name as given, for bodies.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.values.is_some()
    }

    /// The value for a failure of `kind`, with its error chain as
    /// `details` when there is one to show.
    pub(crate) fn value(
        &self,
        kind: UpstreamErrorKind,
        details: Option<&str>,
    ) -> Option<HeaderValue> {
        let values = self.values.as_ref()?;
        Some(match details {
            Some(details) => header_value_with_details(&self.member, kind, details),
            None => values[kind].clone(),
        })
    }

    /// This gateway's member for an upstream answer it passed on with
    /// another body: `name; received-status=503`.
    pub(crate) fn received(&self, status: StatusCode) -> String {
        format!("{}; received-status={}", self.member, status.as_u16())
    }
}

/// Details longer than this are cut: the header is for diagnosis, and some
/// clients and caches limit header sizes.
const MAX_DETAILS_LEN: usize = 256;

/// The proxy name as it appears in the header: a bare sf-token when the name
/// is one, a quoted sf-string otherwise.
fn render_name(name: &str) -> Result<String, ConfigError> {
    if name.is_empty() {
        return Err(ConfigError::EmptyProxyName);
    }
    if let Some(bad) = name.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(ConfigError::InvalidProxyName {
            name: name.to_owned(),
            character: bad,
        });
    }
    if is_sf_token(name) {
        Ok(name.to_owned())
    } else {
        let mut out = String::with_capacity(name.len() + 2);
        push_sf_string(&mut out, name);
        Ok(out)
    }
}

/// `name; error=<token>`, without details.
fn header_value(name: &str, kind: UpstreamErrorKind) -> HeaderValue {
    let text = format!("{name}; error={}", kind.as_str());
    HeaderValue::from_str(&text).expect("the name was validated as visible ASCII")
}

/// `name; error=<token>; details="<chain>"`, the details reduced to the
/// visible ASCII an sf-string can hold.
fn header_value_with_details(name: &str, kind: UpstreamErrorKind, details: &str) -> HeaderValue {
    let mut text = format!("{name}; error={}; details=", kind.as_str());
    let details: String = details
        .chars()
        .take(MAX_DETAILS_LEN)
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    push_sf_string(&mut text, &details);
    HeaderValue::from_str(&text).expect("only visible ASCII was written")
}

fn is_sf_token(s: &str) -> bool {
    let mut bytes = s.bytes();
    let first_ok = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'*');
    first_ok && bytes.all(|b| is_tchar(b) || b == b':' || b == b'/')
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Appends `s` (already visible ASCII) as an sf-string: quoted, with `"`
/// and `\` escaped.
fn push_sf_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_tokens_or_strings() {
        assert_eq!(render_name("edge-1").unwrap(), "edge-1");
        assert_eq!(render_name("my proxy").unwrap(), "\"my proxy\"");
        assert_eq!(render_name("1proxy").unwrap(), "\"1proxy\"");
        assert_eq!(render_name("a\"b").unwrap(), r#""a\"b""#);
        assert!(render_name("").is_err());
        assert!(render_name("caf\u{e9}").is_err());
        assert!(render_name("a\r\nX-Evil: 1").is_err());
    }

    #[test]
    fn details_are_escaped_and_bounded() {
        let value = header_value_with_details(
            "gw",
            UpstreamErrorKind::ConnectionRefused,
            "tcp \"connect\" \\ error\r\nX: caf\u{e9}",
        );
        assert_eq!(
            value,
            r#"gw; error=connection_refused; details="tcp \"connect\" \\ error??X: caf?""#
        );
        let long = "x".repeat(10_000);
        let value = header_value_with_details("gw", UpstreamErrorKind::Unclassified, &long);
        assert!(value.len() < MAX_DETAILS_LEN + 64);
    }
}
