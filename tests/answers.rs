//! What a failed request gets: the status, the headers, and a body in the
//! format the client asks for (or the one set), with nothing of the
//! upstream's address or error text unless details are turned on. A real
//! hyper-util client, its upstream's port closed, over loopback.

mod support;

use http::StatusCode;
use support::*;
use tower::{Layer, ServiceExt};
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError, UpstreamErrorKind as Kind};

const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

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

/// Titles are RFC 9110's reason phrases, where they differ from the older
/// ones `http` still has: 413 "Content Too Large", 422 "Unprocessable
/// Content"; in the problem's title and an intercepted answer's detail.
#[tokio::test]
async fn titles_are_rfc_9110_reason_phrases() {
    for (status, title) in [
        (StatusCode::PAYLOAD_TOO_LARGE, "Content Too Large"),
        (StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Content"),
    ] {
        let (url, _) = refused_url().await;
        let gateway = GatewayErrorLayer::builder()
            .status_for(Kind::ConnectionRefused, status)
            .build()
            .unwrap()
            .layer(client());
        let response = gateway
            .oneshot(get(&url, &[("accept", "application/json")]))
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(json(&body_bytes(response).await)["title"], title);

        let upstream = raw_upstream(move |mut stream| async move {
            use tokio::io::AsyncWriteExt;
            read_head(&mut stream).await;
            let head = format!(
                "HTTP/1.1 {} X\r\ncontent-length: 0\r\n\r\n",
                status.as_u16()
            );
            let _ = stream.write_all(head.as_bytes()).await;
        })
        .await;
        let intercepting = GatewayErrorLayer::builder()
            .intercept([status])
            .build()
            .unwrap()
            .layer(client());
        let response = intercepting
            .oneshot(get(
                &format!("http://{upstream}/"),
                &[("accept", "application/json")],
            ))
            .await
            .unwrap();
        let problem = json(&body_bytes(response).await);
        assert_eq!(problem["title"], title);
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.ends_with(&format!("{} {title}.", status.as_u16())),
            "{detail}"
        );
    }
}

/// `Accept` as RFC 9110 §12.5.1 reads it: parameters other than `q`
/// narrow a range, quoted commas do not split it, a weight with a space
/// around `=` is malformed (the range is skipped, not read as q=1), and a
/// JSON template is negotiated as the `application/json` it is sent as.
#[tokio::test]
async fn accept_is_read_as_rfc_9110_reads_it() {
    let (url, _) = refused_url().await;
    let html_fallback = GatewayErrorLayer::builder()
        .default_format(BodyFormat::Html)
        .build()
        .unwrap();
    let custom_json = GatewayErrorLayer::builder()
        .default_format(BodyFormat::Html)
        .json_template(r#"{"code": {{status}}}"#)
        .build()
        .unwrap();
    for (layer, accept, content_type) in [
        (
            &html_fallback,
            "text/html;level=1, text/html;q=0, application/json;q=0.5",
            "application/problem+json",
        ),
        (
            &html_fallback,
            r#"text/html;x="a,b";q=0, application/json;q=0.5"#,
            "application/problem+json",
        ),
        (
            &html_fallback,
            "text/html;q =0, text/plain;q=0.5",
            "text/plain; charset=utf-8",
        ),
        (
            &html_fallback,
            "application/json;q=0, application/problem+json, text/html;q=0.5",
            "application/problem+json",
        ),
        (
            &custom_json,
            "application/json;q=0, application/problem+json, text/html;q=0.5",
            "text/html; charset=utf-8",
        ),
        (
            &custom_json,
            "application/problem+json;q=0, application/json",
            "application/json",
        ),
    ] {
        let response = layer
            .layer(client())
            .oneshot(get(&url, &[("accept", accept)]))
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], content_type, "{accept}");
    }
}
