//! reqwest-middleware's `ClientWithMiddleware` under the layer, through
//! the crate's `Forward` adapter, with reqwest-retry as users stack it,
//! for reqwest-middleware 0.4 (reqwest 0.12, reqwest-retry 0.7) and 0.5
//! (reqwest 0.13, reqwest-retry 0.9). `reqwest_middleware::Error` hides
//! reqwest's error from `source()`; the features find it, also inside
//! reqwest-retry's error after its last try. The 0.5 column of the client
//! × fault matrix is in `tests/clients.rs`.

mod support;

macro_rules! middleware_suite {
    ($module:ident, $feature:literal, $reqwest:ident, $middleware:ident, $retry:ident) => {
        #[cfg(feature = $feature)]
        mod $module {
            use std::sync::{Arc, Mutex};
            use std::time::Duration;

            use bytes::Bytes;
            use http::{Request, StatusCode};
            use http_body_util::Full;
            use tower::{Layer, ServiceExt};
            use tower_gateway_error::forward::$reqwest::Forward;
            #[cfg(feature = "retry")]
            use tower_gateway_error::retry::RetryPolicy;
            use tower_gateway_error::{
                CapturedRequest, GatewayErrorLayer, UpstreamError, UpstreamErrorKind,
            };

            use super::support::*;

            type Client = $middleware::ClientWithMiddleware;

            fn reqwest_client() -> $reqwest::Client {
                install_crypto_provider();
                $reqwest::Client::builder()
                    .timeout(Duration::from_millis(500))
                    .connect_timeout(Duration::from_millis(250))
                    .no_proxy()
                    .build()
                    .unwrap()
            }

            /// reqwest with a response timeout, reqwest-retry retrying
            /// transient failures `retries` times.
            fn client(retries: u32) -> Client {
                let client = reqwest_client();
                let policy = $retry::policies::ExponentialBackoff::builder()
                    .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
                    .build_with_max_retries(retries);
                $middleware::ClientBuilder::new(client)
                    .with($retry::RetryTransientMiddleware::new_with_policy(policy))
                    .build()
            }

            type Seen = Arc<Mutex<Vec<UpstreamError>>>;

            async fn through_the_layer(
                url: &str,
                request: Request<Full<Bytes>>,
            ) -> (StatusCode, String, UpstreamError) {
                let seen = Seen::default();
                let record = seen.clone();
                let layer = GatewayErrorLayer::builder()
                    .on_error(
                        move |e: &UpstreamError, _: StatusCode, _: &CapturedRequest| {
                            record.lock().unwrap().push(e.clone())
                        },
                    )
                    .build()
                    .unwrap();
                let service = layer.layer(Forward::new(client(1), url).unwrap());
                let response = service.oneshot(request).await.unwrap();
                let proxy_status = response.headers()["proxy-status"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let error = seen
                    .lock()
                    .unwrap()
                    .pop()
                    .expect("the hook saw the failure");
                (response.status(), proxy_status, error)
            }

            #[tokio::test]
            async fn a_stalled_upstream_is_a_504_after_reqwest_retrys_last_try() {
                let upstream = raw_upstream(stall).await;
                let (status, proxy_status, error) =
                    through_the_layer(&format!("http://{upstream}"), get("/", &[])).await;
                assert_eq!(status, 504);
                assert!(proxy_status.ends_with("error=http_response_timeout"));
                assert!(!error.is_retry_safe());
            }

            #[tokio::test]
            async fn a_refused_upstream_is_refused_and_retry_safe() {
                let url = format!("http://{}", refused_url().await.1);
                let (status, proxy_status, error) = through_the_layer(&url, get("/", &[])).await;
                assert_eq!(status, 502);
                assert!(proxy_status.ends_with("error=connection_refused"));
                assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
                assert!(error.is_retry_safe());
            }

            /// A middleware's own failure (reqwest-retry cannot clone a
            /// streaming body) is no upstream failure the rules know.
            #[tokio::test]
            async fn a_middlewares_own_error_stays_unclassified() {
                let url = format!("http://{}", refused_url().await.1);
                let streaming =
                    http_body_util::StreamBody::new(futures_util::stream::iter([Ok::<
                        _,
                        std::io::Error,
                    >(
                        http_body::Frame::data(Bytes::from_static(b"{}")),
                    )]));
                let layer = GatewayErrorLayer::new();
                let service = layer.layer(Forward::new(client(1), &url).unwrap());
                let request = Request::post("/orders").body(streaming).unwrap();
                let response = service.oneshot(request).await.unwrap();
                let error = response.extensions().get::<UpstreamError>().unwrap();
                assert_eq!(error.kind(), UpstreamErrorKind::Unclassified, "{error:?}");
            }

            /// The crate's `RetryPolicy` judges reqwest-middleware's error
            /// as reqwest's: a refused connect is retried, even a POST.
            /// (With no reqwest-retry below it: that one would refuse the
            /// streaming body, which it cannot clone.)
            #[cfg(feature = "retry")]
            #[tokio::test]
            async fn retry_policy_retries_what_never_left() {
                let url = format!("http://{}", refused_url().await.1);
                let calls = Arc::new(Mutex::new(0));
                let counted = calls.clone();
                let client = $middleware::ClientBuilder::new(reqwest_client()).build();
                let forward = Forward::new(client, &url).unwrap();
                let counting = tower::service_fn(move |request: Request<Full<Bytes>>| {
                    *counted.lock().unwrap() += 1;
                    forward.clone().oneshot(request)
                });
                let policy = RetryPolicy::builder()
                    .max_retries(2)
                    .backoff(Duration::from_millis(1), Duration::from_millis(2))
                    .build()
                    .unwrap();
                let service = tower::ServiceBuilder::new()
                    .layer(GatewayErrorLayer::new())
                    .retry(policy)
                    .service(counting);
                let request = Request::post("/orders")
                    .body(Full::new(Bytes::from_static(b"{}")))
                    .unwrap();
                let response = service.oneshot(request).await.unwrap();
                assert_eq!(response.status(), 502);
                assert_eq!(*calls.lock().unwrap(), 3);
            }
        }
    };
}

middleware_suite!(
    reqwest_middleware_0_4_suite,
    "reqwest-middleware-0-4",
    reqwest_0_12,
    reqwest_middleware_0_4,
    reqwest_retry_0_7
);
middleware_suite!(
    reqwest_middleware_0_5_suite,
    "reqwest-middleware-0-5",
    reqwest_0_13,
    reqwest_middleware_0_5,
    reqwest_retry_0_9
);
