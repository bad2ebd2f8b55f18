//! The `Proxy-Status` header (RFC 9209): the intermediary's name and the
//! error type, as a structured-field list member, worked out per kind when
//! the layer is built ([`ProxyStatus`]).

use http::{HeaderMap, HeaderValue, StatusCode};

use super::headers::PROXY_STATUS;
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

    /// Appends this gateway's member for an upstream answer it passed on
    /// with another body (`name; received-status=503`) to the upstream's
    /// own `Proxy-Status`, if the header is on.
    pub(crate) fn append_received(&self, headers: &mut HeaderMap, status: StatusCode) {
        if self.values.is_none() {
            return;
        }
        let member = format!("{}; received-status={}", self.member, status.as_u16());
        let value = appended_member(headers.get_all(&PROXY_STATUS).iter(), &member);
        headers.insert(PROXY_STATUS, value);
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
}
