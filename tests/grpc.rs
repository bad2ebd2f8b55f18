//! gRPC callers get gRPC errors: a real tonic client calls through the layer
//! (served by hyper-util over h2c) to a real tonic upstream, or to one that
//! fails. Messages are declared with prost's derive; no protoc.

mod support;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use http::uri::PathAndQuery;
use http::Request;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tonic::{Code, Status};
use tonic_prost::ProstCodec;
use tower::Layer;
use tower_gateway_error::GatewayErrorLayer;

use support::orders::{get_order, proxy_status, GetOrder, Order};
use support::{closed_port, raw_upstream, serve};

/// The upstream: a tonic unary handler. Order 7 exists, order 8 takes 30
/// seconds, anything else is NOT_FOUND.
type GrpcResponse = http::Response<tonic::body::Body>;
type UpstreamFuture = Pin<Box<dyn Future<Output = Result<GrpcResponse, Infallible>> + Send>>;

fn orders_upstream() -> impl tower::Service<
    Request<Incoming>,
    Response = GrpcResponse,
    Error = Infallible,
    Future = UpstreamFuture,
> + Clone
       + Send
       + 'static {
    tower::service_fn(|request: Request<Incoming>| {
        Box::pin(async move {
            let handler = tower::service_fn(|call: tonic::Request<GetOrder>| async move {
                match call.get_ref().id {
                    7 => Ok(tonic::Response::new(Order {
                        id: 7,
                        item: "teapot".into(),
                    })),
                    8 => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        Err(Status::internal("too late"))
                    }
                    id => Err(Status::not_found(format!("no order {id}"))),
                }
            });
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<Order, GetOrder>::default());
            Ok(grpc.unary(handler, request).await)
        }) as UpstreamFuture
    })
}

/// An HTTP/2 (h2c) hyper-util client that forwards to `upstream`.
fn forward(
    upstream: SocketAddr,
) -> impl tower::Service<
    Request<Incoming>,
    Response = http::Response<Incoming>,
    Error = hyper_util::client::legacy::Error,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    let client: Client<_, Incoming> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    tower::service_fn(move |mut request: Request<Incoming>| {
        let client = client.clone();
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = format!("http://{upstream}{path}").parse().unwrap();
        async move { client.request(request).await }
    })
}

/// The gateway: the layer around `forward`, served on loopback.
async fn gateway(upstream: SocketAddr, layer: GatewayErrorLayer) -> SocketAddr {
    serve(layer.layer(forward(upstream))).await
}

#[tokio::test]
async fn a_refused_upstream_is_unavailable() {
    let gateway = gateway(closed_port().await, GatewayErrorLayer::new()).await;
    let status = get_order(gateway, 7).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        status.message(),
        "The upstream server refused the connection."
    );
    assert_eq!(
        proxy_status(&status),
        Some("gateway; error=connection_refused")
    );
}

/// Garbage where HTTP should be is INTERNAL, as when a stream breaks on
/// it: asking again gets the same garbage.
#[tokio::test]
async fn an_upstream_that_is_not_grpc_is_internal() {
    // An HTTP/1 server answering h2c with garbage.
    let upstream = raw_upstream(support::reply(support::GARBAGE)).await;
    let gateway = gateway(upstream, GatewayErrorLayer::new()).await;
    let status = get_order(gateway, 7).await.unwrap_err();
    let value = proxy_status(&status).unwrap();
    let kind = value.strip_prefix("gateway; error=").unwrap();
    // Without hyper's and h2's rules the garbage is unclassified.
    if cfg!(all(feature = "hyper", feature = "h2")) {
        assert_eq!(kind, "http_protocol_error");
    }
    let expected = match kind {
        "http_protocol_error" => Code::Internal,
        _ => Code::Unavailable,
    };
    assert_eq!(status.code(), expected, "{status:?}");
}

#[tokio::test]
async fn a_slow_upstream_is_deadline_exceeded() {
    let upstream = serve(orders_upstream()).await;
    // tower's Timeout under the layer, as the README's stack puts it.
    let gateway = serve(
        tower::ServiceBuilder::new()
            .layer(GatewayErrorLayer::new())
            .timeout(Duration::from_millis(200))
            .service(forward(upstream)),
    )
    .await;
    let status = get_order(gateway, 8).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        proxy_status(&status),
        Some("gateway; error=http_response_timeout")
    );
}

#[tokio::test]
async fn codes_can_be_configured() {
    let layer = GatewayErrorLayer::builder()
        .grpc_status_for(
            tower_gateway_error::UpstreamErrorKind::ConnectionRefused,
            2, // UNKNOWN
        )
        .build()
        .unwrap();
    let gateway = gateway(closed_port().await, layer).await;
    let status = get_order(gateway, 7).await.unwrap_err();
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
}

#[tokio::test]
async fn the_upstreams_own_answers_and_errors_pass_through() {
    let upstream = serve(orders_upstream()).await;
    let gateway = gateway(upstream, GatewayErrorLayer::new()).await;
    let order = get_order(gateway, 7).await.unwrap();
    assert_eq!(order.item, "teapot");
    let status = get_order(gateway, 9).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(status.message(), "no order 9");
    assert_eq!(proxy_status(&status), None);
}

#[tokio::test]
async fn with_grpc_handling_off_the_client_sees_a_protocol_error() {
    // What a gateway without gRPC handling gives: tonic reads the text body
    // of the 502 as a gRPC frame and reports INTERNAL, not the transient
    // UNAVAILABLE a retrying client looks for.
    let layer = GatewayErrorLayer::builder().grpc(false).build().unwrap();
    let gateway = gateway(closed_port().await, layer).await;
    let status = get_order(gateway, 7).await.unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(status.message().contains("502"), "{status:?}");
}

#[test]
fn codes_outside_the_grpc_errors_are_rejected() {
    for code in [0, 17] {
        let error = GatewayErrorLayer::builder()
            .grpc_status_for(tower_gateway_error::UpstreamErrorKind::DnsError, code)
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("use 1 to 16"), "{error}");
    }
}

/// A gRPC call's answer echoes its `content-type` (`+proto` stays), and a
/// `Retry-After` reaches gRPC callers as `grpc-retry-pushback-ms`: sent by
/// a real hyper HTTP/2 client, answered through a real server.
#[tokio::test]
async fn the_answer_echoes_the_calls_content_type_and_pushes_back() {
    let layer = GatewayErrorLayer::builder()
        .retry_after(tower_gateway_error::retry::RetryAfter::seconds(7))
        .build()
        .unwrap();
    let gateway = gateway(closed_port().await, layer).await;
    let client = support::h2_client();
    for content_type in ["application/grpc+proto", "application/grpc"] {
        let call = support::request(
            "POST",
            &format!("http://{gateway}{}", support::orders::GET),
            &[("content-type", content_type), ("te", "trailers")],
        );
        let response = client.request(call).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], content_type);
        assert_eq!(response.headers()["grpc-status"], "14");
        assert_eq!(response.headers()["grpc-retry-pushback-ms"], "7000");
    }
}

/// What a real tonic client sees of the pushback: the status's metadata.
#[tokio::test]
async fn a_tonic_client_sees_the_pushback() {
    let layer = GatewayErrorLayer::builder()
        .retry_after_for(
            tower_gateway_error::UpstreamErrorKind::ConnectionRefused,
            tower_gateway_error::retry::RetryAfter::seconds(3),
        )
        .build()
        .unwrap();
    let gateway = gateway(closed_port().await, layer).await;
    let status = get_order(gateway, 7).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.metadata().get("grpc-retry-pushback-ms").unwrap(),
        "3000"
    );
}

/// A gRPC upstream that answers a call with the head and two messages of a
/// stream, then dies: its connection is reset, with no trailers.
async fn dies_mid_stream(stream: tokio::net::TcpStream) {
    stream.set_zero_linger().unwrap();
    let Ok(mut connection) = h2::server::handshake(stream).await else {
        return;
    };
    let Some(Ok((_request, mut respond))) = connection.accept().await else {
        return;
    };
    let head = http::Response::builder()
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let mut send = respond.send_response(head, false).unwrap();
    for id in [1u64, 2] {
        let message = prost::Message::encode_to_vec(&Order {
            id,
            item: "teapot".into(),
        });
        let mut frame = vec![0u8];
        frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
        frame.extend_from_slice(&message);
        send.send_data(bytes::Bytes::from(frame), false).unwrap();
    }
    // Let the messages go out, then die.
    let serve = async { while connection.accept().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_millis(100), serve).await;
}

/// A real tonic client's `Watch` call through `gateway`: the stream of
/// orders it gets.
async fn watch(gateway: std::net::SocketAddr) -> tonic::Streaming<Order> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{gateway}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    client
        .server_streaming(
            tonic::Request::new(GetOrder { id: 7 }),
            PathAndQuery::from_static("/shop.Orders/Watch"),
            ProstCodec::<GetOrder, Order>::default(),
        )
        .await
        .unwrap()
        .into_inner()
}

/// `grpc_status_for(http_response_incomplete, …)` sets the code a broken
/// stream ends with.
#[tokio::test]
async fn the_code_a_broken_stream_ends_with_can_be_set() {
    let upstream = raw_upstream(dies_mid_stream).await;
    let layer = GatewayErrorLayer::builder()
        .grpc_status_for(
            tower_gateway_error::UpstreamErrorKind::HttpResponseIncomplete,
            2,
        )
        .build()
        .unwrap();
    let gateway = gateway(upstream, layer).await;
    let mut stream = watch(gateway).await;
    let status = loop {
        match stream.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the stream ended without a status"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
}

/// An upstream that answers a gRPC call with an error page of its own (a
/// 503, not a gRPC stream) and breaks in the middle of it.
async fn error_page_breaks(stream: tokio::net::TcpStream) {
    stream.set_zero_linger().unwrap();
    let Ok(mut connection) = h2::server::handshake(stream).await else {
        return;
    };
    let Some(Ok((_request, mut respond))) = connection.accept().await else {
        return;
    };
    let head = http::Response::builder()
        .status(503)
        .header("content-type", "text/plain")
        .header("content-length", "100")
        .body(())
        .unwrap();
    let mut send = respond.send_response(head, false).unwrap();
    send.send_data(bytes::Bytes::from_static(b"busy "), false)
        .unwrap();
    let serve = async { while connection.accept().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_millis(100), serve).await;
}

/// Trailers end gRPC streams only: a broken page the upstream answered a
/// gRPC call with stays a broken transfer.
#[tokio::test]
async fn a_broken_error_page_gets_no_grpc_trailers() {
    use http_body_util::BodyExt;
    let upstream = raw_upstream(error_page_breaks).await;
    let gateway = gateway(upstream, GatewayErrorLayer::new()).await;
    let call = support::request(
        "POST",
        &format!("http://{gateway}{}", support::orders::GET),
        &[("content-type", "application/grpc"), ("te", "trailers")],
    );
    let response = support::h2_client().request(call).await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.into_body().collect().await.is_err());
}

/// The messages that arrived reach a real tonic client, and the failure
/// after them arrives as the call's status in trailers (UNAVAILABLE, with
/// the layer's message), not as a reset stream the client would report as
/// its own transport error. The hook is told once.
#[tokio::test]
async fn a_stream_that_dies_ends_with_a_grpc_status() {
    let upstream = raw_upstream(dies_mid_stream).await;
    let told = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = told.clone();
    let layer = GatewayErrorLayer::builder()
        .on_error(
            move |error: &tower_gateway_error::UpstreamError, _: http::StatusCode, _: &_| {
                assert_eq!(
                    error.kind(),
                    tower_gateway_error::UpstreamErrorKind::HttpResponseIncomplete
                );
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            },
        )
        .build()
        .unwrap();
    let gateway = gateway(upstream, layer).await;

    let mut stream = watch(gateway).await;
    assert_eq!(stream.message().await.unwrap().unwrap().id, 1);
    assert_eq!(stream.message().await.unwrap().unwrap().id, 2);
    let status = stream.message().await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        status.message(),
        "The upstream server sent an incomplete response."
    );
    assert_eq!(told.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A response head larger than the gateway's client takes is RESOURCE_EXHAUSTED
/// (the gRPC code for a size limit), over the wire to a tonic client: the
/// call goes to the gateway over HTTP/2 and on over HTTP/1, whose size
/// limit hyper reports.
#[tokio::test]
async fn a_head_too_large_is_resource_exhausted() {
    let upstream = raw_upstream(support::reply(support::huge_head())).await;
    let forward = tower::ServiceExt::map_request(
        support::proxy_to(upstream),
        |mut request: Request<Incoming>| {
            *request.version_mut() = http::Version::HTTP_11;
            request
        },
    );
    let gateway = serve(GatewayErrorLayer::new().layer(forward)).await;
    let status = get_order(gateway, 7).await.unwrap_err();
    let value = proxy_status(&status).unwrap();
    // Without hyper's rules the size is not told apart from other garbage.
    if cfg!(feature = "hyper") {
        assert_eq!(value, "gateway; error=http_response_header_section_size");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    }
}
