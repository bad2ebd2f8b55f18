//! Replacing the body of the upstream's own error responses
//! (`GatewayErrorLayerBuilder::intercept`), over real sockets: a raw
//! upstream that answers with fixed bytes, a hyper-util client, the layer,
//! and a hyper server in front.

mod support;

use std::net::SocketAddr;

use http::StatusCode;
use tower::Layer;
use tower_gateway_error::GatewayErrorLayer;

use support::{body_bytes, client, get, proxy_to, raw_upstream, reply, request, serve};

// Each upstream answer closes its connection, since the raw upstream
// answers one request per connection.

/// An upstream's own 502, as a load balancer in front of it might write it:
/// its page, a `Retry-After`, its own `Proxy-Status`, and a header of its own.
const UPSTREAM_502: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\n\
content-type: text/html\r\n\
content-length: 43\r\nconnection: close\r\n\
etag: \"lb-page\"\r\n\
retry-after: 30\r\n\
proxy-status: lb-7; error=connection_refused\r\n\
x-served-by: lb-7\r\n\
\r\n\
<html><body>nginx bad gateway</body></html>";

const UPSTREAM_504: &[u8] = b"HTTP/1.1 504 Gateway Timeout\r\n\
content-type: text/plain\r\n\
content-length: 8\r\nconnection: close\r\n\
\r\n\
timeout\n";

async fn gateway(upstream: SocketAddr, intercept: &[StatusCode]) -> SocketAddr {
    let layer = GatewayErrorLayer::builder()
        .proxy_name("edge")
        .intercept(intercept.iter().copied())
        .build()
        .unwrap();
    serve(layer.layer(proxy_to(upstream))).await
}

async fn fetch(
    gateway: SocketAddr,
    method: &str,
    headers: &[(&str, &str)],
) -> (http::response::Parts, Vec<u8>) {
    let response = client()
        .request(request(method, &format!("http://{gateway}/"), headers))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body_bytes(http::Response::new(body)).await.to_vec();
    (parts, body)
}

const ALL: [StatusCode; 3] = [
    StatusCode::BAD_GATEWAY,
    StatusCode::SERVICE_UNAVAILABLE,
    StatusCode::GATEWAY_TIMEOUT,
];

#[tokio::test]
async fn an_intercepted_502_gets_our_body_and_keeps_its_status_and_retry_after() {
    let upstream = raw_upstream(reply(UPSTREAM_502)).await;
    let gateway = gateway(upstream, &ALL).await;

    let (head, body) = fetch(gateway, "GET", &[("accept", "application/json")]).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    assert_eq!(head.headers["content-type"], "application/problem+json");
    assert_eq!(head.headers["content-length"], body.len().to_string());
    assert_eq!(head.headers["retry-after"], "30");
    assert_eq!(head.headers["x-served-by"], "lb-7");
    assert_eq!(head.headers["cache-control"], "no-store");
    // The upstream's member first, ours appended.
    assert_eq!(
        head.headers["proxy-status"],
        "lb-7; error=connection_refused, edge; received-status=502"
    );
    // The upstream's body and the headers that described it are gone.
    assert!(head.headers.get("etag").is_none());
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 502);
    assert_eq!(problem["title"], "Bad Gateway");
    assert!(problem.get("proxy_error").is_none(), "{problem}");
    assert!(!String::from_utf8_lossy(&body).contains("nginx"));

    let (head, body) = fetch(gateway, "GET", &[("accept", "text/html")]).await;
    assert_eq!(head.headers["content-type"], "text/html; charset=utf-8");
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<h1>The server had a problem</h1>"), "{page}");
    assert!(page.contains("<p class=\"m\">Error 502</p>"), "{page}");
    // The upstream answered: there is no error type to show.
    assert!(!page.contains("Error type"), "{page}");
}

#[tokio::test]
async fn head_gets_the_same_headers_and_no_body() {
    let upstream = raw_upstream(reply(UPSTREAM_504)).await;
    let gateway = gateway(upstream, &ALL).await;
    let (get_head, get_body) = fetch(gateway, "GET", &[]).await;
    assert_eq!(get_head.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        get_head.headers["proxy-status"],
        "edge; received-status=504"
    );
    assert!(String::from_utf8(get_body.clone())
        .unwrap()
        .starts_with("Error 504: The server had a problem\n"));
    let (head_head, head_body) = fetch(gateway, "HEAD", &[]).await;
    assert_eq!(head_head.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        head_head.headers["content-length"],
        get_body.len().to_string()
    );
    assert!(head_body.is_empty());
}

#[tokio::test]
async fn statuses_not_chosen_pass_through_untouched() {
    // Only 503 is intercepted: the upstream's 500 and 502 pass as they are.
    for (upstream_bytes, status) in [
        (support::VALID_500, StatusCode::INTERNAL_SERVER_ERROR),
        (UPSTREAM_502, StatusCode::BAD_GATEWAY),
    ] {
        let upstream = raw_upstream(reply(upstream_bytes)).await;
        let gateway = gateway(upstream, &[StatusCode::SERVICE_UNAVAILABLE]).await;
        let response = client()
            .request(get(&format!("http://{gateway}/"), &[]))
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let proxy_status = response.headers().get("proxy-status").cloned();
        let body = body_bytes(response).await;
        let head_end = upstream_bytes.windows(4).position(|w| w == b"\r\n\r\n");
        let upstream_body = &upstream_bytes[head_end.unwrap() + 4..];
        assert!(!upstream_body.is_empty());
        assert_eq!(&body[..], upstream_body);
        if status == StatusCode::BAD_GATEWAY {
            assert_eq!(proxy_status.unwrap(), "lb-7; error=connection_refused");
        }
    }
}

#[tokio::test]
async fn off_by_default() {
    let upstream = raw_upstream(reply(UPSTREAM_502)).await;
    let gateway = gateway(upstream, &[]).await;
    let (head, body) = fetch(gateway, "GET", &[("accept", "application/json")]).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    assert_eq!(head.headers["content-type"], "text/html");
    assert_eq!(body, b"<html><body>nginx bad gateway</body></html>");
}

#[test]
fn only_error_statuses_can_be_intercepted() {
    for status in [
        StatusCode::OK,
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::CONTINUE,
    ] {
        let error = GatewayErrorLayer::builder()
            .intercept([StatusCode::BAD_GATEWAY, status])
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains(&status.as_u16().to_string()),
            "{error}"
        );
    }
}

/// What stays true of the upstream's answer is kept; what described its
/// body goes.
#[tokio::test]
async fn an_intercepted_answer_keeps_its_caching_and_range_but_not_its_digests() {
    const CACHED_503: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain\r\n\
content-length: 12\r\nconnection: close\r\n\
cache-control: public, max-age=5\r\n\
cache-control: must-revalidate\r\n\
repr-digest: sha-256=:AEGPTgUMw5e96wxZuDtpfm23RBU3nFwtgY5fw4NYORo=:\r\n\
content-digest: sha-256=:AEGPTgUMw5e96wxZuDtpfm23RBU3nFwtgY5fw4NYORo=:\r\n\
digest: SHA-256=AEGPTgUMw5e96wxZuDtpfm23RBU3nFwtgY5fw4NYORo=\r\n\
\r\n\
maintenance\n";
    let upstream = raw_upstream(reply(CACHED_503)).await;
    let caching = gateway(upstream, &ALL).await;
    let (head, _) = fetch(caching, "GET", &[]).await;
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    let cache_control: Vec<_> = head.headers.get_all("cache-control").iter().collect();
    assert_eq!(cache_control, ["public, max-age=5", "must-revalidate"]);
    for digest in ["repr-digest", "content-digest", "digest"] {
        assert!(
            head.headers.get(digest).is_none(),
            "{digest} of the old body"
        );
    }
    // A page that carries this visitor's request id is stored by no one:
    // a shared cache would show it to the next visitor.
    let (head, body) = fetch(caching, "GET", &[("x-request-id", "visitor-7")]).await;
    assert!(String::from_utf8_lossy(&body).contains("visitor-7"));
    let cache_control: Vec<_> = head.headers.get_all("cache-control").iter().collect();
    assert_eq!(cache_control, ["no-store"]);

    const RANGE_416: &[u8] = b"HTTP/1.1 416 Range Not Satisfiable\r\n\
content-type: text/plain\r\n\
content-length: 6\r\nconnection: close\r\n\
content-range: bytes */1000\r\n\
\r\n\
range\n";
    let upstream = raw_upstream(reply(RANGE_416)).await;
    let ranges = gateway(upstream, &[StatusCode::RANGE_NOT_SATISFIABLE]).await;
    let (head, body) = fetch(ranges, "GET", &[]).await;
    assert_eq!(head.status, StatusCode::RANGE_NOT_SATISFIABLE);
    // The resource's length is still true of the resource.
    assert_eq!(head.headers["content-range"], "bytes */1000");
    assert_eq!(head.headers["content-length"], body.len().to_string());
    assert_eq!(head.headers["cache-control"], "no-store");
}

/// `.header(set-cookie, …)` adds a cookie to an intercepted answer; the
/// upstream's own cookies stay (cookies are never combined into one line).
#[tokio::test]
async fn a_cookie_of_the_layers_is_added_beside_the_upstreams() {
    const WITH_COOKIE: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\n\
content-type: text/plain\r\n\
content-length: 4\r\nconnection: close\r\n\
set-cookie: session=abc; HttpOnly\r\n\
\r\n\
down";
    let upstream = raw_upstream(reply(WITH_COOKIE)).await;
    let layer = GatewayErrorLayer::builder()
        .intercept([StatusCode::BAD_GATEWAY])
        .header(
            http::header::SET_COOKIE,
            http::HeaderValue::from_static("gateway_seen=1; Path=/"),
        )
        .build()
        .unwrap();
    let gateway = serve(layer.layer(proxy_to(upstream))).await;
    let (head, _) = fetch(gateway, "GET", &[]).await;
    let cookies: Vec<_> = head.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["session=abc; HttpOnly", "gateway_seen=1; Path=/"]);
}

/// The upstream's `Proxy-Status` lines are one list, joined as RFC 9651
/// joins them: with an empty line among them, or a member that is neither
/// a String nor a Token, it is invalid whole and dropped (the official
/// structured-field test "empty item list (multiple field lines)"); a
/// valid one is kept, ahead of this gateway's member.
#[tokio::test]
async fn the_upstreams_proxy_status_is_kept_only_when_valid_whole() {
    for (lines, kept) in [
        (&["lb-a", "lb-b"][..], Some("lb-a, lb-b")),
        (
            &[r#""lb a"; error=connection_refused"#][..],
            Some(r#""lb a"; error=connection_refused"#),
        ),
        (&["lb-a", "", "lb-b"][..], None),
        (&["lb-a, "][..], None),
        (&["1, ?0"][..], None),
        (&["lb-a", "(x y)"][..], None),
    ] {
        let mut raw =
            String::from("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 4\r\nconnection: close\r\n");
        for line in lines {
            raw.push_str(&format!("proxy-status: {line}\r\n"));
        }
        raw.push_str("\r\ndown");
        let raw: &'static [u8] = Box::leak(raw.into_bytes().into_boxed_slice());
        let upstream = raw_upstream(reply(raw)).await;
        let gateway = gateway(upstream, &[StatusCode::BAD_GATEWAY]).await;
        let (head, _) = fetch(gateway, "GET", &[]).await;
        let values: Vec<_> = head.headers.get_all("proxy-status").iter().collect();
        assert_eq!(values.len(), 1, "{lines:?}: {values:?}");
        let value = values[0].to_str().unwrap();
        let ours = "edge; received-status=502";
        match kept {
            Some(kept) => assert_eq!(value, format!("{kept}, {ours}"), "{lines:?}"),
            None => assert_eq!(value, ours, "{lines:?}"),
        }
        assert!(
            sfv::Parser::new(value).parse::<sfv::List>().is_ok(),
            "{value}"
        );
    }
}
