//! [`UpstreamErrorKind`]: what went wrong, named by RFC 9209's proxy error
//! types; and [`PerKind`], a table with one value per kind.

use std::fmt;
use std::ops::{Index, IndexMut};

use http::StatusCode;

/// How a call to the upstream failed.
///
/// The variants follow the proxy error types of
/// [RFC 9209 §2.3](https://www.rfc-editor.org/rfc/rfc9209#section-2.3) that an
/// upstream call can produce. Each kind knows its token for the `Proxy-Status`
/// header ([`as_str`](Self::as_str)), the status the RFC recommends
/// ([`default_status`](Self::default_status)), whether it is a timeout, and
/// whether the request certainly never reached the upstream.
///
/// ```
/// use http::StatusCode;
/// use tower_gateway_error::UpstreamErrorKind;
///
/// let kind = UpstreamErrorKind::ConnectionTimeout;
/// assert_eq!(kind.as_str(), "connection_timeout");
/// assert_eq!(kind.default_status(), StatusCode::GATEWAY_TIMEOUT);
/// assert!(kind.is_timeout());
/// assert!(kind.is_retry_safe());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UpstreamErrorKind {
    /// The upstream's name did not resolve (`dns_error`, 502).
    DnsError,
    /// Resolving the upstream's name took too long (`dns_timeout`, 504).
    DnsTimeout,
    /// No route to the upstream's address (`destination_ip_unroutable`, 502).
    DestinationIpUnroutable,
    /// The upstream is known to be unavailable, e.g. the service in front of
    /// it has shut down (`destination_unavailable`, 503).
    DestinationUnavailable,
    /// The gateway could not tell which upstream the request is for
    /// (`destination_not_found`, 500).
    DestinationNotFound,
    /// The gateway may not connect to the upstream's address, by its own
    /// policy (`destination_ip_prohibited`, 502).
    DestinationIpProhibited,
    /// The upstream refused the connection or the HTTP/2 stream
    /// (`connection_refused`, 502).
    ConnectionRefused,
    /// The connection closed or was reset before a response arrived
    /// (`connection_terminated`, 502).
    ConnectionTerminated,
    /// Connecting to the upstream took too long (`connection_timeout`, 504).
    ConnectionTimeout,
    /// Reading from an open connection took too long
    /// (`connection_read_timeout`, 504).
    ConnectionReadTimeout,
    /// Writing the request took too long (`connection_write_timeout`, 504).
    ConnectionWriteTimeout,
    /// The gateway is at its limit of concurrent requests or connections
    /// (`connection_limit_reached`, 503).
    ConnectionLimitReached,
    /// The TLS handshake with the upstream failed (`tls_protocol_error`, 502).
    TlsProtocolError,
    /// The upstream's certificate was not accepted
    /// (`tls_certificate_error`, 502).
    TlsCertificateError,
    /// The upstream sent a TLS alert (`tls_alert_received`, 502).
    TlsAlertReceived,
    /// The response ended before it was complete
    /// (`http_response_incomplete`, 502).
    HttpResponseIncomplete,
    /// The response head was larger than the client accepts
    /// (`http_response_header_section_size`, 502).
    HttpResponseHeaderSectionSize,
    /// One response header was larger than the gateway accepts
    /// (`http_response_header_size`, 502).
    HttpResponseHeaderSize,
    /// The response body was larger than the gateway accepts
    /// (`http_response_body_size`, 502).
    HttpResponseBodySize,
    /// The response trailers were larger than the gateway accepts
    /// (`http_response_trailer_section_size`, 502).
    HttpResponseTrailerSectionSize,
    /// One response trailer was larger than the gateway accepts
    /// (`http_response_trailer_size`, 502).
    HttpResponseTrailerSize,
    /// The response's transfer coding could not be decoded
    /// (`http_response_transfer_coding`, 502).
    HttpResponseTransferCoding,
    /// The response's content coding could not be decoded
    /// (`http_response_content_coding`, 502).
    HttpResponseContentCoding,
    /// The upstream's answer was not valid HTTP (`http_protocol_error`, 502).
    HttpProtocolError,
    /// No response head arrived in time (`http_response_timeout`, 504).
    HttpResponseTimeout,
    /// A protocol upgrade with the upstream failed (`http_upgrade_failed`, 502).
    HttpUpgradeFailed,
    /// The request could not be forwarded because of the request itself,
    /// e.g. its body failed while being sent (`http_request_error`, 400).
    /// The upstream is not at fault.
    HttpRequestError,
    /// The gateway refused to forward the request, by its own policy
    /// (`http_request_denied`, 403).
    HttpRequestDenied,
    /// The request came back to this gateway (`proxy_loop_detected`, 502).
    ProxyLoopDetected,
    /// The gateway's configuration does not allow it to handle the request
    /// (`proxy_configuration_error`, 500).
    ProxyConfigurationError,
    /// The gateway answered the request itself, without trying the upstream
    /// (`proxy_internal_response`, 500 unless set otherwise).
    ProxyInternalResponse,
    /// No rule recognised the error. Sent as `proxy_internal_error`, the
    /// RFC's type for a failure the intermediary cannot attribute, with 502
    /// rather than the RFC's 500: the layer only sees errors from the call
    /// to the upstream, so one no rule knows is still a failure to get a
    /// valid response (502's meaning), and a 500 would page whoever watches
    /// the gateway's own bugs. Set 500 with
    /// [`status_for`](crate::GatewayErrorLayerBuilder::status_for) if you
    /// prefer the RFC's.
    Unclassified,
}

impl UpstreamErrorKind {
    /// Every kind, in declaration order. A slice, so adding a kind is not a
    /// breaking change.
    pub const ALL: &'static [UpstreamErrorKind] = &KINDS;
}

/// Every kind as an array, in declaration order: the index of a kind in
/// [`PerKind`].
const KINDS: [UpstreamErrorKind; 32] = {
    use UpstreamErrorKind::*;
    [
        DnsError,
        DnsTimeout,
        DestinationIpUnroutable,
        DestinationUnavailable,
        DestinationNotFound,
        DestinationIpProhibited,
        ConnectionRefused,
        ConnectionTerminated,
        ConnectionTimeout,
        ConnectionReadTimeout,
        ConnectionWriteTimeout,
        ConnectionLimitReached,
        TlsProtocolError,
        TlsCertificateError,
        TlsAlertReceived,
        HttpResponseIncomplete,
        HttpResponseHeaderSectionSize,
        HttpResponseHeaderSize,
        HttpResponseBodySize,
        HttpResponseTrailerSectionSize,
        HttpResponseTrailerSize,
        HttpResponseTransferCoding,
        HttpResponseContentCoding,
        HttpProtocolError,
        HttpResponseTimeout,
        HttpUpgradeFailed,
        HttpRequestError,
        HttpRequestDenied,
        ProxyLoopDetected,
        ProxyConfigurationError,
        ProxyInternalResponse,
        Unclassified,
    ]
};

impl UpstreamErrorKind {
    /// The RFC 9209 error type token, as sent in `Proxy-Status: name; error=<token>`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DnsError => "dns_error",
            Self::DnsTimeout => "dns_timeout",
            Self::DestinationIpUnroutable => "destination_ip_unroutable",
            Self::DestinationUnavailable => "destination_unavailable",
            Self::DestinationNotFound => "destination_not_found",
            Self::DestinationIpProhibited => "destination_ip_prohibited",
            Self::ConnectionRefused => "connection_refused",
            Self::ConnectionTerminated => "connection_terminated",
            Self::ConnectionTimeout => "connection_timeout",
            Self::ConnectionReadTimeout => "connection_read_timeout",
            Self::ConnectionWriteTimeout => "connection_write_timeout",
            Self::ConnectionLimitReached => "connection_limit_reached",
            Self::TlsProtocolError => "tls_protocol_error",
            Self::TlsCertificateError => "tls_certificate_error",
            Self::TlsAlertReceived => "tls_alert_received",
            Self::HttpResponseIncomplete => "http_response_incomplete",
            Self::HttpResponseHeaderSectionSize => "http_response_header_section_size",
            Self::HttpResponseHeaderSize => "http_response_header_size",
            Self::HttpResponseBodySize => "http_response_body_size",
            Self::HttpResponseTrailerSectionSize => "http_response_trailer_section_size",
            Self::HttpResponseTrailerSize => "http_response_trailer_size",
            Self::HttpResponseTransferCoding => "http_response_transfer_coding",
            Self::HttpResponseContentCoding => "http_response_content_coding",
            Self::HttpProtocolError => "http_protocol_error",
            Self::HttpResponseTimeout => "http_response_timeout",
            Self::HttpUpgradeFailed => "http_upgrade_failed",
            Self::HttpRequestError => "http_request_error",
            Self::HttpRequestDenied => "http_request_denied",
            Self::ProxyLoopDetected => "proxy_loop_detected",
            Self::ProxyConfigurationError => "proxy_configuration_error",
            Self::ProxyInternalResponse => "proxy_internal_response",
            Self::Unclassified => "proxy_internal_error",
        }
    }

    /// The status RFC 9209 recommends for this kind (502 for [`Unclassified`](Self::Unclassified)).
    pub const fn default_status(self) -> StatusCode {
        match self {
            Self::DnsTimeout
            | Self::ConnectionTimeout
            | Self::ConnectionReadTimeout
            | Self::ConnectionWriteTimeout
            | Self::HttpResponseTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::DestinationUnavailable | Self::ConnectionLimitReached => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::HttpRequestError => StatusCode::BAD_REQUEST,
            Self::HttpRequestDenied => StatusCode::FORBIDDEN,
            Self::DestinationNotFound
            | Self::ProxyConfigurationError
            | Self::ProxyInternalResponse => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_GATEWAY,
        }
    }

    /// Whether the upstream (or the resolver) took too long.
    pub const fn is_timeout(self) -> bool {
        matches!(
            self,
            Self::DnsTimeout
                | Self::ConnectionTimeout
                | Self::ConnectionReadTimeout
                | Self::ConnectionWriteTimeout
                | Self::HttpResponseTimeout
        )
    }

    /// Whether every failure of this kind happens before the request is sent,
    /// by the kind's definition: no answer from the resolver, no connection,
    /// no trusted certificate, or turned away by the gateway itself. Such a
    /// request may be retried whatever its method.
    ///
    /// TLS protocol errors and alerts are not in this set, since RFC 9209
    /// allows them after the handshake too. A particular error may still be
    /// retry-safe when the classifier saw it happen before sending (in
    /// hyper-util's connect phase, or an HTTP/2 stream the upstream never
    /// took); ask [`UpstreamError::is_retry_safe`](crate::UpstreamError::is_retry_safe)
    /// about one error.
    ///
    /// Safe is not useful: what the gateway decided itself (a denied
    /// request, a loop, a destination it cannot find, its configuration)
    /// comes out the same way again, and `RetryPolicy` does not retry it.
    pub const fn is_retry_safe(self) -> bool {
        matches!(
            self,
            Self::DnsError
                | Self::DnsTimeout
                | Self::DestinationIpUnroutable
                | Self::DestinationUnavailable
                | Self::DestinationNotFound
                | Self::DestinationIpProhibited
                | Self::ConnectionRefused
                | Self::ConnectionTimeout
                | Self::ConnectionLimitReached
                | Self::TlsCertificateError
                | Self::HttpRequestDenied
                | Self::ProxyLoopDetected
                | Self::ProxyConfigurationError
                | Self::ProxyInternalResponse
        )
    }

    const fn index(self) -> usize {
        self as usize
    }

    /// A sentence a client may see, free of addresses and error text.
    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::DnsError => "The gateway could not resolve the upstream server's name.",
            Self::DnsTimeout => "The gateway timed out resolving the upstream server's name.",
            Self::DestinationIpUnroutable => "The gateway has no route to the upstream server.",
            Self::DestinationUnavailable => "The upstream service is unavailable.",
            Self::DestinationNotFound => {
                "The gateway could not tell which upstream server the request is for."
            }
            Self::DestinationIpProhibited => {
                "The gateway may not connect to the upstream server's address."
            }
            Self::ConnectionRefused => "The upstream server refused the connection.",
            Self::ConnectionTerminated => {
                "The connection to the upstream server closed before a response arrived."
            }
            Self::ConnectionTimeout => "The gateway timed out connecting to the upstream server.",
            Self::ConnectionReadTimeout => {
                "The gateway timed out reading from the upstream server."
            }
            Self::ConnectionWriteTimeout => {
                "The gateway timed out sending the request to the upstream server."
            }
            Self::ConnectionLimitReached => {
                "The gateway is handling too many requests. Try again later."
            }
            Self::TlsProtocolError => "The secure connection to the upstream server failed.",
            Self::TlsCertificateError => "The upstream server's TLS certificate was not accepted.",
            Self::TlsAlertReceived => "The upstream server rejected the secure connection.",
            Self::HttpResponseIncomplete => "The upstream server sent an incomplete response.",
            Self::HttpResponseHeaderSectionSize => {
                "The upstream server's response headers were too large."
            }
            Self::HttpResponseHeaderSize => {
                "A header in the upstream server's response was too large."
            }
            Self::HttpResponseBodySize => "The upstream server's response body was too large.",
            Self::HttpResponseTrailerSectionSize => {
                "The upstream server's response trailers were too large."
            }
            Self::HttpResponseTrailerSize => {
                "A trailer in the upstream server's response was too large."
            }
            Self::HttpResponseTransferCoding => {
                "The upstream server's response used a transfer coding the gateway could not decode."
            }
            Self::HttpResponseContentCoding => {
                "The upstream server's response used a content coding the gateway could not decode."
            }
            Self::HttpProtocolError => "The upstream server sent an invalid response.",
            Self::HttpResponseTimeout => "The upstream server did not respond in time.",
            Self::HttpUpgradeFailed => "The protocol upgrade with the upstream server failed.",
            Self::HttpRequestError => "The request could not be forwarded to the upstream server.",
            Self::HttpRequestDenied => "The gateway refused to forward the request.",
            Self::ProxyLoopDetected => "The request looped back to the gateway.",
            Self::ProxyConfigurationError => {
                "The gateway is not configured to handle this request."
            }
            Self::ProxyInternalResponse => "The gateway answered the request itself.",
            Self::Unclassified => {
                "The gateway could not get a valid response from the upstream server."
            }
        }
    }
}

impl fmt::Display for UpstreamErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value per [`UpstreamErrorKind`], indexed by the kind: what the layer
/// works out for each kind when it is built (statuses, headers, pages).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PerKind<T>([T; KINDS.len()]);

impl<T> PerKind<T> {
    /// The table whose value for each kind is `value(kind)`.
    pub(crate) fn from_fn(value: impl FnMut(UpstreamErrorKind) -> T) -> Self {
        Self(KINDS.map(value))
    }
}

impl<T> Index<UpstreamErrorKind> for PerKind<T> {
    type Output = T;

    fn index(&self, kind: UpstreamErrorKind) -> &T {
        &self.0[kind.index()]
    }
}

impl<T> IndexMut<UpstreamErrorKind> for PerKind<T> {
    fn index_mut(&mut self, kind: UpstreamErrorKind) -> &mut T {
        &mut self.0[kind.index()]
    }
}

impl<T: fmt::Debug> fmt::Debug for PerKind<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(KINDS.iter().map(|kind| (kind.as_str(), &self[*kind])))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order() {
        for (i, kind) in UpstreamErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i, "{kind:?}");
        }
    }

    #[test]
    fn a_per_kind_table_holds_each_kinds_own_value() {
        let mut table = PerKind::from_fn(UpstreamErrorKind::as_str);
        for &kind in UpstreamErrorKind::ALL {
            assert_eq!(table[kind], kind.as_str());
        }
        table[UpstreamErrorKind::DnsError] = "changed";
        assert_eq!(table[UpstreamErrorKind::DnsError], "changed");
        assert_eq!(
            table[UpstreamErrorKind::Unclassified],
            "proxy_internal_error"
        );
    }

    #[test]
    fn tokens_are_unique_rfc9209_tokens() {
        let mut seen = std::collections::HashSet::new();
        for kind in UpstreamErrorKind::ALL {
            let token = kind.as_str();
            assert!(seen.insert(token), "duplicate token {token}");
            assert!(token.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }
}
