//! [`UpstreamErrorKind`]: what went wrong, named by RFC 9209's proxy error
//! types, with each kind's own facts written once, in one table; and
//! [`PerKind`], a table with one value per kind.

use std::fmt;
use std::ops::{Index, IndexMut};

use http::StatusCode;

/// A kind's own facts: its token, the status RFC 9209 recommends, whether
/// it is a timeout and whether the request surely never left, and the
/// sentence a client may see.
struct Facts {
    token: &'static str,
    status: StatusCode,
    timeout: bool,
    not_sent: bool,
    description: &'static str,
}

// The flags of a kind in the table below.
/// None of the flags.
const NONE: u8 = 0;
/// The upstream (or the resolver) took too long.
const TIMEOUT: u8 = 1;
/// Every failure of the kind happens before the request is sent.
const NOT_SENT: u8 = 2;

/// Declares [`UpstreamErrorKind`] from one row per kind: its docs, its
/// token, the status RFC 9209 recommends, its flags, and its description.
macro_rules! kinds {
    ($(
        $(#[$doc:meta])*
        $kind:ident = $token:literal, $status:ident, $flags:expr, $description:literal;
    )*) => {
        /// How a call to the upstream failed.
        ///
        /// The variants follow the proxy error types of
        /// [RFC 9209 §2.3](https://www.rfc-editor.org/rfc/rfc9209#section-2.3)
        /// that an upstream call can produce. Each kind knows its token for
        /// the `Proxy-Status` header ([`as_str`](Self::as_str)), the status
        /// the RFC recommends ([`default_status`](Self::default_status)),
        /// whether it is a timeout, and whether the request certainly never
        /// reached the upstream.
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
            $($(#[$doc])* $kind,)*
        }

        /// Every kind, in declaration order: the index of a kind in
        /// [`PerKind`].
        const KINDS: &[UpstreamErrorKind] = &[$(UpstreamErrorKind::$kind,)*];

        /// Each kind's facts, in declaration order.
        const FACTS: &[Facts] = &[$(Facts {
            token: $token,
            status: StatusCode::$status,
            timeout: $flags & TIMEOUT != 0,
            not_sent: $flags & NOT_SENT != 0,
            description: $description,
        },)*];
    };
}

kinds! {
    /// The upstream's name did not resolve (`dns_error`, 502).
    DnsError = "dns_error", BAD_GATEWAY, NOT_SENT, "The gateway could not resolve the upstream server's name.";
    /// Resolving the upstream's name took too long (`dns_timeout`, 504).
    DnsTimeout = "dns_timeout", GATEWAY_TIMEOUT, TIMEOUT | NOT_SENT, "The gateway timed out resolving the upstream server's name.";
    /// No route to the upstream's address (`destination_ip_unroutable`, 502).
    DestinationIpUnroutable = "destination_ip_unroutable", BAD_GATEWAY, NOT_SENT, "The gateway has no route to the upstream server.";
    /// The upstream is known to be unavailable, e.g. the service in front of
    /// it has shut down (`destination_unavailable`, 503).
    DestinationUnavailable = "destination_unavailable", SERVICE_UNAVAILABLE, NOT_SENT, "The upstream service is unavailable.";
    /// The gateway could not tell which upstream the request is for
    /// (`destination_not_found`, 500).
    DestinationNotFound = "destination_not_found", INTERNAL_SERVER_ERROR, NOT_SENT, "The gateway could not tell which upstream server the request is for.";
    /// The gateway may not connect to the upstream's address, by its own
    /// policy (`destination_ip_prohibited`, 502).
    DestinationIpProhibited = "destination_ip_prohibited", BAD_GATEWAY, NOT_SENT, "The gateway may not connect to the upstream server's address.";
    /// The upstream refused the connection or the HTTP/2 stream
    /// (`connection_refused`, 502).
    ConnectionRefused = "connection_refused", BAD_GATEWAY, NOT_SENT, "The upstream server refused the connection.";
    /// The connection closed or was reset before a response arrived
    /// (`connection_terminated`, 502).
    ConnectionTerminated = "connection_terminated", BAD_GATEWAY, NONE, "The connection to the upstream server closed before a response arrived.";
    /// Connecting to the upstream took too long (`connection_timeout`, 504).
    ConnectionTimeout = "connection_timeout", GATEWAY_TIMEOUT, TIMEOUT | NOT_SENT, "The gateway timed out connecting to the upstream server.";
    /// Reading from an open connection took too long
    /// (`connection_read_timeout`, 504).
    ConnectionReadTimeout = "connection_read_timeout", GATEWAY_TIMEOUT, TIMEOUT, "The gateway timed out reading from the upstream server.";
    /// Writing the request took too long (`connection_write_timeout`, 504).
    ConnectionWriteTimeout = "connection_write_timeout", GATEWAY_TIMEOUT, TIMEOUT, "The gateway timed out sending the request to the upstream server.";
    /// The gateway is at its limit of concurrent requests or connections
    /// (`connection_limit_reached`, 503).
    ConnectionLimitReached = "connection_limit_reached", SERVICE_UNAVAILABLE, NOT_SENT, "The gateway is handling too many requests. Try again later.";
    /// The TLS handshake with the upstream failed (`tls_protocol_error`, 502).
    TlsProtocolError = "tls_protocol_error", BAD_GATEWAY, NONE, "The secure connection to the upstream server failed.";
    /// The upstream's certificate was not accepted
    /// (`tls_certificate_error`, 502).
    TlsCertificateError = "tls_certificate_error", BAD_GATEWAY, NOT_SENT, "The upstream server's TLS certificate was not accepted.";
    /// The upstream sent a TLS alert (`tls_alert_received`, 502).
    TlsAlertReceived = "tls_alert_received", BAD_GATEWAY, NONE, "The upstream server rejected the secure connection.";
    /// The response ended before it was complete
    /// (`http_response_incomplete`, 502).
    HttpResponseIncomplete = "http_response_incomplete", BAD_GATEWAY, NONE, "The upstream server sent an incomplete response.";
    /// The response head was larger than the client accepts
    /// (`http_response_header_section_size`, 502).
    HttpResponseHeaderSectionSize = "http_response_header_section_size", BAD_GATEWAY, NONE, "The upstream server's response headers were too large.";
    /// One response header was larger than the gateway accepts
    /// (`http_response_header_size`, 502).
    HttpResponseHeaderSize = "http_response_header_size", BAD_GATEWAY, NONE, "A header in the upstream server's response was too large.";
    /// The response body was larger than the gateway accepts
    /// (`http_response_body_size`, 502).
    HttpResponseBodySize = "http_response_body_size", BAD_GATEWAY, NONE, "The upstream server's response body was too large.";
    /// The response trailers were larger than the gateway accepts
    /// (`http_response_trailer_section_size`, 502).
    HttpResponseTrailerSectionSize = "http_response_trailer_section_size", BAD_GATEWAY, NONE, "The upstream server's response trailers were too large.";
    /// One response trailer was larger than the gateway accepts
    /// (`http_response_trailer_size`, 502).
    HttpResponseTrailerSize = "http_response_trailer_size", BAD_GATEWAY, NONE, "A trailer in the upstream server's response was too large.";
    /// The response's transfer coding could not be decoded
    /// (`http_response_transfer_coding`, 502).
    HttpResponseTransferCoding = "http_response_transfer_coding", BAD_GATEWAY, NONE, "The upstream server's response used a transfer coding the gateway could not decode.";
    /// The response's content coding could not be decoded
    /// (`http_response_content_coding`, 502).
    HttpResponseContentCoding = "http_response_content_coding", BAD_GATEWAY, NONE, "The upstream server's response used a content coding the gateway could not decode.";
    /// The upstream's answer was not valid HTTP (`http_protocol_error`, 502).
    HttpProtocolError = "http_protocol_error", BAD_GATEWAY, NONE, "The upstream server sent an invalid response.";
    /// No response head arrived in time (`http_response_timeout`, 504).
    HttpResponseTimeout = "http_response_timeout", GATEWAY_TIMEOUT, TIMEOUT, "The upstream server did not respond in time.";
    /// A protocol upgrade with the upstream failed (`http_upgrade_failed`, 502).
    HttpUpgradeFailed = "http_upgrade_failed", BAD_GATEWAY, NONE, "The protocol upgrade with the upstream server failed.";
    /// The request could not be forwarded because of the request itself,
    /// e.g. its body failed while being sent (`http_request_error`, 400).
    /// The upstream is not at fault.
    HttpRequestError = "http_request_error", BAD_REQUEST, NONE, "The request could not be forwarded to the upstream server.";
    /// The gateway refused to forward the request, by its own policy
    /// (`http_request_denied`, 403).
    HttpRequestDenied = "http_request_denied", FORBIDDEN, NOT_SENT, "The gateway refused to forward the request.";
    /// The request came back to this gateway (`proxy_loop_detected`, 502).
    ProxyLoopDetected = "proxy_loop_detected", BAD_GATEWAY, NOT_SENT, "The request looped back to the gateway.";
    /// The gateway's configuration does not allow it to handle the request
    /// (`proxy_configuration_error`, 500).
    ProxyConfigurationError = "proxy_configuration_error", INTERNAL_SERVER_ERROR, NOT_SENT, "The gateway is not configured to handle this request.";
    /// The gateway answered the request itself, without trying the upstream
    /// (`proxy_internal_response`, 500 unless set otherwise).
    ProxyInternalResponse = "proxy_internal_response", INTERNAL_SERVER_ERROR, NOT_SENT, "The gateway answered the request itself.";
    /// No rule recognised the error. Sent as `proxy_internal_error`, the
    /// RFC's type for a failure the intermediary cannot attribute, with 502
    /// rather than the RFC's 500: the layer only sees errors from the call
    /// to the upstream, so one no rule knows is still a failure to get a
    /// valid response (502's meaning), and a 500 would page whoever watches
    /// the gateway's own bugs. Set 500 with
    /// [`status_for`](crate::GatewayErrorLayerBuilder::status_for) if you
    /// prefer the RFC's.
    Unclassified = "proxy_internal_error", BAD_GATEWAY, NONE, "The gateway could not get a valid response from the upstream server.";
}

impl UpstreamErrorKind {
    /// Every kind, in declaration order. A slice, so adding a kind is not a
    /// breaking change.
    pub const ALL: &'static [UpstreamErrorKind] = KINDS;

    const fn facts(self) -> &'static Facts {
        &FACTS[self as usize]
    }

    /// The RFC 9209 error type token, as sent in `Proxy-Status: name; error=<token>`.
    pub const fn as_str(self) -> &'static str {
        self.facts().token
    }

    /// The status RFC 9209 recommends for this kind (502 for [`Unclassified`](Self::Unclassified)).
    pub const fn default_status(self) -> StatusCode {
        self.facts().status
    }

    /// Whether the upstream (or the resolver) took too long.
    pub const fn is_timeout(self) -> bool {
        self.facts().timeout
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
        self.facts().not_sent
    }

    /// A sentence a client may see, free of addresses and error text.
    pub(crate) const fn description(self) -> &'static str {
        self.facts().description
    }
}

impl fmt::Display for UpstreamErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many kinds there are.
const COUNT: usize = KINDS.len();

/// One value per [`UpstreamErrorKind`], indexed by the kind: what the layer
/// works out for each kind when it is built (statuses, headers, pages).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PerKind<T>([T; COUNT]);

impl<T> PerKind<T> {
    /// The table whose value for each kind is `value(kind)`.
    pub(crate) fn from_fn(mut value: impl FnMut(UpstreamErrorKind) -> T) -> Self {
        Self(std::array::from_fn(|index| value(KINDS[index])))
    }
}

impl<T> Index<UpstreamErrorKind> for PerKind<T> {
    type Output = T;

    fn index(&self, kind: UpstreamErrorKind) -> &T {
        &self.0[kind as usize]
    }
}

impl<T> IndexMut<UpstreamErrorKind> for PerKind<T> {
    fn index_mut(&mut self, kind: UpstreamErrorKind) -> &mut T {
        &mut self.0[kind as usize]
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
    fn all_is_in_declaration_order_with_one_row_of_facts_each() {
        assert_eq!(FACTS.len(), KINDS.len());
        for (i, &kind) in UpstreamErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind:?}");
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

    #[test]
    fn timeouts_are_504s_and_the_rest_of_the_facts_agree() {
        for &kind in UpstreamErrorKind::ALL {
            assert_eq!(
                kind.is_timeout(),
                kind.default_status() == StatusCode::GATEWAY_TIMEOUT,
                "{kind}"
            );
            assert!(kind.description().ends_with('.'), "{kind}");
        }
    }
}
