//! A `Retry-After` date is advice until it passes: sent while it is in the
//! future, gone after (or never, when it has passed already); gRPC callers
//! get the whole seconds left. On tokio's
//! paused clock, so the test does not wait.

use std::time::{Duration, SystemTime};

use http::{Request, Response};
use tower::{Layer, ServiceExt};
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::GatewayErrorLayer;

fn refused(_: Request<()>) -> std::future::Ready<Result<Response<String>, std::io::Error>> {
    std::future::ready(Err(std::io::ErrorKind::ConnectionRefused.into()))
}

fn call(grpc: bool) -> Request<()> {
    let mut request = Request::new(());
    if grpc {
        *request.version_mut() = http::Version::HTTP_2;
        request
            .headers_mut()
            .insert("content-type", "application/grpc".parse().unwrap());
    }
    request
}

#[tokio::test(start_paused = true)]
async fn a_date_is_sent_only_while_it_is_in_the_future() {
    let maintenance_ends = SystemTime::now() + Duration::from_secs(10);
    let gateway = GatewayErrorLayer::builder()
        .retry_after(RetryAfter::at(maintenance_ends))
        .build()
        .unwrap()
        .layer(tower::service_fn(refused));

    let response = gateway.clone().oneshot(call(false)).await.unwrap();
    let date = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(date.ends_with(" GMT"), "{date}");
    let response = gateway.clone().oneshot(call(true)).await.unwrap();
    assert_eq!(response.headers()["grpc-retry-pushback-ms"], "10000");

    tokio::time::advance(Duration::from_millis(3_500)).await;
    let response = gateway.clone().oneshot(call(false)).await.unwrap();
    assert_eq!(response.headers()["retry-after"], date.as_str());
    let response = gateway.clone().oneshot(call(true)).await.unwrap();
    // The date shows whole seconds and the advice ends at the one it shows,
    // so the time left is 10 s less the part of a second already gone,
    // rounded up.
    let pushback = response.headers()["grpc-retry-pushback-ms"]
        .to_str()
        .unwrap();
    assert!(["6000", "7000"].contains(&pushback), "{pushback}");

    tokio::time::advance(Duration::from_secs(7)).await;
    let response = gateway.clone().oneshot(call(false)).await.unwrap();
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(response.status(), 502);
    let response = gateway.oneshot(call(true)).await.unwrap();
    assert!(response.headers().get("grpc-retry-pushback-ms").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_delay_is_sent_every_time() {
    let gateway = GatewayErrorLayer::builder()
        .retry_after(RetryAfter::seconds(30))
        .build()
        .unwrap()
        .layer(tower::service_fn(refused));
    for _ in 0..2 {
        let response = gateway.clone().oneshot(call(false)).await.unwrap();
        assert_eq!(response.headers()["retry-after"], "30");
        tokio::time::advance(Duration::from_secs(60)).await;
    }
}

/// A date already past when the layer is built is no advice any more:
/// nothing is sent, to HTTP or gRPC callers.
#[tokio::test]
async fn a_date_already_past_is_not_sent() {
    let past = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    let gateway = GatewayErrorLayer::builder()
        .retry_after(RetryAfter::at(past))
        .build()
        .unwrap()
        .layer(tower::service_fn(refused));
    let response = gateway.clone().oneshot(call(false)).await.unwrap();
    assert_eq!(response.status(), 502);
    assert!(response.headers().get("retry-after").is_none());
    let response = gateway.oneshot(call(true)).await.unwrap();
    assert!(response.headers().get("grpc-retry-pushback-ms").is_none());
}
