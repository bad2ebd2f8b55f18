//! The tracing event for every failure. In its own test binary because
//! tracing caches each callsite's interest process-wide: tests running in
//! parallel without a subscriber would make a scoped subscriber here miss
//! the event now and then.
#![cfg(feature = "tracing")]

mod support;

use std::sync::{Arc, Mutex};

use tower::{Layer, ServiceExt};
use tower_gateway_error::GatewayErrorLayer;

use support::*;

/// What a subscriber writes, kept to read back.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn every_failure_is_logged_with_its_chain() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let addr = closed_port().await;
    let url = format!("http://{addr}/orders/7?token=secret");
    let response = GatewayErrorLayer::builder()
        .status_for(
            tower_gateway_error::UpstreamErrorKind::ConnectionRefused,
            http::StatusCode::SERVICE_UNAVAILABLE,
        )
        .build()
        .unwrap()
        .layer(client())
        .oneshot(get(&url, &[("x-request-id", "req-42")]))
        .await
        .unwrap();
    let body = body_bytes(response).await;
    let body = std::str::from_utf8(&body).unwrap();
    assert_no_leak(body, addr);
    assert!(body.contains("req-42"), "{body}");

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The id a visitor quotes from the page finds this line.
    for expected in [
        " WARN tower_gateway_error: upstream call failed",
        "error.type=\"connection_refused\"",
        "http.response.status_code=503",
        "http.request.method=\"GET\"",
        "url.path=\"/orders/7\"",
        "request_id=\"req-42\"",
        "retry_safe=true",
    ] {
        assert!(log.contains(expected), "no {expected:?} in {log}");
    }
    assert!(
        !log.contains("secret"),
        "the query stays out of the log: {log}"
    );
    assert!(
        log.to_ascii_lowercase().contains("connection refused"),
        "{log}"
    );

    // Without the path, when it is turned off; the id stays.
    capture.0.lock().unwrap().clear();
    GatewayErrorLayer::builder()
        .log_path(false)
        .build()
        .unwrap()
        .layer(client())
        .oneshot(get(&url, &[("x-request-id", "req-43")]))
        .await
        .unwrap();
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("error.type=\"connection_refused\""), "{log}");
    assert!(log.contains("request_id=\"req-43\""), "{log}");
    assert!(!log.contains("url.path"), "{log}");
    assert!(!log.contains("orders"), "{log}");

    // Without an id, no id field.
    capture.0.lock().unwrap().clear();
    GatewayErrorLayer::new()
        .layer(client())
        .oneshot(get(&url, &[]))
        .await
        .unwrap();
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("url.path=\"/orders/7\""), "{log}");
    assert!(!log.contains("request_id"), "{log}");
}

/// An outage is not a log storm: while the upstream is ejected, each
/// refusal is logged at debug; the ejection is one warning, and the hook
/// still sees every refusal.
#[tokio::test]
async fn an_ejected_upstream_logs_its_ejection_once_not_every_refusal() {
    use std::time::Duration;
    use tower::Service;
    use tower_gateway_error::eject::Ejection;
    use tower_gateway_error::{CapturedRequest, UpstreamError};
    let capture = Capture::default();
    // The default filter of a service: warnings and above.
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let hooked = Arc::new(Mutex::new(0));
    let count = hooked.clone();
    let mut gateway = GatewayErrorLayer::builder()
        .eject(Ejection::after(3, Duration::from_secs(60)))
        .on_error(
            move |_: &UpstreamError, _: http::StatusCode, _: &CapturedRequest| {
                *count.lock().unwrap() += 1;
            },
        )
        .build()
        .unwrap()
        .layer(client());
    let url = format!("http://{}/", closed_port().await);
    for _ in 0..53 {
        let response = gateway
            .ready()
            .await
            .unwrap()
            .call(get(&url, &[]))
            .await
            .unwrap();
        assert!(response.status() == 502 || response.status() == 503);
    }
    assert_eq!(*hooked.lock().unwrap(), 53, "the hook sees every refusal");
    let logged = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("connection_refused"))
            .count(),
        3,
        "{logged}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("upstream ejected"))
            .count(),
        1,
        "{logged}"
    );
    assert!(!logged.contains("destination_unavailable"), "{logged}");
    assert_eq!(lines.len(), 4, "{logged}");
}
