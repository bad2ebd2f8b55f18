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

#[tokio::test]
async fn every_failure_is_logged_with_its_chain() {
    use tracing_subscriber::fmt::MakeWriter;

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
    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let addr = closed_port().await;
    let url = format!("http://{addr}/");
    let response = GatewayErrorLayer::new()
        .layer(client())
        .oneshot(get(&url, &[]))
        .await
        .unwrap();
    let body = body_bytes(response).await;
    assert_no_leak(std::str::from_utf8(&body).unwrap(), addr);

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("upstream call failed"), "{log}");
    assert!(log.contains("kind=\"connection_refused\""), "{log}");
    assert!(log.contains("status=502"), "{log}");
    assert!(
        log.to_ascii_lowercase().contains("connection refused"),
        "{log}"
    );
}
