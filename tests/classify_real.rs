//! Every classification rule, each fed an error that the real library
//! produced in a real situation over loopback: no hand-built look-alikes.

mod support;

use std::error::Error;
use std::time::Duration;

use tower::{Service, ServiceBuilder, ServiceExt};
use tower_gateway_error::{UpstreamError, UpstreamErrorKind as Kind};

use support::*;

/// `GET /` at `addr` through `client`, which must fail.
async fn fails(
    client: TestClient,
    addr: std::net::SocketAddr,
) -> hyper_util::client::legacy::Error {
    client
        .request(get(&format!("http://{addr}/"), &[]))
        .await
        .unwrap_err()
}

fn kind_of(error: impl Into<tower_gateway_error::BoxError>) -> (Kind, bool) {
    let error = UpstreamError::classify(error);
    assert_eq!(
        Kind::of(error.source().unwrap()),
        error.kind(),
        "the plain function and UpstreamError agree"
    );
    (error.kind(), error.is_retry_safe())
}

#[tokio::test]
async fn plain_io_connect_refused() {
    let addr = closed_port().await;
    let error = tokio::net::TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(kind_of(error), (Kind::ConnectionRefused, true));
}

#[cfg(feature = "hyper")]
mod hyper_util_client {
    use super::*;
    use std::io;

    #[tokio::test]
    async fn refused_connection() {
        let addr = closed_port().await;
        let error = fails(client(), addr).await;
        assert!(error.is_connect());
        assert_eq!(kind_of(error), (Kind::ConnectionRefused, true));
    }

    #[tokio::test]
    async fn reset_before_the_head() {
        let addr = raw_upstream(reset_after_head).await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error), (Kind::ConnectionTerminated, false));
    }

    #[tokio::test]
    async fn clean_close_without_an_answer() {
        let addr = raw_upstream(close_after_head).await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error), (Kind::ConnectionTerminated, false));
    }

    #[tokio::test]
    async fn bytes_that_are_not_http() {
        let addr = raw_upstream(reply(GARBAGE)).await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error), (Kind::HttpProtocolError, false));
    }

    #[tokio::test]
    async fn invalid_status_line() {
        let addr = raw_upstream(reply(BAD_STATUS)).await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error), (Kind::HttpProtocolError, false));
    }

    #[tokio::test]
    async fn invalid_content_length() {
        let addr = raw_upstream(reply(BAD_CONTENT_LENGTH)).await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error), (Kind::HttpProtocolError, false));
    }

    #[tokio::test]
    async fn response_head_larger_than_the_client_accepts() {
        let addr = raw_upstream(reply(huge_head())).await;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .http1_max_buf_size(8192)
                .build_http();
        let error = client
            .request(get(&format!("http://{addr}/"), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::HttpResponseHeaderSectionSize, false));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn connect_timeout_against_a_full_accept_queue() {
        let blocked = full_backlog().await;
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_millis(300)));
        let client = client_over(connector);
        let error = client
            .request(get(&format!("http://{}/", blocked.addr), &[]))
            .await
            .unwrap_err();
        assert!(error.is_connect());
        assert_eq!(kind_of(error), (Kind::ConnectionTimeout, true));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn tower_timeout_around_the_connector() {
        // A tower Timeout in the connect phase means the connection never
        // opened, not that the response was late.
        let blocked = full_backlog().await;
        // Boxed because hyper-util wants an Unpin connector future.
        let connector = tower::util::BoxCloneSyncService::new(
            ServiceBuilder::new()
                .timeout(Duration::from_millis(300))
                .service(hyper_util::client::legacy::connect::HttpConnector::new()),
        );
        let client = client_over::<_, http_body_util::Full<bytes::Bytes>>(connector);
        let error = client
            .request(get(&format!("http://{}/", blocked.addr), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::ConnectionTimeout, true));
    }

    #[tokio::test]
    async fn the_request_body_failing_is_not_the_upstreams_fault() {
        // The body hyper is sending fails mid-way, as when the client that
        // sent it to the gateway stops uploading.
        struct FailingBody(bool);
        impl http_body::Body for FailingBody {
            type Data = bytes::Bytes;
            type Error = io::Error;
            fn poll_frame(
                mut self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, io::Error>>>
            {
                let first = std::mem::replace(&mut self.0, false);
                std::task::Poll::Ready(Some(if first {
                    Ok(http_body::Frame::data(bytes::Bytes::from_static(
                        b"part of it",
                    )))
                } else {
                    Err(io::Error::from(io::ErrorKind::ConnectionReset))
                }))
            }
        }
        let addr = raw_upstream(stall).await;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<FailingBody>();
        let request = http::Request::post(format!("http://{addr}/upload"))
            .body(FailingBody(true))
            .unwrap();
        let error = client.request(request).await.unwrap_err();
        assert_eq!(kind_of(error), (Kind::HttpRequestError, false));
    }

    #[tokio::test]
    async fn resolver_failure() {
        // No network here: the test's own resolver answers, and fails the
        // way getaddrinfo does for an unknown name.
        let resolver = tower::service_fn(
            |_name: hyper_util::client::legacy::connect::dns::Name| async {
                Err::<std::vec::IntoIter<std::net::SocketAddr>, _>(io::Error::other(
                    "failed to lookup address information: Name or service not known",
                ))
            },
        );
        let connector =
            hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(resolver);
        let client = client_over::<_, http_body_util::Full<bytes::Bytes>>(connector);
        let error = client
            .request(get("http://upstream.invalid/", &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::DnsError, true));
    }

    #[tokio::test]
    async fn resolver_timeout() {
        let slow = tower::service_fn(
            |_name: hyper_util::client::legacy::connect::dns::Name| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok::<_, io::Error>(
                    vec![std::net::SocketAddr::from(([127, 0, 0, 1], 9))].into_iter(),
                )
            },
        );
        let resolver = ServiceBuilder::new()
            .timeout(Duration::from_millis(100))
            .service(slow);
        let connector =
            hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(resolver);
        let client = client_over::<_, http_body_util::Full<bytes::Bytes>>(connector);
        let error = client
            .request(get("http://upstream.invalid/", &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::DnsTimeout, true));
    }

    #[tokio::test]
    async fn sending_on_a_connection_the_upstream_closed() {
        // hyper's own connection API: the upstream closes the connection
        // right away, the connection task ends, and a request sent after
        // that fails.
        let addr = raw_upstream(|stream| async move { drop(stream) }).await;
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        let _ = connection.await;
        let error = sender.send_request(get("/", &[])).await.unwrap_err();
        assert!(error.is_canceled() || error.is_closed(), "{error:?}");
        assert_eq!(kind_of(error).0, Kind::ConnectionTerminated);
    }
}

#[cfg(all(feature = "hyper", feature = "h2"))]
mod http2 {
    use super::*;

    #[tokio::test]
    async fn refused_stream_is_retry_safe() {
        let addr = h2_upstream(H2Fault::RefuseStreams).await;
        let error = fails(h2_client(), addr).await;
        assert_eq!(kind_of(error), (Kind::ConnectionRefused, true));
    }

    #[tokio::test]
    async fn graceful_goaway_for_an_unprocessed_stream_is_retry_safe() {
        let addr = h2_framed_upstream(H2Frames::GoAway(H2_NO_ERROR)).await;
        let error = fails(h2_client(), addr).await;
        assert_eq!(kind_of(error), (Kind::ConnectionTerminated, true));
    }

    #[tokio::test]
    async fn keep_alive_pings_unanswered() {
        let addr = h2_framed_upstream(H2Frames::Silence).await;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .http2_only(true)
                .http2_keep_alive_interval(Duration::from_millis(100))
                .http2_keep_alive_timeout(Duration::from_millis(100))
                .timer(hyper_util::rt::TokioTimer::new())
                .build_http::<http_body_util::Full<bytes::Bytes>>();
        let error = client
            .request(get(&format!("http://{addr}/"), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::ConnectionReadTimeout, false));
    }

    #[tokio::test]
    async fn goaway_with_protocol_error() {
        let addr = h2_framed_upstream(H2Frames::GoAway(H2_PROTOCOL_ERROR)).await;
        let error = fails(h2_client(), addr).await;
        assert_eq!(kind_of(error).0, Kind::HttpProtocolError);
    }
}

#[cfg(all(feature = "hyper", feature = "rustls"))]
mod tls {
    use super::*;
    use tokio_rustls::rustls::{self, RootCertStore};

    static BOTH: &[&rustls::SupportedProtocolVersion] =
        &[&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
    static TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

    #[tokio::test]
    async fn untrusted_certificate() {
        let (addr, _cert) = tls_upstream(BOTH).await;
        let client = tls_client(RootCertStore::empty(), BOTH);
        let error = client
            .request(get(&format!("https://localhost:{}/", addr.port()), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::TlsCertificateError, true));
    }

    #[tokio::test]
    async fn trusted_certificate_works() {
        // The same setup succeeds when the certificate is trusted, so the
        // failure above is about trust and nothing else.
        let (addr, cert) = tls_upstream(BOTH).await;
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        let response = tls_client(roots, BOTH)
            .request(get(&format!("https://localhost:{}/", addr.port()), &[]))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn alert_from_the_upstream() {
        let (addr, cert) = tls_upstream(TLS13).await;
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        let error = tls_client(roots, TLS12)
            .request(get(&format!("https://localhost:{}/", addr.port()), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::TlsAlertReceived, true));
    }

    #[tokio::test]
    async fn tls_client_talking_to_plain_http() {
        let addr = raw_upstream(plain_http_answering_anything).await;
        let error = tls_client(RootCertStore::empty(), BOTH)
            .request(get(&format!("https://localhost:{}/", addr.port()), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::TlsProtocolError, true));
    }
}

mod tower_and_tokio {
    use super::*;

    #[tokio::test]
    async fn tower_timeout_firing() {
        let addr = raw_upstream(stall).await;
        let mut service = ServiceBuilder::new()
            .timeout(Duration::from_millis(100))
            .service(client());
        let error = service
            .ready()
            .await
            .unwrap()
            .call(get(&format!("http://{addr}/"), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::HttpResponseTimeout, false));
    }

    #[tokio::test]
    async fn tokio_timeout_firing() {
        let addr = raw_upstream(stall).await;
        let error = tokio::time::timeout(
            Duration::from_millis(100),
            client().request(get(&format!("http://{addr}/"), &[])),
        )
        .await
        .unwrap_err();
        assert_eq!(kind_of(error), (Kind::HttpResponseTimeout, false));
    }

    #[tokio::test]
    async fn load_shed_when_saturated() {
        let addr = raw_upstream(stall).await;
        let mut service = ServiceBuilder::new()
            .load_shed()
            .concurrency_limit(1)
            .service(client());
        let url = format!("http://{addr}/");
        let first = service.ready().await.unwrap().call(get(&url, &[]));
        let _in_flight = tokio::spawn(first);
        let error = service
            .ready()
            .await
            .unwrap()
            .call(get(&url, &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::ConnectionLimitReached, true));
    }

    #[tokio::test]
    async fn buffer_whose_worker_is_gone() {
        let (buffer, worker) = tower::buffer::Buffer::pair(client(), 4);
        drop(worker);
        let addr = closed_port().await;
        let error = buffer
            .oneshot(get(&format!("http://{addr}/"), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error), (Kind::DestinationUnavailable, true));
    }

    #[tokio::test]
    async fn errors_through_a_buffer_keep_their_kind() {
        let buffer = tower::buffer::Buffer::new(client(), 4);
        let addr = closed_port().await;
        let error = buffer
            .oneshot(get(&format!("http://{addr}/"), &[]))
            .await
            .unwrap_err();
        assert_eq!(kind_of(error).0, Kind::ConnectionRefused);
    }
}

#[cfg(not(feature = "hyper"))]
mod without_the_hyper_feature {
    //! The downcasts to hyper's types are compiled out here, as they would
    //! fail for a second major version of hyper: the io rules still decide.
    use super::*;

    #[tokio::test]
    async fn refused_still_classified_through_io() {
        let addr = closed_port().await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error).0, Kind::ConnectionRefused);
    }

    #[tokio::test]
    async fn reset_still_classified_through_io() {
        let addr = raw_upstream(reset_after_head).await;
        let error = fails(client(), addr).await;
        assert_eq!(kind_of(error).0, Kind::ConnectionTerminated);
    }
}
