//! Hostile input: huge and malformed `Accept` headers, non-UTF-8 bytes,
//! markup and control characters in everything the layer echoes, and
//! malformed headers from the upstream. Over real
//! sockets where the server's own limits matter; in process (the shared
//! `Case` driver) where only the layer's rendering does.

mod support;

#[path = "support/responses.rs"]
mod responses;

use std::net::SocketAddr;
use std::time::Duration;

use http::StatusCode;
use responses::{check, Case};
use tower::Layer;
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::GatewayErrorLayer;

use support::{body_bytes, client, closed_port, proxy_to, raw_upstream, reply, serve};

/// A gateway in front of a refused upstream, over a real hyper server.
async fn refused_gateway(layer: GatewayErrorLayer) -> SocketAddr {
    serve(layer.layer(proxy_to(closed_port().await))).await
}

/// One GET with `accept`, bounded in time so a slow path fails the test
/// instead of hanging it.
async fn get_with_accept(gateway: SocketAddr, accept: &str) -> (http::response::Parts, Vec<u8>) {
    get_with(gateway, &[("accept", accept)]).await
}

/// One GET with `headers`, bounded in time likewise.
async fn get_with(
    gateway: SocketAddr,
    headers: &[(&str, &str)],
) -> (http::response::Parts, Vec<u8>) {
    let request = support::get(&format!("http://{gateway}/"), headers);
    let response = tokio::time::timeout(Duration::from_secs(10), client().request(request))
        .await
        .expect("answered within 10 s")
        .unwrap();
    let (head, body) = response.into_parts();
    (head, body_bytes(http::Response::new(body)).await.to_vec())
}

#[tokio::test]
async fn a_64_kib_accept_header_is_answered() {
    let gateway = refused_gateway(GatewayErrorLayer::new()).await;
    let mut accept = "x".repeat(64 * 1024 - 20);
    accept.push_str(", application/json");
    let (head, body) = get_with_accept(gateway, &accept).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    assert_eq!(head.headers["content-type"], "application/problem+json");
    serde_json::from_slice::<serde_json::Value>(&body).unwrap();
}

#[tokio::test]
async fn ten_thousand_media_ranges_are_answered() {
    let gateway = refused_gateway(GatewayErrorLayer::new()).await;
    let mut accept = "image/png;q=0.9,".repeat(9_999);
    accept.push_str("text/html;q=0.5");
    let (head, body) = get_with_accept(gateway, &accept).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    assert_eq!(head.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(head.headers["content-length"], body.len().to_string());
}

/// 20,000 language ranges, each of which the choice would otherwise check
/// against the whole header again: answered at once, from the first 32.
#[tokio::test]
async fn twenty_thousand_language_ranges_are_answered() {
    let gateway = refused_gateway(GatewayErrorLayer::new()).await;
    let mut accept_language = String::from("de;q=0, ");
    accept_language.push_str(&"de-CH, ".repeat(20_000));
    let (head, _) = get_with(
        gateway,
        &[
            ("accept", "text/html"),
            ("accept-language", &accept_language),
        ],
    )
    .await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
    assert_eq!(head.headers["content-language"], "en");
}

#[test]
fn invalid_q_values_are_skipped() {
    for (accept, expected) in [
        (
            "text/html;q=5, application/json;q=-1, text/plain;q=0.5",
            "text/plain; charset=utf-8",
        ),
        (
            "application/json;q=0.0001, text/html;q=1.5",
            "text/plain; charset=utf-8",
        ),
        (
            "application/json;q=, text/html;q=nan",
            "text/plain; charset=utf-8",
        ),
        (
            "text/html;q=0.5;q=abc, application/json",
            "application/problem+json",
        ),
    ] {
        let case = Case {
            accept: Some(accept.as_bytes().to_vec()),
            ..Case::default()
        };
        let (head, body) = case.respond().unwrap().unwrap();
        assert_eq!(head.headers["content-type"], expected, "{accept}");
        check(&case, &head, &body);
    }
}

#[test]
fn non_utf8_header_bytes_are_answered() {
    for format in [BodyFormat::Html, BodyFormat::Json, BodyFormat::Text] {
        let case = Case {
            accept: Some(b"text/\xffhtml, application/json;q=\xfe0.5".to_vec()),
            request_id: Some(b"req-\xff\xfe-<script>\"'".to_vec()),
            format: Some(format),
            ..Case::default()
        };
        let (head, body) = case.respond().unwrap().unwrap();
        check(&case, &head, &body);
        let text = String::from_utf8(body.to_vec()).expect("bodies are UTF-8");
        // Invalid bytes become U+FFFD; markup is escaped where it could
        // be read as markup (text/plain is sent with nosniff).
        assert!(text.contains("req-\u{fffd}\u{fffd}-"), "{text}");
        if format != BodyFormat::Text {
            assert!(!text.contains("<script>"), "{text}");
        }
    }
}

#[test]
fn markup_and_control_characters_in_error_text_are_escaped_everywhere() {
    let hostile = "<script>alert('x')</script> \"quoted\" \r\nSet-Cookie: stolen=1 \u{0}\u{7}\u{85}\u{2028} end";
    for format in [BodyFormat::Html, BodyFormat::Json, BodyFormat::Text] {
        let case = Case {
            error_text: hostile.to_owned(),
            show_details: true,
            format: Some(format),
            ..Case::default()
        };
        let (head, body) = case.respond().unwrap().unwrap();
        check(&case, &head, &body);
        let text = String::from_utf8(body.to_vec()).unwrap();
        if format != BodyFormat::Text {
            assert!(!text.contains("<script>"), "{format:?}: {text}");
        }
        assert!(!text.contains('\r'), "{format:?}: {text:?}");
        assert!(!text.contains('\u{0}'), "{format:?}: {text:?}");
        assert!(head.headers.get("set-cookie").is_none());
        // The details parameter of Proxy-Status is visible ASCII only.
        let proxy_status = head.headers["proxy-status"].to_str().unwrap();
        assert!(proxy_status.contains("details="), "{proxy_status}");
        assert!(proxy_status.bytes().all(|b| (b' '..=b'~').contains(&b)));
    }
}

#[test]
fn template_values_are_escaped_for_their_format() {
    let case = Case {
        proxy_name: Some("edge \"<script>\"".to_owned()),
        request_id: Some(b"</code><img src=x onerror=alert(1)>".to_vec()),
        html_template: Some("<p>{{proxy}} {{request_id}} {{error}}</p>".to_owned()),
        json_template: Some(r#"{"proxy": {{proxy}}, "id": {{request_id}}}"#.to_owned()),
        ..Case::default()
    };
    for format in [BodyFormat::Html, BodyFormat::Json] {
        let case = Case {
            format: Some(format),
            ..case.clone()
        };
        let (head, body) = case.respond().unwrap().unwrap();
        check(&case, &head, &body);
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("<script>"), "{text}");
        assert!(!text.contains("<img"), "{text}");
        if format == BodyFormat::Json {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["proxy"], "edge \"<script>\"");
            assert_eq!(value["id"], "</code><img src=x onerror=alert(1)>");
        }
        // The name is a quoted sf-string in the header.
        assert_eq!(
            head.headers["proxy-status"],
            format!("\"edge \\\"<script>\\\"\"; error={}", case.kind().as_str()).as_str()
        );
    }
}

/// An upstream answer with its own malformed `Proxy-Status` and
/// `Retry-After`.
const MALFORMED_HEADERS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-length: 5\r\n\
connection: close\r\n\
retry-after: soon, maybe\r\n\
proxy-status: ;;; error==, \"unterminated\r\n\
\r\n\
busy\n";

#[tokio::test]
async fn malformed_upstream_headers_pass_through_as_they_are() {
    let upstream = raw_upstream(reply(MALFORMED_HEADERS)).await;
    let gateway = serve(GatewayErrorLayer::new().layer(proxy_to(upstream))).await;
    let (head, body) = get_with_accept(gateway, "*/*").await;
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(head.headers["retry-after"], "soon, maybe");
    assert_eq!(head.headers["proxy-status"], ";;; error==, \"unterminated");
    assert_eq!(body, b"busy\n");
}

#[tokio::test]
async fn malformed_upstream_headers_survive_interception() {
    let upstream = raw_upstream(reply(MALFORMED_HEADERS)).await;
    let layer = GatewayErrorLayer::builder()
        .intercept([StatusCode::SERVICE_UNAVAILABLE])
        .build()
        .unwrap();
    let gateway = serve(layer.layer(proxy_to(upstream))).await;
    let (head, body) = get_with_accept(gateway, "application/json").await;
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    // Retry-After is the upstream's and is kept as sent. Its Proxy-Status
    // is not a valid structured field list, and combined with ours it would
    // make the whole field invalid (RFC 9651: recipients ignore it all), so
    // it is dropped and ours stands alone.
    assert_eq!(head.headers["retry-after"], "soon, maybe");
    assert_eq!(head.headers["proxy-status"], "gateway; received-status=503");
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 503);
}

#[test]
fn a_json_template_with_a_number_no_parser_takes_is_rejected() {
    // The fuzzer's reproducer (fuzz/fuzz_targets/template.rs): the grammar
    // allows the number, serde_json and most parsers reject it.
    let error = GatewayErrorLayer::builder()
        .json_template("\n2222.2222e44444444444")
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("too large for a double"),
        "{error}"
    );
}

#[test]
fn a_json_template_with_an_unpaired_surrogate_is_rejected() {
    // Found in review after the first fuzzing round: the grammar allows
    // `\udc00`, serde_json rejects it when the body is parsed.
    for template in [r#"{"a": "\udc00"}"#, r#"{"a": "\ud800 {{status}}"}"#] {
        let error = GatewayErrorLayer::builder()
            .json_template(template)
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("surrogate"), "{error}");
    }
    // A pair is fine.
    GatewayErrorLayer::builder()
        .json_template(r#"{"face": "\ud83d\ude00", "code": {{status}}}"#)
        .build()
        .unwrap();
}
