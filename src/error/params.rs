//! What a failure reports beyond its kind, for the parameters of its
//! `Proxy-Status` error type (RFC 9209 §2.3): the DNS response code and
//! extended error of a `dns_error`, the TLS alert of a
//! `tls_alert_received`. Found once, when the [`UpstreamError`] is made, so
//! answering it walks no chain.
//!
//! [`UpstreamError`]: crate::UpstreamError

use std::error::Error;

use super::chain::error_chain;
use super::kind::UpstreamErrorKind;

/// The parameters one failure's `Proxy-Status` carries; each `None` unless
/// the error chain reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    /// `rcode`: the DNS response code, as its name (`NXDOMAIN`).
    pub(crate) rcode: Option<Box<str>>,
    /// `info-code`: the extended DNS error code (RFC 8914).
    pub(crate) info_code: Option<u16>,
    /// `alert-id`, and `alert-message` when the registry names the alert.
    pub(crate) alert: Option<(u8, Option<&'static str>)>,
}

impl Params {
    /// What `source`'s chain reports for a failure of `kind`; `None` when
    /// it reports nothing, which is free for the kinds that have no
    /// parameters (their chain is not walked).
    pub(crate) fn of(kind: UpstreamErrorKind, source: &(dyn Error + 'static)) -> Option<Box<Self>> {
        let params = match kind {
            // RFC 9209 defines `rcode` and `info-code` for `dns_error` only.
            UpstreamErrorKind::DnsError => {
                let dns = error_chain(source)
                    .find_map(|level| level.downcast_ref::<crate::dns::DnsError>())?;
                Self {
                    rcode: dns.reported_rcode().map(Box::from),
                    info_code: dns.reported_info_code(),
                    alert: None,
                }
            }
            #[cfg(feature = "rustls")]
            UpstreamErrorKind::TlsAlertReceived => Self {
                alert: error_chain(source).find_map(|level| {
                    match level.downcast_ref::<rustls::Error>() {
                        Some(rustls::Error::AlertReceived(alert)) => {
                            let id = u8::from(*alert);
                            Some((id, alert_name(id)))
                        }
                        _ => None,
                    }
                }),
                ..Self::default()
            },
            _ => return None,
        };
        (params != Self::default()).then(|| Box::new(params))
    }
}

/// The alert's name in the TLS Alerts registry (IANA), by its id; `None`
/// for an id the registry does not name.
#[cfg(feature = "rustls")]
fn alert_name(id: u8) -> Option<&'static str> {
    Some(match id {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UpstreamError;

    #[test]
    fn dns_failures_carry_what_the_resolver_reported() {
        let nxdomain = crate::dns::DnsError::failed("api.internal", "no such name")
            .rcode("NXDOMAIN")
            .info_code(3);
        let error = UpstreamError::classify(nxdomain);
        let params = error.proxy_status_params().unwrap();
        assert_eq!(params.rcode.as_deref(), Some("NXDOMAIN"));
        assert_eq!(params.info_code, Some(3));
        // Made with the kind known, not classified: the same.
        let told = UpstreamError::new(
            UpstreamErrorKind::DnsError,
            crate::dns::DnsError::failed("api.internal", "no such name").rcode("SERVFAIL"),
        );
        assert_eq!(
            told.proxy_status_params().unwrap().rcode.as_deref(),
            Some("SERVFAIL")
        );
        let plain = UpstreamError::classify(crate::dns::DnsError::no_addresses("api.internal"));
        assert_eq!(plain.kind(), UpstreamErrorKind::DnsError);
        assert!(plain.proxy_status_params().is_none(), "nothing reported");
        let refused =
            UpstreamError::classify(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(refused.proxy_status_params().is_none());
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
            error.proxy_status_params().unwrap().alert,
            Some((40, Some("handshake_failure")))
        );
        assert_eq!(alert_name(48), Some("unknown_ca"));
        assert_eq!(alert_name(112), Some("unrecognized_name"));
        assert_eq!(alert_name(123), None);
    }
}
