//! The `Proxy-Status` header (RFC 9209): the intermediary's name and the
//! error type, as a structured-field list member.

use http::HeaderValue;

use crate::{ConfigError, UpstreamErrorKind};

/// Details longer than this are cut: the header is for diagnosis, and some
/// clients and caches limit header sizes.
const MAX_DETAILS_LEN: usize = 256;

/// The proxy name as it appears in the header: a bare sf-token when the name
/// is one, a quoted sf-string otherwise.
pub(crate) fn render_name(name: &str) -> Result<String, ConfigError> {
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
pub(crate) fn header_value(name: &str, kind: UpstreamErrorKind) -> HeaderValue {
    let text = format!("{name}; error={}", kind.as_str());
    HeaderValue::from_str(&text).expect("the name was validated as visible ASCII")
}

/// `name; error=<token>; details="<chain>"`, the details reduced to the
/// visible ASCII an sf-string can hold.
pub(crate) fn header_value_with_details(
    name: &str,
    kind: UpstreamErrorKind,
    details: &str,
) -> HeaderValue {
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
