//! What the layer costs per request: the success path against the bare
//! service, and each failure format. `cargo bench --bench layer`.

use std::convert::Infallible;
use std::io;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::{Request, Response};
use http_body_util::Full;
use tower::{service_fn, Layer, Service, ServiceExt};
use tower_gateway_error::{BodyFormat, GatewayErrorLayer};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn request(accept: &'static str) -> Request<()> {
    let mut request = Request::new(());
    request
        .headers_mut()
        .insert(http::header::ACCEPT, http::HeaderValue::from_static(accept));
    request
}

fn success(c: &mut Criterion) {
    let rt = runtime();
    let ok = || {
        service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        })
    };
    let mut group = c.benchmark_group("success");
    let mut bare = ok();
    group.bench_function("bare service", |b| {
        b.iter_batched(
            || request("*/*"),
            |req| rt.block_on(async { bare.ready().await.unwrap().call(req).await.unwrap() }),
            BatchSize::SmallInput,
        )
    });
    let mut layered = GatewayErrorLayer::new().layer(ok());
    group.bench_function("GatewayErrorLayer", |b| {
        b.iter_batched(
            || request("*/*"),
            |req| rt.block_on(async { layered.ready().await.unwrap().call(req).await.unwrap() }),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn failure(c: &mut Criterion) {
    let rt = runtime();
    let failing = || {
        service_fn(|_req: Request<()>| async {
            Err::<Response<Full<Bytes>>, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
        })
    };
    let mut group = c.benchmark_group("failure");
    for (name, accept) in [
        ("json", "application/json"),
        (
            "html",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("text", "*/*"),
    ] {
        let mut layered = GatewayErrorLayer::new().layer(failing());
        group.bench_function(name, |b| {
            b.iter_batched(
                || request(accept),
                |req| {
                    rt.block_on(async { layered.ready().await.unwrap().call(req).await.unwrap() })
                },
                BatchSize::SmallInput,
            )
        });
    }
    let mut fixed = GatewayErrorLayer::builder()
        .format(BodyFormat::Json)
        .build()
        .unwrap()
        .layer(failing());
    group.bench_function("json, fixed format", |b| {
        b.iter_batched(
            || request("*/*"),
            |req| rt.block_on(async { fixed.ready().await.unwrap().call(req).await.unwrap() }),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, success, failure);
criterion_main!(benches);
