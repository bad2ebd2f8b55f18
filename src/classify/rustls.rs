//! Rules for `rustls::Error`, which reaches us as an `io::Error` payload.

use std::error::Error;

use super::Step;
use crate::UpstreamErrorKind;

pub(super) fn classify(level: &(dyn Error + 'static)) -> Step {
    let Some(error) = level.downcast_ref::<rustls::Error>() else {
        return Step::Continue;
    };
    Step::Decided(match error {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::UnsupportedNameType
        | rustls::Error::InvalidCertRevocationList(_) => UpstreamErrorKind::TlsCertificateError,
        rustls::Error::AlertReceived(_) => UpstreamErrorKind::TlsAlertReceived,
        _ => UpstreamErrorKind::TlsProtocolError,
    })
}
