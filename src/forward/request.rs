//! What every forwarding adapter does to a request and a response: the
//! upstream's URL checked once, the request pointed at it, and the headers
//! of one connection removed both ways.

use http::header::{self, HeaderMap, HeaderName};
use http::uri::{PathAndQuery, Scheme, Uri};
use http::Request;

use crate::ConfigError;

/// The upstream's scheme and authority, checked once.
pub(crate) fn upstream_base(url: &str) -> Result<Uri, ConfigError> {
    let invalid = || ConfigError::InvalidUpstreamUrl {
        url: url.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|_| invalid())?;
    let scheme_ok = uri.scheme() == Some(&Scheme::HTTP) || uri.scheme() == Some(&Scheme::HTTPS);
    let path_ok = matches!(uri.path(), "" | "/") && uri.query().is_none();
    if !scheme_ok || uri.authority().is_none() || !path_ok {
        return Err(invalid());
    }
    Ok(uri)
}

/// `request`, pointed at `base` with its own path and query, with the
/// headers that describe the connection to the gateway removed.
pub(crate) fn retarget<B>(request: &mut Request<B>, base: &Uri) {
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(
        request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/")),
    );
    *request.uri_mut() = Uri::from_parts(parts).expect("a checked base and a request's path");
    // reqwest writes the upstream's Host from the URL, and picks the HTTP
    // version itself.
    *request.version_mut() = http::Version::default();
    request.headers_mut().remove(header::HOST);
    remove_hop_by_hop(request.headers_mut());
}

/// Removes the headers that describe one connection, not the message
/// (RFC 9110 §7.6.1): the ones `Connection` names, and the usual ones.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(header::CONNECTION) {
        let named: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|name| name.trim().parse().ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}
