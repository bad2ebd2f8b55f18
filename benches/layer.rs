//! What the layer costs per request, side by side with what a user would
//! write instead and with the floor, in one run:
//!
//! - `success/*`: the bare inner service, the same under `GatewayErrorLayer`
//!   (defaults), and under axum's `HandleErrorLayer` with a closure;
//! - `failure/<format>/*`: `GatewayErrorLayer`, `HandleErrorLayer` with a
//!   closure building a comparable body, and the floor (a clone of a
//!   prebuilt 502);
//! - `negotiate/*`: a browser's and a long `Accept`;
//! - `classify/*`: a deep real chain from hyper-util and a shallow one.
//!
//! Every service here answers at once, so futures are polled directly with a
//! no-op waker: no runtime in the measurement. `cargo bench --bench layer`.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::error_handling::HandleErrorLayer;
use axum::response::IntoResponse;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use tower::{service_fn, BoxError, Layer, Service};
use tower_gateway_error::render::{negotiate, BodyFormat};
use tower_gateway_error::{GatewayErrorLayer, UpstreamErrorKind};

const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// Polls `future` once; the services here are always ready at once.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("benchmarked services answer at once"),
    }
}

/// `poll_ready` then `call`, driven to completion without a runtime.
fn call<S, B>(service: &mut S, request: Request<B>) -> S::Response
where
    S: Service<Request<B>>,
    S::Error: std::fmt::Debug,
{
    match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(())) => {}
        _ => unreachable!("benchmarked services are always ready"),
    }
    now(service.call(request)).unwrap()
}

/// A request as hyper hands it over: a few typical headers whose values
/// share one read buffer.
fn request(accept: &str) -> Request<()> {
    let raw = format!("{accept}req-7f3a9cgzip, deflate, brexample.com");
    let buffer = Bytes::from(raw.into_bytes());
    let a = accept.len();
    let value = |range: std::ops::Range<usize>| {
        HeaderValue::from_maybe_shared(buffer.slice(range)).unwrap()
    };
    let mut request = Request::new(());
    let headers = request.headers_mut();
    headers.insert(header::HOST, value(a + 24..buffer.len()));
    headers.insert(header::ACCEPT, value(0..a));
    headers.insert(header::ACCEPT_ENCODING, value(a + 9..a + 24));
    headers.insert("x-request-id", value(a..a + 9));
    request
}

fn ok() -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::from_static(b"ok")))
}

fn success(c: &mut Criterion) {
    let inner = service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(ok()) });
    let mut group = c.benchmark_group("success");
    let mut bare = inner;
    group.bench_function("bare service", |b| {
        b.iter_batched(
            || request(BROWSER),
            |r| call(&mut bare, r),
            BatchSize::SmallInput,
        )
    });
    // A layer that does nothing: what one more layer costs in this harness
    // before it does any work.
    let mut identity = tower::util::MapResponse::new(inner, |r| r);
    group.bench_function("do-nothing layer (MapResponse identity)", |b| {
        b.iter_batched(
            || request(BROWSER),
            |r| call(&mut identity, r),
            BatchSize::SmallInput,
        )
    });
    let mut layered = GatewayErrorLayer::new().layer(inner);
    group.bench_function("GatewayErrorLayer", |b| {
        b.iter_batched(
            || request(BROWSER),
            |r| call(&mut layered, r),
            BatchSize::SmallInput,
        )
    });
    let mut handled = HandleErrorLayer::new(|_: BoxError| async { StatusCode::BAD_GATEWAY }).layer(
        tower::util::MapErr::new(inner, |e: Infallible| -> BoxError { match e {} }),
    );
    group.bench_function("axum HandleErrorLayer", |b| {
        b.iter_batched(
            || request(BROWSER),
            |r| call(&mut handled, r),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn refused() -> impl Service<
    Request<()>,
    Response = Response<Full<Bytes>>,
    Error = io::Error,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, io::Error>>,
> + Clone {
    service_fn(|_req: Request<()>| async {
        Err::<Response<Full<Bytes>>, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
    })
}

/// The hand-written alternative: map any error to a 502 with a body in the
/// requested format, as people write it in a `HandleErrorLayer` closure.
async fn hand_written(format: BodyFormat, _: BoxError) -> axum::response::Response {
    let (content_type, body) = match format {
        BodyFormat::Json => (
            "application/problem+json",
            format!(
                r#"{{"type":"about:blank","title":"Bad Gateway","status":{},"detail":"The upstream server refused the connection."}}"#,
                502
            ),
        ),
        BodyFormat::Html => (
            "text/html; charset=utf-8",
            format!(
                "<!DOCTYPE html><html><head><title>{0} Bad Gateway</title></head><body><h1>{0} Bad Gateway</h1><p>The upstream server refused the connection.</p></body></html>",
                502
            ),
        ),
        _ => ("text/plain; charset=utf-8", format!("{} Bad Gateway\n", 502)),
    };
    (
        StatusCode::BAD_GATEWAY,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn failure(c: &mut Criterion) {
    // The floor: a prebuilt 502, cloned.
    let floor_headers = {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("16"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers
    };
    let floor_body = Bytes::from_static(b"502 Bad Gateway\n");

    for (name, format, accept) in [
        ("json", BodyFormat::Json, "application/json"),
        ("html", BodyFormat::Html, BROWSER),
        ("text", BodyFormat::Text, "*/*"),
    ] {
        let mut group = c.benchmark_group(format!("failure/{name}"));
        let mut layered = GatewayErrorLayer::new().layer(refused());
        group.bench_function("GatewayErrorLayer", |b| {
            b.iter_batched(
                || request(accept),
                |r| call(&mut layered, r),
                BatchSize::SmallInput,
            )
        });
        let mut handled = HandleErrorLayer::new(move |e: BoxError| hand_written(format, e))
            .layer(tower::util::MapErr::new(refused(), BoxError::from));
        group.bench_function("axum HandleErrorLayer", |b| {
            b.iter_batched(
                || request(accept),
                |r| call(&mut handled, r),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("floor: clone a prebuilt 502", |b| {
            b.iter_batched(
                || request(accept),
                |r| {
                    drop(r);
                    let mut response = Response::new(Full::new(floor_body.clone()));
                    *response.status_mut() = StatusCode::BAD_GATEWAY;
                    *response.headers_mut() = floor_headers.clone();
                    response
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

fn negotiation(c: &mut Criterion) {
    let mut group = c.benchmark_group("negotiate");
    let browser = HeaderValue::from_static(BROWSER);
    let long: String = (0..40)
        .map(|i| format!("application/x-type-{i};q=0.{}", i % 9 + 1))
        .chain(["text/html;q=0.2".to_owned(), "*/*;q=0.1".to_owned()])
        .collect::<Vec<_>>()
        .join(", ");
    let long = HeaderValue::from_str(&long).unwrap();
    group.bench_function("browser Accept", |b| {
        b.iter(|| negotiate(Some(black_box(&browser)), BodyFormat::Text))
    });
    group.bench_function("long Accept (42 ranges)", |b| {
        b.iter(|| negotiate(Some(black_box(&long)), BodyFormat::Text))
    });
    group.finish();
}

fn classification(c: &mut Criterion) {
    // A real chain: hyper-util's error for a refused connect, with
    // ConnectError and io::Error under it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let deep = runtime.block_on(async {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let addr = socket.local_addr().unwrap().as_socket().unwrap();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Empty<Bytes>>();
        let request = Request::get(format!("http://{addr}/"))
            .body(http_body_util::Empty::new())
            .unwrap();
        client.request(request).await.unwrap_err()
    });
    let shallow = io::Error::from(io::ErrorKind::ConnectionReset);
    let mut group = c.benchmark_group("classify");
    group.bench_function("deep (hyper-util → ConnectError → io::Error)", |b| {
        b.iter(|| UpstreamErrorKind::of(black_box(&deep)))
    });
    group.bench_function("shallow (io::Error)", |b| {
        b.iter(|| UpstreamErrorKind::of(black_box(&shallow)))
    });
    group.finish();
}

criterion_group!(benches, success, failure, negotiation, classification);
criterion_main!(benches);
