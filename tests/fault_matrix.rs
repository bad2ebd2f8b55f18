//! The fault matrix: every way a real upstream fails, end to end, through
//! the `reverse_proxy` example's own code (`examples/common/proxy/` and
//! `examples/reverse_proxy/app.rs`) served on a real listener, called by a
//! real hyper client, with each upstream a real listener over loopback.
//!
//! Each failure row checks the status, the Proxy-Status error type, the
//! body format chosen by Accept, and that the body names no upstream
//! address, port or library error text; the pass-through rows check the
//! upstream's answer arrives unchanged. The TLS rows use the example's
//! `Forward` with a hyper-rustls client (the example binary speaks plain
//! HTTP only).
//!
//! The kinds asserted are what the default rules for hyper, h2 and rustls
//! give; with any of those features off, classify_real checks the io-kind
//! fallbacks instead.
#![cfg(all(feature = "hyper", feature = "h2", feature = "rustls"))]

#[path = "../examples/reverse_proxy/app.rs"]
mod app;
#[path = "../examples/common/proxy/mod.rs"]
#[allow(dead_code)]
mod proxy;
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use clap::Parser;
use http::{Method, StatusCode};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use tower::Layer;
use tower_gateway_error::GatewayErrorLayerBuilder;

use support::*;

const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

fn args(flags: &[&str]) -> proxy::Args {
    let mut argv = vec!["reverse_proxy"];
    argv.extend_from_slice(flags);
    proxy::Args::try_parse_from(argv).unwrap()
}

/// Serves the example's router on a loopback port.
async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// The reverse proxy as its `main` builds it, from these flags.
async fn gateway(flags: &[&str]) -> SocketAddr {
    let args = args(flags);
    serve(app::router(&args, args.connector(), |layer| layer).unwrap()).await
}

async fn gateway_with<C>(flags: &[&str], connector: C) -> SocketAddr
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let args = args(flags);
    serve(app::router(&args, connector, |layer: GatewayErrorLayerBuilder| layer).unwrap()).await
}

/// A row for the reverse proxy with default flags, in front of `upstream`.
async fn assert_row_through_the_proxy(upstream: SocketAddr, status: u16, token: &str) {
    let gw = gateway(&["--upstream", &format!("http://{upstream}")]).await;
    assert_row(gw, upstream, status, token).await;
}

/// One row: both an API client and a browser get `status` with `token`,
/// each in its format, and nothing about the upstream.
async fn assert_row(gateway: SocketAddr, upstream: SocketAddr, status: u16, token: &str) {
    for (accept, content_type) in [
        ("application/json", "application/problem+json"),
        (BROWSER, "text/html; charset=utf-8"),
    ] {
        let response = client()
            .request(get(
                &format!("http://{gateway}/path?x=1"),
                &[("accept", accept)],
            ))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{token} for {accept}");
        assert_eq!(
            response.headers()["proxy-status"],
            format!("gateway; error={token}").as_str()
        );
        assert_eq!(response.headers()["content-type"], content_type);
        let body = body_bytes(response).await;
        let text = std::str::from_utf8(&body).unwrap();
        if content_type == "application/problem+json" {
            let problem: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(problem["status"], status);
            assert_eq!(problem["proxy_error"], token);
        } else {
            assert!(text.contains(&format!("<title>{status} · ")), "{text}");
            assert!(text.contains(token), "{text}");
        }
        assert_no_leak(text, upstream);
    }
    // A client that names no format (plain curl) gets text.
    let response = client()
        .request(get(&format!("http://{gateway}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let body = body_bytes(response).await;
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.starts_with(&format!("Error {status}: ")), "{text}");
    assert!(text.contains(&format!("Error type: {token}\n")), "{text}");
    assert_no_leak(text, upstream);
}

#[tokio::test]
async fn row_01_nothing_listens() {
    let upstream = closed_port().await;
    assert_row_through_the_proxy(upstream, 502, "connection_refused").await;
}

#[tokio::test]
async fn row_02_reset_before_answering() {
    let upstream = raw_upstream(reset_after_head).await;
    assert_row_through_the_proxy(upstream, 502, "connection_terminated").await;
}

#[tokio::test]
async fn row_03_clean_close_without_answering() {
    let upstream = raw_upstream(close_after_head).await;
    assert_row_through_the_proxy(upstream, 502, "connection_terminated").await;
}

#[tokio::test]
async fn row_04_bytes_that_are_not_http() {
    let upstream = raw_upstream(reply(GARBAGE)).await;
    assert_row_through_the_proxy(upstream, 502, "http_protocol_error").await;
}

#[tokio::test]
async fn row_05_invalid_status_line() {
    let upstream = raw_upstream(reply(BAD_STATUS)).await;
    assert_row_through_the_proxy(upstream, 502, "http_protocol_error").await;
}

#[tokio::test]
async fn row_06_invalid_content_length() {
    let upstream = raw_upstream(reply(BAD_CONTENT_LENGTH)).await;
    assert_row_through_the_proxy(upstream, 502, "http_protocol_error").await;
}

#[tokio::test]
async fn row_07_head_larger_than_the_client_accepts() {
    let upstream = raw_upstream(reply(huge_head())).await;
    assert_row_through_the_proxy(upstream, 502, "http_response_header_section_size").await;
}

#[tokio::test]
async fn row_08_no_answer_within_the_response_timeout() {
    let upstream = raw_upstream(stall).await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--timeout",
        "0.3",
    ])
    .await;
    assert_row(gw, upstream, 504, "http_response_timeout").await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn row_09_connect_cannot_complete() {
    let blocked = full_backlog().await;
    let upstream = blocked.addr;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--connect-timeout",
        "0.3",
    ])
    .await;
    assert_row(gw, upstream, 504, "connection_timeout").await;
}

mod tls {
    use super::*;
    use tokio_rustls::rustls::{self, RootCertStore};

    static VERSIONS: &[&rustls::SupportedProtocolVersion] =
        &[&rustls::version::TLS13, &rustls::version::TLS12];

    /// The example's router with its `Forward` pointed at an https URL
    /// through a hyper-rustls client that trusts nothing.
    async fn tls_gateway(upstream_port: u16) -> SocketAddr {
        let args = args(&["--upstream", "http://localhost:1"]);
        let https = tls_client(RootCertStore::empty(), VERSIONS);
        let upstream: http::Uri = format!("https://localhost:{upstream_port}")
            .parse()
            .unwrap();
        let forward = proxy::Forward::new(https, &upstream, false);
        let service = args.layer_builder().build().unwrap().layer(forward);
        serve(axum::Router::new().fallback_service(service)).await
    }

    #[tokio::test]
    async fn row_10_untrusted_certificate() {
        let (upstream, _cert) = tls_upstream(VERSIONS).await;
        let gw = tls_gateway(upstream.port()).await;
        assert_row(gw, upstream, 502, "tls_certificate_error").await;
    }

    #[tokio::test]
    async fn row_11_tls_to_a_plain_http_port() {
        let upstream = raw_upstream(plain_http_answering_anything).await;
        let gw = tls_gateway(upstream.port()).await;
        assert_row(gw, upstream, 502, "tls_protocol_error").await;
    }
}

#[tokio::test]
async fn row_12_http2_refused_stream() {
    let upstream = h2_upstream(H2Fault::RefuseStreams).await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--upstream-http2",
    ])
    .await;
    assert_row(gw, upstream, 502, "connection_refused").await;
}

#[tokio::test]
async fn row_13_http2_goaway_protocol_error() {
    let upstream = h2_framed_upstream(H2Frames::GoAway(H2_PROTOCOL_ERROR)).await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--upstream-http2",
    ])
    .await;
    assert_row(gw, upstream, 502, "http_protocol_error").await;
}

#[tokio::test]
async fn row_14_name_that_does_not_resolve() {
    // No network here: the test's resolver answers, and knows one name.
    let good = raw_upstream(reply(VALID_500)).await;
    let resolver = tower::service_fn(
        move |name: hyper_util::client::legacy::connect::dns::Name| async move {
            if name.as_str() == "known.test" {
                Ok(vec![good].into_iter())
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "NXDOMAIN",
                ))
            }
        },
    );
    let mut connector = HttpConnector::new_with_resolver(resolver);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));

    let gw = gateway_with(&["--upstream", "http://missing.test:80"], connector.clone()).await;
    assert_row(gw, good, 502, "dns_error").await;
    let response = support::client()
        .request(get(
            &format!("http://{gw}/"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    let body = body_bytes(response).await.to_ascii_lowercase();
    for needle in ["missing.test", "nxdomain", "dns error"] {
        assert!(
            !body.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "leaked {needle}"
        );
    }

    // The same resolver does resolve the name it knows.
    let gw = gateway_with(
        &["--upstream", &format!("http://known.test:{}", good.port())],
        connector,
    )
    .await;
    let response = support::client()
        .request(get(&format!("http://{gw}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn row_15_valid_500_passes_through_byte_for_byte() {
    let upstream = raw_upstream(reply(VALID_500)).await;
    let gw = gateway(&["--upstream", &format!("http://{upstream}")]).await;
    let response = client()
        .request(get(
            &format!("http://{gw}/"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.headers()["x-upstream"], "yes");
    assert!(response.headers().get("proxy-status").is_none());
    assert_eq!(
        body_bytes(response).await,
        Bytes::from_static(b"upstream broke: 500\n")
    );
}

#[tokio::test]
async fn row_16_valid_503_keeps_its_retry_after() {
    let upstream = raw_upstream(reply(VALID_503)).await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--retry-after",
        "5",
    ])
    .await;
    let response = client()
        .request(get(&format!("http://{gw}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: Vec<_> = response.headers().get_all("retry-after").iter().collect();
    assert_eq!(retry_after, ["120"]);
    assert!(response.headers().get("proxy-status").is_none());
    assert_eq!(
        body_bytes(response).await,
        Bytes::from_static(b"maintenance\n")
    );
}

#[tokio::test]
async fn row_17_overload_is_shed_with_retry_after() {
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
    let upstream = raw_upstream(move |stream| {
        let _ = accepted_tx.send(());
        stall(stream)
    })
    .await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--max-concurrency",
        "1",
        "--retry-after",
        "7",
    ])
    .await;
    let in_flight = tokio::spawn(client().request(get(&format!("http://{gw}/"), &[])));
    accepted.recv().await.unwrap();

    let response = client()
        .request(get(
            &format!("http://{gw}/"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=connection_limit_reached"
    );
    let body = body_bytes(response).await;
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 503);
    assert_no_leak(std::str::from_utf8(&body).unwrap(), upstream);

    // Still saturated: a browser gets the page.
    let response = client()
        .request(get(&format!("http://{gw}/"), &[("accept", BROWSER)]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let body = body_bytes(response).await;
    assert_no_leak(std::str::from_utf8(&body).unwrap(), upstream);
    in_flight.abort();
}

#[tokio::test]
async fn row_18_head_gets_the_same_headers_and_no_body() {
    let upstream = closed_port().await;
    let gw = gateway(&["--upstream", &format!("http://{upstream}")]).await;
    let url = format!("http://{gw}/");
    let get_response = client()
        .request(request("GET", &url, &[("accept", BROWSER)]))
        .await
        .unwrap();
    let head_response = client()
        .request(request(Method::HEAD.as_str(), &url, &[("accept", BROWSER)]))
        .await
        .unwrap();
    assert_eq!(head_response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        head_response.headers()["proxy-status"],
        "gateway; error=connection_refused"
    );
    let without_date = |headers: &http::HeaderMap| {
        let mut headers = headers.clone();
        headers.remove("date");
        headers
    };
    assert_eq!(
        without_date(head_response.headers()),
        without_date(get_response.headers())
    );
    assert!(body_bytes(head_response).await.is_empty());
    let get_body = body_bytes(get_response).await;
    assert!(!get_body.is_empty());
}

#[tokio::test]
async fn hop_by_hop_headers_are_not_forwarded() {
    let (head_tx, mut heads) = tokio::sync::mpsc::unbounded_channel();
    let upstream = raw_upstream(move |mut stream| {
        let head_tx = head_tx.clone();
        async move {
            let head = read_head(&mut stream).await;
            let _ = head_tx.send(String::from_utf8_lossy(&head).to_ascii_lowercase());
            let _ = tokio::io::AsyncWriteExt::write_all(
                &mut stream,
                b"HTTP/1.1 204 No Content\r\n\r\n",
            )
            .await;
        }
    })
    .await;
    let gw = gateway(&["--upstream", &format!("http://{upstream}")]).await;
    let response = client()
        .request(get(
            &format!("http://{gw}/a/b?c=d"),
            &[
                ("connection", "x-secret-hop"),
                ("x-secret-hop", "1"),
                // Only `TE: trailers` is end-to-end in effect; this goes.
                ("te", "gzip"),
                ("x-end-to-end", "kept"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let head = heads.recv().await.unwrap();
    assert!(head.starts_with("get /a/b?c=d http/1.1\r\n"), "{head}");
    assert!(head.contains(&format!("host: {upstream}")), "{head}");
    assert!(head.contains("x-end-to-end: kept"), "{head}");
    assert!(!head.contains("x-secret-hop"), "{head}");
    assert!(!head.contains("\r\nte:"), "{head}");
}

#[tokio::test]
async fn the_body_and_method_are_forwarded_and_response_hop_headers_dropped() {
    let upstream = raw_upstream(echo).await;
    let gw = gateway(&["--upstream", &format!("http://{upstream}")]).await;
    let request = http::Request::post(format!("http://{gw}/orders?id=7"))
        .header("content-type", "text/plain")
        .header("te", "trailers")
        .body(http_body_util::Full::new(Bytes::from_static(
            b"hello upstream",
        )))
        .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The upstream's `Connection: close, x-hop` and `x-hop` are about its
    // connection to the proxy; they must not reach the client.
    assert!(response.headers().get("x-hop").is_none());
    let echoed = String::from_utf8(body_bytes(response).await.to_vec()).unwrap();
    let lowered = echoed.to_ascii_lowercase();
    assert!(
        echoed.starts_with("POST /orders?id=7 HTTP/1.1\r\n"),
        "{echoed}"
    );
    assert!(lowered.contains("\r\nte: trailers\r\n"), "{echoed}");
    assert!(echoed.ends_with("\r\n\r\nhello upstream"), "{echoed}");
}

#[tokio::test]
async fn an_http2_upstream_answers_through_the_proxy() {
    let upstream = h2_upstream(H2Fault::Answer).await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--upstream-http2",
    ])
    .await;
    let response = client()
        .request(get(
            &format!("http://{gw}/over/h2"),
            &[("connection", "keep-alive")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        body_bytes(response).await,
        Bytes::from_static(b"ok over h2 /over/h2")
    );
}

#[test]
fn flags_that_cannot_work_are_refused_with_a_reason() {
    let refused = |flags: &[&str]| {
        let mut argv = vec!["reverse_proxy"];
        argv.extend_from_slice(flags);
        proxy::Args::try_parse_from(argv).unwrap_err().to_string()
    };
    for (flags, says) in [
        (
            &["--upstream", "https://example.com"][..],
            "use an http:// upstream",
        ),
        (
            &["--upstream", "http://example.com/base"],
            "scheme, host and port only",
        ),
        (&["--upstream", "http://user:pw@example.com"], "credentials"),
        (&["--timeout", "abc"], "not a number of seconds"),
        (&["--timeout", "1e30"], "between 0.001"),
        (&["--connect-timeout", "0"], "between 0.001"),
        (&["--max-concurrency", "0"], "at least 1"),
        (&["--format", "xml"], "xml"),
        (&["--retry-after", "-1"], "-1"),
    ] {
        let message = refused(flags);
        assert!(message.contains(says), "{flags:?}: {message}");
    }
    #[cfg(feature = "retry")]
    for (flags, says) in [
        (&["--max-request-body", "10"][..], "--retries"),
        (&["--retries", "-1"], "unexpected argument '-1'"),
    ] {
        let message = refused(flags);
        assert!(message.contains(says), "{flags:?}: {message}");
    }
    let ok = args(&[
        "--timeout",
        "0.5",
        "--format",
        "json",
        "--proxy-name",
        "edge-1",
    ]);
    assert_eq!(ok.timeout, Duration::from_millis(500));
    assert_eq!(ok.format, proxy::Format::Json);
    ok.layer_builder().build().unwrap();
}

/// The upstream turns the handshake down with an alert (it speaks TLS 1.3
/// only, the client 1.2 only): `tls_alert_received`, with the alert's id and
/// its registry name in `Proxy-Status` (RFC 9209 §2.3.14).
#[tokio::test]
async fn a_tls_alert_reaches_proxy_status_with_its_id_and_name() {
    use tokio_rustls::rustls::{self, RootCertStore};
    static TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
    static TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
    let (upstream, cert) = tls_upstream(TLS13).await;
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let https = tls_client::<Body>(roots, TLS12);
    let upstream_uri: http::Uri = format!("https://localhost:{}", upstream.port())
        .parse()
        .unwrap();
    let forward = proxy::Forward::new(https, &upstream_uri, false);
    let args = args(&["--upstream", "http://localhost:1"]);
    let service = args.layer_builder().build().unwrap().layer(forward);
    let gw = serve(axum::Router::new().fallback_service(service)).await;
    let response = client()
        .request(get(&format!("http://{gw}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["proxy-status"],
        r#"gateway; error=tls_alert_received; alert-id=70; alert-message="protocol_version""#
    );
}

/// `--upstream` twice: the example balances, and with `--eject-after` an
/// endpoint that refuses is taken out after its first refusal, so every
/// later request reaches the live one.
#[tokio::test]
async fn several_upstreams_are_balanced_and_a_dead_one_is_ejected() {
    let live = raw_upstream(plain_http_ok).await;
    let dead = closed_port().await;
    let live = format!("http://{live}");
    let dead = format!("http://{dead}");
    let flags = [
        "--upstream",
        dead.as_str(),
        "--upstream",
        live.as_str(),
        "--eject-after",
        "1",
        "--eject-for",
        "30",
    ];
    assert!(args(&flags).balances());
    let gw = gateway(&flags).await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let response = client()
            .request(get(&format!("http://{gw}/"), &[]))
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    let refused = statuses.iter().filter(|&&s| s == 502).count();
    assert!(refused <= 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 40 - refused);
}

/// `--retries` with `--eject-after`: one of two upstreams refuses; the
/// request that finds it out is sent again to the live one, a PUT's body
/// included, and the dead one is ejected, so no client sees a failure
/// (without `--retries` one does: the test above). p2c picks between the
/// two at random until one is out, so 30 requests that never met the dead
/// one would be a 1-in-2^30 chance.
#[cfg(feature = "retry")]
#[tokio::test]
async fn with_retries_a_dead_upstream_costs_clients_nothing() {
    let live = raw_upstream(echo).await;
    let dead = closed_port().await;
    let (live, dead) = (format!("http://{live}"), format!("http://{dead}"));
    let gw = gateway(&[
        "--upstream",
        &dead,
        "--upstream",
        &live,
        "--retries",
        "2",
        "--eject-after",
        "1",
        "--eject-for",
        "30",
    ])
    .await;
    for n in 0..30 {
        let request = http::Request::put(format!("http://{gw}/items/{n}"))
            .body(http_body_util::Full::new(Bytes::from(format!("item {n}"))))
            .unwrap();
        let response = client().request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "request {n}");
        let echoed = String::from_utf8(body_bytes(response).await.to_vec()).unwrap();
        assert!(echoed.starts_with(&format!("PUT /items/{n} ")), "{echoed}");
        assert!(echoed.ends_with(&format!("\r\n\r\nitem {n}")), "{echoed}");
    }
}

/// `--retries` reads request bodies in full first; one over
/// `--max-request-body` is answered 413 and never reaches the upstream,
/// whether it streams or declares its length (then it is not even read).
#[cfg(feature = "retry")]
#[tokio::test]
async fn with_retries_a_body_over_the_limit_is_answered_413_unsent() {
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = connections.clone();
    let upstream = raw_upstream(move |stream| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        echo(stream)
    })
    .await;
    let gw = gateway(&[
        "--upstream",
        &format!("http://{upstream}"),
        "--retries",
        "1",
        "--max-request-body",
        "16",
    ])
    .await;
    type Frames = futures_util::stream::Iter<
        std::vec::IntoIter<Result<http_body::Frame<Bytes>, std::convert::Infallible>>,
    >;
    let send = |parts: &[&'static [u8]]| {
        let frames: Vec<_> = parts
            .iter()
            .map(|part| Ok(http_body::Frame::data(Bytes::from_static(part))))
            .collect();
        let body: http_body_util::StreamBody<Frames> =
            http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        let request = http::Request::post(format!("http://{gw}/upload"))
            .header("accept", "application/json")
            .body(body)
            .unwrap();
        support::client_over(HttpConnector::new()).request(request)
    };
    // 16 bytes, in two chunks (no declared length): forwarded.
    let response = send(&[b"12345678", b"abcdefgh"]).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(body_bytes(response).await.ends_with(b"12345678abcdefgh"));
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    // 17 bytes streamed: refused once the 17th arrives.
    let response = send(&[b"12345678", b"abcdefgh", b"!"]).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=http_request_denied"
    );
    assert_eq!(json(&body_bytes(response).await)["status"], 413);
    // A declared length over the limit, and a body that never comes: the
    // answer does not wait for it.
    let mut stream = tokio::net::TcpStream::connect(gw).await.unwrap();
    use tokio::io::AsyncWriteExt;
    stream
        .write_all(b"POST /upload HTTP/1.1\r\nhost: gw\r\ncontent-length: 1000\r\n\r\n")
        .await
        .unwrap();
    let head = tokio::time::timeout(Duration::from_secs(5), read_head(&mut stream))
        .await
        .expect("answered before the body came");
    assert!(
        head.starts_with(b"HTTP/1.1 413 "),
        "{}",
        String::from_utf8_lossy(&head)
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Answers every request on a kept-alive connection with a 200.
async fn plain_http_ok(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    while !read_head(&mut stream).await.is_empty() {
        if stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await
            .is_err()
        {
            break;
        }
    }
}
