//! The hook sees every failure once: the error, the status it was answered
//! with (after `status_for`), and what the layer kept of the request.
//! Answers from the upstream never reach it, and turning the error
//! extension off changes nothing for it. A real hyper-util client over
//! loopback.

mod support;

use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use tower::{Layer, ServiceExt};
use tower_gateway_error::{
    CapturedRequest, GatewayErrorLayer, UpstreamError, UpstreamErrorKind as Kind,
};

use support::*;

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
