//! What the layer answers: status, body, headers, for real failures of a
//! real hyper-util client talking to real upstreams over loopback.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use tower::{Layer, ServiceExt};
use tower_gateway_error::render::{BodyFormat, CustomBody, ErrorContext};
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::CapturedRequest;
use tower_gateway_error::{
    Classifier, ConfigError, GatewayErrorLayer, UpstreamError, UpstreamErrorKind as Kind,
};

use support::*;

const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

async fn refused_url() -> (String, std::net::SocketAddr) {
    let addr = closed_port().await;
    (format!("http://{addr}/some/path?q=1"), addr)
}

fn json(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

#[tokio::test]
async fn refused_is_a_502_problem_json_for_api_clients() {
    let (url, addr) = refused_url().await;
    let gateway = GatewayErrorLayer::new().layer(client());
    let response = gateway
        .oneshot(get(
            &url,
            &[("accept", "application/json;q=0.9, text/html;q=0.1")],
        ))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["vary"], "accept");
    assert_eq!(headers["proxy-status"], "gateway; error=connection_refused");
    assert!(headers.get("retry-after").is_none());
    let error = response
        .extensions()
        .get::<UpstreamError>()
        .unwrap()
        .clone();
    assert_eq!(error.kind(), Kind::ConnectionRefused);

    let body = body_bytes(response).await;
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    let problem = json(&body);
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["title"], "Bad Gateway");
    assert_eq!(problem["status"], 502);
    assert_eq!(problem["proxy_error"], "connection_refused");
    assert!(problem["detail"].as_str().unwrap().contains("refused"));
    assert!(problem.get("request_id").is_none());
    assert!(problem.get("details").is_none());
    assert_no_leak(std::str::from_utf8(&body).unwrap(), addr);
}

#[tokio::test]
async fn browsers_get_an_html_page() {
    let (url, addr) = refused_url().await;
    let gateway = GatewayErrorLayer::new().layer(client());
    let response = gateway
        .oneshot(get(&url, &[("accept", BROWSER)]))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let body = body_bytes(response).await;
    let page = std::str::from_utf8(&body).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains("<title>502 · This site can’t reach its server</title>"),
        "{page}"
    );
    assert!(page.contains("<code>connection_refused</code>"), "{page}");
    assert_no_leak(page, addr);
}

#[tokio::test]
async fn no_accept_and_wildcards_get_the_default_format() {
    let (url, addr) = refused_url().await;
    let text = GatewayErrorLayer::new().layer(client());
    for accept in [None, Some("*/*")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let response = text.clone().oneshot(get(&url, &headers)).await.unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        let body = body_bytes(response).await;
        let body = std::str::from_utf8(&body).unwrap();
        assert!(body.starts_with("Error 502: "), "{body}");
        assert!(body.contains("Error type: connection_refused\n"), "{body}");
        assert_no_leak(body, addr);
    }

    let json_default = GatewayErrorLayer::builder()
        .default_format(BodyFormat::Json)
        .build()
        .unwrap()
        .layer(client());
    let response = json_default
        .oneshot(get(&url, &[("accept", "*/*")]))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_fixed_format_ignores_accept_and_varies_by_language_only() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .fixed_format(BodyFormat::Html)
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .oneshot(get(&url, &[("accept", "application/json")]))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.headers()["vary"], "accept-language");
    assert_eq!(response.headers()["content-language"], "en");
    // One language and one format: nothing to vary by.
    let fixed = GatewayErrorLayer::builder()
        .fixed_format(BodyFormat::Html)
        .languages(["de"])
        .build()
        .unwrap()
        .layer(client());
    let response = fixed
        .oneshot(get(&url, &[("accept-language", "fr")]))
        .await
        .unwrap();
    assert!(response.headers().get("vary").is_none());
    assert_eq!(response.headers()["content-language"], "de");
}

#[tokio::test]
async fn head_gets_the_same_headers_and_no_body() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::new().layer(client());
    let get_response = gateway
        .clone()
        .oneshot(get(&url, &[("accept", "application/json")]))
        .await
        .unwrap();
    let head_response = gateway
        .oneshot(request("HEAD", &url, &[("accept", "application/json")]))
        .await
        .unwrap();
    assert_eq!(head_response.status(), get_response.status());
    assert_eq!(head_response.headers(), get_response.headers());
    assert!(body_bytes(head_response).await.is_empty());
    assert!(!body_bytes(get_response).await.is_empty());
}

#[tokio::test]
async fn the_request_id_is_echoed_escaped() {
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
        .oneshot(get(&url, &[("accept", "text/html"), ("x-request-id", id)]))
        .await
        .unwrap();
    let page = body_bytes(response).await;
    let page = std::str::from_utf8(&page).unwrap();
    assert!(
        page.contains("&lt;script&gt;&quot;id&quot;&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
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
async fn details_are_shown_only_when_allowed_and_escaped() {
    let (url, addr) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .show_details(true)
        .build()
        .unwrap()
        .layer(client());
    let response = gateway
        .clone()
        .oneshot(get(&url, &[("accept", "application/json")]))
        .await
        .unwrap();
    let proxy_status = response.headers()["proxy-status"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        proxy_status.starts_with("gateway; error=connection_refused; details=\""),
        "{proxy_status}"
    );
    let problem = json(&body_bytes(response).await);
    let details = problem["details"].as_str().unwrap();
    assert!(
        details.to_ascii_lowercase().contains("connection refused"),
        "{details}"
    );
    // hyper-util's own words, which only details may show.
    assert!(details.contains("tcp connect error"), "{details}");
    let _ = addr;
}

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

/// A date already past is no advice any more: nothing is sent.
#[tokio::test]
async fn a_retry_after_date_in_the_past_is_not_sent() {
    let (url, _) = refused_url().await;
    let gateway = GatewayErrorLayer::builder()
        .retry_after(RetryAfter::at(
            UNIX_EPOCH + Duration::from_secs(784_111_777),
        ))
        .build()
        .unwrap()
        .layer(client());
    let response = gateway.oneshot(get(&url, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.headers().get("retry-after").is_none());
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
async fn a_timeout_under_the_layer_answers_504() {
    let addr = raw_upstream(stall).await;
    let gateway = tower::ServiceBuilder::new()
        .layer(
            GatewayErrorLayer::builder()
                .retry_after(RetryAfter::seconds(5))
                .build()
                .unwrap(),
        )
        .timeout(Duration::from_millis(200))
        .service(client());
    let response = gateway
        .oneshot(get(
            &format!("http://{addr}/"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=http_response_timeout"
    );
    assert_eq!(response.headers()["retry-after"], "5");
    let error = response.extensions().get::<UpstreamError>().unwrap();
    assert!(error.is_timeout());
    assert_eq!(
        json(&body_bytes(response).await)["title"],
        "Gateway Timeout"
    );
}

#[tokio::test]
async fn valid_upstream_errors_pass_through_untouched() {
    let gateway = tower::ServiceBuilder::new()
        .layer(GatewayErrorLayer::new())
        .timeout(Duration::from_secs(5))
        .service(client());

    let addr = raw_upstream(reply(VALID_500)).await;
    let response = gateway
        .clone()
        .oneshot(get(
            &format!("http://{addr}/"),
            &[("accept", "application/json")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.headers()["x-upstream"], "yes");
    assert!(response.headers().get("proxy-status").is_none());
    assert!(response.extensions().get::<UpstreamError>().is_none());
    assert_eq!(body_bytes(response).await, &b"upstream broke: 500\n"[..]);

    let addr = raw_upstream(reply(VALID_503)).await;
    let response = gateway
        .oneshot(get(&format!("http://{addr}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "120");
    assert!(response.headers().get("proxy-status").is_none());
    assert_eq!(body_bytes(response).await, &b"maintenance\n"[..]);
}

#[tokio::test]
async fn overload_is_a_503() {
    let addr = raw_upstream(stall).await;
    let saturated = tower::ServiceBuilder::new()
        .layer(
            GatewayErrorLayer::builder()
                .retry_after_for(Kind::ConnectionLimitReached, RetryAfter::seconds(2))
                .build()
                .unwrap(),
        )
        .load_shed()
        .concurrency_limit(1)
        .service(client());
    let url = format!("http://{addr}/");
    // The first call holds the only permit (taken in poll_ready) until it
    // is dropped; the upstream never answers it.
    let mut first = saturated.clone();
    tower::ServiceExt::ready(&mut first).await.unwrap();
    let in_flight = tokio::spawn(tower::Service::call(&mut first, get(&url, &[])));
    let response = saturated
        .oneshot(get(&format!("http://{addr}/"), &[]))
        .await
        .unwrap();
    in_flight.abort();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=connection_limit_reached"
    );
}

#[tokio::test]
async fn a_failing_poll_ready_becomes_a_response() {
    // A tower Buffer whose worker is gone fails in poll_ready.
    let (buffer, worker) = tower::buffer::Buffer::pair(client(), 4);
    drop(worker);
    let gateway = GatewayErrorLayer::new().layer(buffer);
    let response = gateway
        .oneshot(get("http://127.0.0.1:9/", &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["proxy-status"],
        "gateway; error=destination_unavailable"
    );
}

#[tokio::test]
async fn a_poll_ready_failure_answers_every_later_call() {
    let (buffer, worker) = tower::buffer::Buffer::pair(client(), 4);
    drop(worker);
    let mut gateway = GatewayErrorLayer::new().layer(buffer);
    for _ in 0..3 {
        let response = tower::Service::call(
            tower::ServiceExt::ready(&mut gateway).await.unwrap(),
            get("http://127.0.0.1:9/", &[]),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
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
async fn a_hand_written_proxy_gets_the_same_answers() {
    // Code that calls the upstream itself, as a pingora handler would.
    let (url, _) = refused_url().await;
    let layer = GatewayErrorLayer::builder()
        .proxy_name("edge")
        .build()
        .unwrap();
    let request = get(&url, &[("accept", "application/json")]);
    let captured = layer.capture_request(&request);
    let response = match client().request(request).await {
        Ok(response) => response.map(tower_gateway_error::ResponseBody::upstream),
        Err(error) => layer.error_response(layer.classify(error), &captured),
    };
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.headers()["proxy-status"],
        "edge; error=connection_refused"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(captured.uri().path(), "/some/path");
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

#[test]
fn bad_settings_are_rejected_when_built() {
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

    let error = GatewayErrorLayer::builder()
        .json_template(r#"{"kind": "{{error}}"}"#)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("valid JSON"), "{error}");

    for (builder, says) in [
        (
            GatewayErrorLayer::builder().status_for(Kind::DnsError, StatusCode::OK),
            "4xx or 5xx",
        ),
        (
            GatewayErrorLayer::builder().status_for(Kind::DnsError, StatusCode::FOUND),
            "4xx or 5xx",
        ),
        (
            GatewayErrorLayer::builder().proxy_name(""),
            "proxy name is empty",
        ),
        (
            GatewayErrorLayer::builder().proxy_name("caf\u{e9}"),
            "printable ASCII",
        ),
        (
            GatewayErrorLayer::builder()
                .retry_after(RetryAfter::at(UNIX_EPOCH - Duration::from_secs(1))),
            "RetryAfter::seconds",
        ),
        (
            GatewayErrorLayer::builder()
                .header(http::header::CONTENT_LENGTH, HeaderValue::from_static("0")),
            "framing",
        ),
    ] {
        let error = builder.build().unwrap_err();
        assert!(error.to_string().contains(says), "{error}");
    }
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
async fn the_hook_sees_the_error_the_status_sent_and_the_request() {
    let (url, _) = refused_url().await;
    type Seen = Arc<Mutex<Vec<(Kind, StatusCode, Method, String)>>>;
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let gateway = GatewayErrorLayer::builder()
        // The status sent, after the user's own mapping.
        .status_for(Kind::ConnectionRefused, StatusCode::SERVICE_UNAVAILABLE)
        .on_error(
            move |error: &UpstreamError, status: StatusCode, request: &CapturedRequest| {
                record.lock().unwrap().push((
                    error.kind(),
                    status,
                    request.method().clone(),
                    request.uri().path().to_owned(),
                ));
            },
        )
        .build()
        .unwrap()
        .layer(client());
    gateway
        .clone()
        .oneshot(request("DELETE", &url, &[]))
        .await
        .unwrap();
    // Successful calls do not reach the hook.
    let ok = raw_upstream(reply(VALID_500)).await;
    gateway
        .oneshot(get(&format!("http://{ok}/"), &[]))
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(
            Kind::ConnectionRefused,
            StatusCode::SERVICE_UNAVAILABLE,
            Method::DELETE,
            "/some/path".to_owned()
        )]
    );
}

/// With `error_extension(false)` the answer is the same but carries no
/// `UpstreamError`, and the hook still sees every failure.
#[tokio::test]
async fn without_the_error_extension_the_hook_still_sees_the_error() {
    let (url, _) = refused_url().await;
    let seen: Arc<Mutex<Vec<Kind>>> = Arc::default();
    let record = seen.clone();
    let layer = |extension: bool| {
        let record = record.clone();
        GatewayErrorLayer::builder()
            .error_extension(extension)
            .on_error(
                move |error: &UpstreamError, _: StatusCode, _: &CapturedRequest| {
                    record.lock().unwrap().push(error.kind());
                },
            )
            .build()
            .unwrap()
            .layer(client())
    };
    let with = layer(true).oneshot(get(&url, &[])).await.unwrap();
    let without = layer(false).oneshot(get(&url, &[])).await.unwrap();
    assert_eq!(
        with.extensions()
            .get::<UpstreamError>()
            .map(UpstreamError::kind),
        Some(Kind::ConnectionRefused)
    );
    assert!(without.extensions().get::<UpstreamError>().is_none());
    assert_eq!(with.status(), without.status());
    assert_eq!(with.headers(), without.headers());
    assert_eq!(
        *seen.lock().unwrap(),
        [Kind::ConnectionRefused, Kind::ConnectionRefused]
    );
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
