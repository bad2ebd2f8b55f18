//! The request id a visitor can quote to support: read from the request's
//! id header (`x-request-id` unless set), escaped for each format, cut at
//! 128 bytes, labelled on the page only when there is one, and filled in
//! everywhere a template shows it. A real hyper-util client, its
//! upstream's port closed, over loopback.

mod support;

use http::HeaderName;
use support::*;
use tower::{Layer, ServiceExt};
use tower_gateway_error::GatewayErrorLayer;

#[tokio::test]
async fn the_request_id_is_labelled_only_when_there_is_one_and_always_escaped() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::new().layer(client());
    let id = r#"<script>"id"</script>"#;
    let response = gateway
        .clone()
        .oneshot(get(
            &url,
            &[("accept", "application/json"), ("x-request-id", id)],
        ))
        .await
        .unwrap();
    let headers = response.headers().clone();
    let body = body_bytes(response).await;
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    assert_eq!(json(&body)["request_id"], id);
    assert!(!std::str::from_utf8(&body).unwrap().contains("<script>"));

    let response = gateway
        .clone()
        .oneshot(get(&url, &[("accept", "text/html"), ("x-request-id", id)]))
        .await
        .unwrap();
    let page = body_bytes(response).await;
    let page = std::str::from_utf8(&page).unwrap();
    assert!(
        page.contains(
            "Request ID: <code>&lt;script&gt;&quot;id&quot;&lt;/script&gt;</code> \
             (Quote it if you contact support.)"
        ),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");

    // Without an id, the page has no label for one.
    let response = gateway
        .oneshot(get(&url, &[("accept", "text/html")]))
        .await
        .unwrap();
    let page = body_bytes(response).await;
    let page = std::str::from_utf8(&page).unwrap();
    assert!(page.contains("Time: "), "{page}");
    assert!(!page.contains("Request ID"), "{page}");
}

#[tokio::test]
async fn the_request_id_header_is_configurable() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .request_id_header(HeaderName::from_static("x-correlation-id"))
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .oneshot(get(
            &url,
            &[
                ("accept", "application/json"),
                ("x-correlation-id", "abc-123"),
                ("x-request-id", "other"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(json(&body_bytes(response).await)["request_id"], "abc-123");
}

#[tokio::test]
async fn long_request_ids_are_cut() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::new().layer(client());
    let id = "x".repeat(5000);
    let response = gateway
        .oneshot(get(
            &url,
            &[("accept", "application/json"), ("x-request-id", &id)],
        ))
        .await
        .unwrap();
    let problem = json(&body_bytes(response).await);
    assert_eq!(problem["request_id"].as_str().unwrap().len(), 128);
}

#[tokio::test]
async fn a_template_showing_the_request_id_twice_fills_both() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .html_template("<p>{{request_id}}</p><footer>{{request_id}}</footer>")
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .oneshot(get(
            &url,
            &[("accept", "text/html"), ("x-request-id", "a&b")],
        ))
        .await
        .unwrap();
    let length = response.headers()["content-length"].clone();
    let body = body_bytes(response).await;
    assert_eq!(body, &b"<p>a&amp;b</p><footer>a&amp;b</footer>"[..]);
    assert_eq!(length, body.len().to_string().as_str());
}
