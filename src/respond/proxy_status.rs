//! The `Proxy-Status` header (RFC 9209): the intermediary's name and the
//! error type, as a structured-field list member, worked out per kind when
//! the layer is built ([`ProxyStatus`]).

use std::fmt::Write as _;

use http::{HeaderMap, HeaderValue, StatusCode};

use super::headers::PROXY_STATUS;
use super::structured_field::{is_proxy_status, is_token, push_string};
use crate::error::{Params, PerKind};
use crate::{ConfigError, UpstreamErrorKind};

/// The builder's `Proxy-Status` settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// This gateway's name (`gateway` unless set).
    pub(crate) name: Option<String>,
    /// Whether the header is sent (on unless set).
    pub(crate) enabled: Option<bool>,
    /// `next-hop`: where the upstream is; off unless set, as it describes
    /// the topology.
    pub(crate) next_hop: Option<String>,
    /// `next-protocol`: the ALPN id spoken to the upstream; off unless set.
    pub(crate) next_protocol: Option<String>,
}

/// This gateway's name, and its `Proxy-Status` member for each kind.
#[derive(Debug, Clone)]
pub(super) struct ProxyStatus {
    /// The name as given, for bodies.
    name: String,
    /// The name as a structured-field item.
    member: String,
    /// `; next-hop=…; next-protocol=…` when the user turned them on: they
    /// describe the topology, so they are off by default.
    topology: String,
    /// The header value per kind; `None` when the header is turned off.
    values: Option<PerKind<HeaderValue>>,
}

impl ProxyStatus {
    /// Checks the name (and the next hop's parameters) and renders every
    /// kind's value, unless the header is off (the name is still checked:
    /// bodies show it).
    pub(super) fn compile(settings: Settings) -> Result<Self, ConfigError> {
        let name = settings.name.unwrap_or_else(|| "gateway".to_owned());
        let member = render_name(&name)?;
        let mut topology = String::new();
        if let Some(host) = &settings.next_hop {
            if host.is_empty() || host.chars().any(|c| !(' '..='~').contains(&c)) {
                return Err(ConfigError::InvalidNextHop { host: host.clone() });
            }
            topology.push_str("; next-hop=");
            if is_token(host) {
                topology.push_str(host);
            } else {
                push_string(&mut topology, host);
            }
        }
        if let Some(protocol) = &settings.next_protocol {
            if !is_token(protocol) {
                return Err(ConfigError::InvalidNextProtocol {
                    protocol: protocol.clone(),
                });
            }
            topology.push_str("; next-protocol=");
            topology.push_str(protocol);
        }
        let values = settings.enabled.unwrap_or(true).then(|| {
            PerKind::from_fn(|kind| {
                let text = format!("{member}; error={}{topology}", kind.as_str());
                HeaderValue::from_str(&text).expect("the name was validated as visible ASCII")
            })
        });
        Ok(Self {
            name,
            member,
            topology,
            values,
        })
    }

    /// The name as given, for bodies.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The value for a failure of `kind`, as prepared.
    pub(super) fn value(&self, kind: UpstreamErrorKind) -> Option<HeaderValue> {
        Some(self.values.as_ref()?[kind].clone())
    }

    /// The value for a failure of `kind` with what only this failure says:
    /// its error type's parameters, and its error chain as `details` when
    /// there is one to show. `None` when the header is off.
    pub(super) fn value_for(
        &self,
        kind: UpstreamErrorKind,
        params: Option<&Params>,
        details: Option<&str>,
    ) -> Option<HeaderValue> {
        self.values.as_ref()?;
        let mut text = format!("{}; error={}", self.member, kind.as_str());
        if let Some(params) = params {
            if let Some(rcode) = &params.rcode {
                text.push_str("; rcode=");
                push_string(&mut text, rcode);
            }
            if let Some(info_code) = params.info_code {
                let _ = write!(text, "; info-code={info_code}");
            }
            if let Some((id, message)) = params.alert {
                let _ = write!(text, "; alert-id={id}");
                if let Some(message) = message {
                    text.push_str("; alert-message=");
                    push_string(&mut text, message);
                }
            }
        }
        if let Some(details) = details {
            text.push_str("; details=");
            let details: String = details.chars().take(MAX_DETAILS_LEN).collect();
            push_string(&mut text, &details);
        }
        text.push_str(&self.topology);
        Some(HeaderValue::from_str(&text).expect("only visible ASCII was written"))
    }

    /// Appends this gateway's member for an upstream answer it passed on
    /// with another body (`name; received-status=503`) to the upstream's
    /// own `Proxy-Status`, if the header is on. An upstream value that is
    /// not a valid list is dropped (and logged): combined with ours, it
    /// would make the whole field invalid, and recipients ignore an invalid
    /// field entirely (RFC 9651).
    pub(super) fn append_received(&self, headers: &mut HeaderMap, status: StatusCode) {
        if self.values.is_none() {
            return;
        }
        let member = format!(
            "{}; received-status={}{}",
            self.member,
            status.as_u16(),
            self.topology
        );
        // Several field lines are one list, joined as RFC 9651 §4.2 joins
        // them, empty lines included: `lb-a`, ``, `lb-b` is a list with an
        // empty member, invalid whole, not `lb-a, lb-b`.
        let mut upstream = Vec::new();
        let mut lines = 0;
        for line in headers.get_all(&PROXY_STATUS) {
            if lines > 0 {
                upstream.extend_from_slice(b", ");
            }
            upstream.extend_from_slice(line.as_bytes().trim_ascii());
            lines += 1;
        }
        let value = if lines == 0 || (lines == 1 && upstream.is_empty()) {
            member
        } else if is_proxy_status(&upstream) {
            let mut value = String::from_utf8(upstream).expect("a valid structured field is ASCII");
            value.push_str(", ");
            value.push_str(&member);
            value
        } else {
            #[cfg(feature = "tracing")]
            tracing::warn!(
                proxy_status = %String::from_utf8_lossy(&upstream),
                "dropped the upstream's Proxy-Status: it is not a valid list of strings and tokens",
            );
            member
        };
        headers.insert(
            PROXY_STATUS,
            HeaderValue::from_str(&value).expect("a valid list of visible ASCII"),
        );
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
    if is_token(name) {
        Ok(name.to_owned())
    } else {
        let mut out = String::with_capacity(name.len() + 2);
        push_string(&mut out, name);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(next_hop: Option<&str>, next_protocol: Option<&str>) -> ProxyStatus {
        ProxyStatus::compile(Settings {
            name: Some("edge".into()),
            enabled: None,
            next_hop: next_hop.map(Into::into),
            next_protocol: next_protocol.map(Into::into),
        })
        .unwrap()
    }

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
        let value = edge(None, None)
            .value_for(
                UpstreamErrorKind::ConnectionRefused,
                None,
                Some("tcp \"connect\" \\ error\r\nX: caf\u{e9}"),
            )
            .unwrap();
        assert_eq!(
            value,
            r#"edge; error=connection_refused; details="tcp \"connect\" \\ error??X: caf?""#
        );
        let long = "x".repeat(10_000);
        let value = edge(None, None)
            .value_for(UpstreamErrorKind::Unclassified, None, Some(&long))
            .unwrap();
        assert!(value.len() < MAX_DETAILS_LEN + 64);
    }

    #[test]
    fn type_parameters_and_the_next_hop_are_serialized_as_structured_fields() {
        let proxy_status = edge(Some("10.0.0.7:8080"), Some("h2"));
        let dns = Params {
            rcode: Some("NXDOMAIN".into()),
            info_code: Some(3),
            alert: None,
        };
        let value = proxy_status
            .value_for(UpstreamErrorKind::DnsError, Some(&dns), None)
            .unwrap();
        assert_eq!(
            value,
            r#"edge; error=dns_error; rcode="NXDOMAIN"; info-code=3; next-hop="10.0.0.7:8080"; next-protocol=h2"#
        );
        assert!(is_proxy_status(value.as_bytes()));
        let tls = Params {
            alert: Some((40, Some("handshake_failure"))),
            ..Params::default()
        };
        let value = edge(None, None)
            .value_for(UpstreamErrorKind::TlsAlertReceived, Some(&tls), None)
            .unwrap();
        assert_eq!(
            value,
            r#"edge; error=tls_alert_received; alert-id=40; alert-message="handshake_failure""#
        );
        let bad = Settings {
            next_protocol: Some("http 1".into()),
            ..Settings::default()
        };
        assert!(ProxyStatus::compile(bad).is_err());
    }

    #[test]
    fn an_upstream_value_is_kept_only_if_it_is_a_valid_list() {
        let append = |lines: &[&'static str]| {
            let mut headers = HeaderMap::new();
            for line in lines {
                headers.append(PROXY_STATUS, HeaderValue::from_static(line));
            }
            edge(None, None).append_received(&mut headers, StatusCode::GATEWAY_TIMEOUT);
            headers[PROXY_STATUS].to_str().unwrap().to_owned()
        };
        assert_eq!(
            append(&["cdn; error=connection_timeout", " lb "]),
            "cdn; error=connection_timeout, lb, edge; received-status=504"
        );
        assert_eq!(append(&[]), "edge; received-status=504");
        // A trailing comma, a bad parameter: the whole upstream value goes.
        assert_eq!(append(&["lb, "]), "edge; received-status=504");
        assert_eq!(append(&["lb; Error=x"]), "edge; received-status=504");
    }
}
