//! What a failure says beyond its kind, for the `Proxy-Status` parameters
//! of its error type (RFC 9209 §2.3): the DNS response code and extended
//! error of a `dns_error`, the TLS alert of a `tls_alert_received`.

use crate::error::error_chain;
use crate::{UpstreamError, UpstreamErrorKind};

/// The parameters one failure's `Proxy-Status` carries; all `None` unless
/// the error chain reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params<'a> {
    /// `rcode`: the DNS response code, as its name (`NXDOMAIN`).
    pub(crate) rcode: Option<&'a str>,
    /// `info-code`: the extended DNS error code (RFC 8914).
    pub(crate) info_code: Option<u16>,
    /// `alert-id` and `alert-message`: the TLS alert received.
    pub(crate) alert: Option<(u8, String)>,
}

impl Params<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.rcode.is_none() && self.info_code.is_none() && self.alert.is_none()
    }
}

impl UpstreamError {
    /// The `Proxy-Status` parameters this error's chain reports for its
    /// kind. Only the kinds that have any are walked.
    pub(crate) fn proxy_status_params(&self) -> Params<'_> {
        let mut params = Params::default();
        match self.kind() {
            UpstreamErrorKind::DnsError | UpstreamErrorKind::DnsTimeout => {
                if let Some(dns) =
                    error_chain(self).find_map(|level| level.downcast_ref::<crate::dns::DnsError>())
                {
                    params.rcode = dns.reported_rcode();
                    params.info_code = dns.reported_info_code();
                }
            }
            #[cfg(feature = "rustls")]
            UpstreamErrorKind::TlsAlertReceived => {
                params.alert = error_chain(self).find_map(|level| {
                    match level.downcast_ref::<rustls::Error>() {
                        Some(rustls::Error::AlertReceived(alert)) => {
                            Some((u8::from(*alert), alert_name(alert)))
                        }
                        _ => None,
                    }
                });
            }
            _ => {}
        }
        params
    }
}

/// The alert's name as TLS writes it (`handshake_failure`), from rustls's
/// `HandshakeFailure`.
#[cfg(feature = "rustls")]
fn alert_name(alert: &rustls::AlertDescription) -> String {
    let camel = format!("{alert:?}");
    let mut name = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_failures_carry_what_the_resolver_reported() {
        let nxdomain = crate::dns::DnsError::failed("api.internal", "no such name")
            .rcode("NXDOMAIN")
            .info_code(3);
        let error = UpstreamError::classify(nxdomain);
        let params = error.proxy_status_params();
        assert_eq!(params.rcode, Some("NXDOMAIN"));
        assert_eq!(params.info_code, Some(3));
        let refused =
            UpstreamError::classify(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(refused.proxy_status_params().is_empty());
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn tls_alerts_carry_their_id_and_name() {
        let alert = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
        );
        let error = UpstreamError::classify(alert);
        assert_eq!(error.kind(), UpstreamErrorKind::TlsAlertReceived);
        assert_eq!(
            error.proxy_status_params().alert,
            Some((40, "handshake_failure".to_owned()))
        );
    }
}
