//! Each setting of the builder changes the answer as its docs say, and a
//! setting that cannot work is refused when the layer is built, with what
//! to change. A real hyper-util client, its upstream's port closed, over
//! loopback.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderName, HeaderValue, StatusCode};
use tower::{Layer, ServiceExt};
use tower_gateway_error::render::{BodyFormat, CustomBody, ErrorContext};
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{Classifier, ConfigError, GatewayErrorLayer, UpstreamErrorKind as Kind};

use support::*;

#[tokio::test]
async fn status_retry_after_and_proxy_name_are_configurable() {
    let (url, _) = refused_url().await;
    // The last date an HTTP-date can carry: in the future, so it is sent.
    let date = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    let gateway = GatewayErrorLayer::builder()
        .status_for(Kind::ConnectionRefused, StatusCode::SERVICE_UNAVAILABLE)
        .retry_after(RetryAfter::seconds(30))
        .retry_after_for(Kind::ConnectionRefused, RetryAfter::at(date))
        .proxy_name("edge 1")
        .header(
            HeaderName::from_static("x-served-by"),
            HeaderValue::from_static("edge-1"),
        )
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .oneshot(get(&url, &[("accept", "application/json")]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["retry-after"],
        "Fri, 31 Dec 9999 23:59:59 GMT"
    );
    assert_eq!(
        response.headers()["proxy-status"],
        "\"edge 1\"; error=connection_refused"
    );
    assert_eq!(response.headers()["x-served-by"], "edge-1");
    assert_eq!(json(&body_bytes(response).await)["status"], 503);
}

#[tokio::test]
async fn proxy_status_can_be_turned_off() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .proxy_status(false)
        .build()
        .unwrap()
        .layer(client());
    let response = gateway.oneshot(get(&url, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.headers().get("proxy-status").is_none());
}

#[tokio::test]
async fn extra_headers_replace_the_layers_own() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .header(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, private"),
        )
        .build()
        .unwrap()
        .layer(client());
    let response = gateway.oneshot(get(&url, &[])).await.unwrap();
    let values: Vec<_> = response.headers().get_all("cache-control").iter().collect();
    assert_eq!(values, ["no-store, private"]);
}

#[tokio::test]
async fn templates_fill_their_fields_escaped() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .html_template("<h1>{{status}} {{ title }}</h1><p>{{error}} {{request_id}}</p>")
        .json_template(
            r#"{"code": {{status}}, "kind": {{error}}, "id": {{request_id}}, "brand": "acme"}"#,
        )
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .clone()
        .oneshot(get(
            &url,
            &[("accept", "text/html"), ("x-request-id", "<b>")],
        ))
        .await
        .unwrap();
    assert_eq!(
        body_bytes(response).await,
        &b"<h1>502 Bad Gateway</h1><p>connection_refused &lt;b&gt;</p>"[..]
    );
    let response = gateway
        .oneshot(get(&url, &[("accept", "application/json")]))
        .await
        .unwrap();
    let body = json(&body_bytes(response).await);
    assert_eq!(
        body,
        serde_json::json!({"code": 502, "kind": "connection_refused", "id": null, "brand": "acme"})
    );
}

#[tokio::test]
async fn a_custom_renderer_writes_the_body() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .renderer(|cx: &ErrorContext<'_>| {
            let path = cx.request().uri().path().to_owned();
            CustomBody::new(
                HeaderValue::from_static("text/x-custom"),
                format!(
                    "{} {} {:?} {path}",
                    cx.status().as_u16(),
                    cx.error().kind(),
                    cx.format()
                ),
            )
        })
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .clone()
        .oneshot(get(&url, &[("accept", "application/json")]))
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/x-custom");
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=connection_refused"
    );
    let len = response.headers()["content-length"].clone();
    let body = body_bytes(response).await;
    assert_eq!(body, &b"502 connection_refused Json /some/path"[..]);
    assert_eq!(len, body.len().to_string().as_str());
}

#[tokio::test]
async fn user_rules_are_asked_first_and_defaults_can_go() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .classifier(
            Classifier::new()
                .rule(|_: &(dyn std::error::Error + 'static)| Some(Kind::DestinationUnavailable)),
        )
        .build()
        .unwrap()
        .layer(client());
    let response = gateway.oneshot(get(&url, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    // The first rule that answers wins; later ones are not asked.
    let gateway = GatewayErrorLayer::builder()
        .classifier(
            Classifier::new()
                .rule(|_: &(dyn std::error::Error + 'static)| None)
                .rule(|_: &(dyn std::error::Error + 'static)| Some(Kind::DnsError))
                .rule(|_: &(dyn std::error::Error + 'static)| Some(Kind::DestinationUnavailable)),
        )
        .build()
        .unwrap()
        .layer(client());
    let response = gateway.oneshot(get(&url, &[])).await.unwrap();
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=dns_error"
    );

    let gateway = GatewayErrorLayer::builder()
        .classifier(Classifier::new().default_rules(false))
        .build()
        .unwrap()
        .layer(client());
    let response = gateway.oneshot(get(&url, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=proxy_internal_error"
    );
}

/// Every setting that cannot work is refused by `build`, naming what to
/// write instead.
#[test]
fn settings_that_cannot_work_are_refused_with_what_to_change() {
    let error = GatewayErrorLayer::builder()
        .html_template("<p>{{stauts}}</p>")
        .build()
        .unwrap_err();
    assert!(matches!(
        error,
        ConfigError::Template {
            format: BodyFormat::Html,
            ..
        }
    ));
    assert!(
        error.to_string().contains("unknown field `{{stauts}}`"),
        "{error}"
    );

    let far_future = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
    #[cfg_attr(not(feature = "retry"), allow(unused_mut))]
    let mut cases = vec![
        (
            GatewayErrorLayer::builder().json_template(r#"{"kind": "{{error}}"}"#),
            "valid JSON",
        ),
        (
            GatewayErrorLayer::builder().status_for(Kind::DnsError, StatusCode::OK),
            "use a 4xx or 5xx code",
        ),
        (
            GatewayErrorLayer::builder().status_for(Kind::DnsError, StatusCode::FOUND),
            "use a 4xx or 5xx code",
        ),
        (
            GatewayErrorLayer::builder().proxy_name(""),
            "the proxy name is empty; give the name",
        ),
        (
            GatewayErrorLayer::builder().proxy_name("caf\u{e9}"),
            "use printable ASCII only",
        ),
        (
            GatewayErrorLayer::builder()
                .retry_after(RetryAfter::at(UNIX_EPOCH - Duration::from_secs(1))),
            "use RetryAfter::seconds",
        ),
        (
            GatewayErrorLayer::builder().retry_after(RetryAfter::at(far_future)),
            "use RetryAfter::seconds",
        ),
        (
            GatewayErrorLayer::builder()
                .header(http::header::CONTENT_LENGTH, HeaderValue::from_static("0")),
            "remove it: it is part of the framing",
        ),
        (
            GatewayErrorLayer::builder().header(
                http::header::CONTENT_ENCODING,
                HeaderValue::from_static("gzip"),
            ),
            "written whole and unencoded",
        ),
        (
            GatewayErrorLayer::builder()
                .header(http::header::ETAG, HeaderValue::from_static("\"x\"")),
            "it describes a representation",
        ),
        (
            GatewayErrorLayer::builder().intercept([StatusCode::OK]),
            "use 4xx or 5xx codes",
        ),
        (
            GatewayErrorLayer::builder().grpc_status_for(Kind::DnsError, 0),
            "use 1 to 16",
        ),
    ]
    .into_iter()
    .map(|(builder, says)| (builder.build().unwrap_err().to_string(), says))
    .collect::<Vec<_>>();
    #[cfg(feature = "retry")]
    cases.push((
        tower_gateway_error::retry::RetryPolicy::builder()
            .backoff(Duration::from_secs(5), Duration::from_secs(1))
            .build()
            .unwrap_err()
            .to_string(),
        "at least the minimum",
    ));
    for (error, says) in cases {
        assert!(error.contains(says), "{error}");
    }
}
