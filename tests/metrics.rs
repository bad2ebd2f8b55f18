//! The failure counter (feature `metrics`), read back through a real
//! Prometheus recorder. In its own test binary: the recorder is global.
#![cfg(feature = "metrics")]

mod support;

use http::StatusCode;
use http_body_util::BodyExt;
use metrics_exporter_prometheus::PrometheusBuilder;
use tower::{Layer, ServiceExt};
use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};

use support::*;

#[tokio::test]
async fn failures_are_counted_by_type_and_the_status_sent() {
    let prometheus = PrometheusBuilder::new().install_recorder().unwrap();

    let refused = closed_port().await;
    let gateway = GatewayErrorLayer::new().layer(client());
    for _ in 0..2 {
        let response = gateway
            .clone()
            .oneshot(get(&format!("http://{refused}/"), &[]))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    }
    // The status sent, after the user's own mapping.
    // A second layer, told apart by its name.
    let mapped = GatewayErrorLayer::builder()
        .proxy_name("edge-2")
        .status_for(
            UpstreamErrorKind::ConnectionRefused,
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .build()
        .unwrap()
        .layer(client());
    mapped
        .oneshot(get(&format!("http://{refused}/"), &[]))
        .await
        .unwrap();
    // A body that breaks after its head: counted once, with the upstream's
    // status, which is what the client got.
    let breaking = raw_upstream(breaks_mid_body).await;
    let response = gateway
        .oneshot(get(&format!("http://{breaking}/"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.into_body().collect().await.is_err());
    // A success is not counted.
    let ok = raw_upstream(reply(VALID_500)).await;
    GatewayErrorLayer::new()
        .layer(client())
        .oneshot(get(&format!("http://{ok}/"), &[]))
        .await
        .unwrap();

    let text = prometheus.render();
    let counted: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("gateway_upstream_failures_total{"))
        .collect();
    let mut counted = counted.clone();
    counted.sort();
    assert_eq!(
        counted,
        [
            r#"gateway_upstream_failures_total{error_type="connection_refused",http_response_status_code="502",proxy="gateway"} 2"#,
            r#"gateway_upstream_failures_total{error_type="connection_refused",http_response_status_code="503",proxy="edge-2"} 1"#,
            r#"gateway_upstream_failures_total{error_type="http_response_incomplete",http_response_status_code="200",proxy="gateway"} 1"#,
        ],
        "{text}"
    );
    // Described, for Prometheus's `# HELP`.
    assert!(
        text.lines().any(
            |line| line.starts_with("# HELP gateway_upstream_failures_total ")
                && line.contains("Proxy-Status error type")
        ),
        "{text}"
    );
}
