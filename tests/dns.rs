//! `DnsResolver`: hyper-util's connector with resolvers the test controls
//! (no network here), and with getaddrinfo itself for `localhost`, through a
//! real hyper-util client and the layer.
#![cfg(feature = "hyper")]

mod support;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use tower::{Layer, ServiceExt};
use tower_gateway_error::dns::{DnsError, DnsResolver};
use tower_gateway_error::error::error_chain;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError};

use support::{body_bytes, client_over, get, raw_upstream, reply};

/// One request to `url` through the layer around a hyper-util client over
/// `connector`; the status, the `Proxy-Status` header, the body, and the
/// error the layer put in the extensions.
async fn through_the_layer<C>(
    connector: C,
    url: &str,
) -> (StatusCode, Option<String>, String, Option<UpstreamError>)
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = client_over::<_, Full<Bytes>>(connector);
    let upstream = tower::service_fn(move |request: Request<Full<Bytes>>| {
        let client = client.clone();
        async move { client.request(request).await }
    });
    let response = GatewayErrorLayer::new()
        .layer(upstream)
        .oneshot(get(url, &[]))
        .await
        .unwrap();
    let status = response.status();
    let proxy_status = response
        .headers()
        .get("proxy-status")
        .map(|v| v.to_str().unwrap().to_owned());
    let error = response.extensions().get::<UpstreamError>().cloned();
    let body = String::from_utf8(body_bytes(response).await.to_vec()).unwrap();
    (status, proxy_status, body, error)
}

fn dns_error_in(error: &UpstreamError) -> &DnsError {
    error_chain(error)
        .find_map(|level| level.downcast_ref::<DnsError>())
        .expect("a DnsError in the chain")
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_dns_error() {
    let unknown = tower::service_fn(|_: Name| async {
        Err::<std::vec::IntoIter<SocketAddr>, _>(io::Error::other(
            "failed to lookup address information: Name or service not known",
        ))
    });
    let connector = HttpConnector::new_with_resolver(DnsResolver::wrap(unknown));
    let (status, proxy_status, body, error) =
        through_the_layer(connector, "http://orders.internal.example/").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(proxy_status.as_deref(), Some("gateway; error=dns_error"));
    let error = error.unwrap();
    assert!(error.is_retry_safe());
    let dns = dns_error_in(&error);
    assert_eq!(dns.name(), "orders.internal.example");
    assert!(!dns.is_timeout());
    // The name is for the log, not the client.
    assert!(!body.contains("orders.internal"), "{body}");
}

#[tokio::test]
async fn a_lookup_slower_than_the_limit_is_dns_timeout() {
    let slow = tower::service_fn(|_: Name| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok::<_, io::Error>(vec![SocketAddr::from(([127, 0, 0, 1], 9))].into_iter())
    });
    let resolver = DnsResolver::wrap(slow).timeout(Duration::from_millis(100));
    let connector = HttpConnector::new_with_resolver(resolver);
    let (status, proxy_status, _, error) =
        through_the_layer(connector, "http://slow.internal.example/").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(proxy_status.as_deref(), Some("gateway; error=dns_timeout"));
    let error = error.unwrap();
    assert!(error.is_retry_safe());
    assert!(dns_error_in(&error).is_timeout());
}

#[tokio::test]
async fn a_lookup_within_the_limit_connects() {
    let upstream = raw_upstream(reply(support::VALID_500)).await;
    let quick = tower::service_fn(move |_: Name| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok::<_, io::Error>(vec![upstream].into_iter())
    });
    let resolver = DnsResolver::wrap(quick).timeout(Duration::from_secs(5));
    let connector = HttpConnector::new_with_resolver(resolver);
    let url = format!("http://quick.internal.example:{}/", upstream.port());
    let (status, proxy_status, body, _) = through_the_layer(connector, &url).await;
    // The upstream's own 500 passes through.
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(proxy_status, None);
    assert_eq!(body, "upstream broke: 500\n");
}

#[tokio::test]
async fn a_name_with_no_address_is_dns_error() {
    let empty = tower::service_fn(|_: Name| async {
        Ok::<_, io::Error>(Vec::<SocketAddr>::new().into_iter())
    });
    let connector = HttpConnector::new_with_resolver(DnsResolver::wrap(empty));
    let (status, proxy_status, _, error) =
        through_the_layer(connector, "http://empty.internal.example/").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(proxy_status.as_deref(), Some("gateway; error=dns_error"));
    assert_eq!(
        dns_error_in(&error.unwrap()).name(),
        "empty.internal.example"
    );
}

#[tokio::test]
async fn getaddrinfo_behind_it_resolves_localhost() {
    // The default resolver, for real: `localhost` comes from /etc/hosts.
    let upstream = raw_upstream(reply(support::VALID_503)).await;
    let resolver = DnsResolver::new().timeout(Duration::from_secs(5));
    let connector = HttpConnector::new_with_resolver(resolver);
    let url = format!("http://localhost:{}/", upstream.port());
    let (status, proxy_status, body, _) = through_the_layer(connector, &url).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(proxy_status, None);
    assert_eq!(body, "maintenance\n");
}

/// A resolver that reports what the DNS said gets it into `Proxy-Status`
/// as `rcode` and `info-code` (RFC 9209 §2.3.2), through a real hyper-util
/// client and the layer.
#[tokio::test]
async fn the_resolvers_rcode_and_info_code_reach_proxy_status() {
    let resolver = tower::service_fn(|name: Name| async move {
        Err::<std::vec::IntoIter<SocketAddr>, _>(
            DnsError::failed(name.as_str(), io::Error::other("no such name"))
                .rcode("NXDOMAIN")
                .info_code(3),
        )
    });
    let (status, proxy_status, body, _) = through_the_layer(
        HttpConnector::new_with_resolver(resolver),
        "http://missing.test/",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        proxy_status.as_deref(),
        Some(r#"gateway; error=dns_error; rcode="NXDOMAIN"; info-code=3"#)
    );
    // Parameters are for the header; bodies never show them.
    assert!(!body.contains("NXDOMAIN"), "{body}");
}
