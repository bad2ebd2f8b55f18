//! Counts what one request costs in instructions, which, unlike time, is
//! the same on every run and under any load. Run under callgrind once per
//! mode; the difference between two modes divided by the number of calls
//! is the cost per request:
//!
//! ```text
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind target/release/deps/instructions-* bare 100000
//! valgrind --tool=callgrind target/release/deps/instructions-* layered 100000
//! ```
//! `benches/run-instructions.sh` does this and prints the figures.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response};
use http_body_util::Full;
use tower::{service_fn, Layer, Service};
use tower_gateway_error::eject::Ejection;
use tower_gateway_error::GatewayErrorLayer;

fn call<S: Service<Request<()>>>(service: &mut S, request: Request<()>) -> S::Response
where
    S::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    match pin!(service.call(request)).poll(&mut cx) {
        Poll::Ready(output) => output.unwrap(),
        Poll::Pending => unreachable!("answers at once"),
    }
}

/// Requests as hyper hands them over: header values share one buffer; with
/// an `x-request-id` when `with_id`.
fn requests(n: usize, accept: &'static str, with_id: bool) -> Vec<Request<()>> {
    let buffer = Bytes::from(format!("{accept}req-7f3a9cexample.com").into_bytes());
    let a = accept.len();
    (0..n)
        .map(|_| {
            let mut request = Request::new(());
            let headers = request.headers_mut();
            let value = |r: std::ops::Range<usize>| {
                HeaderValue::from_maybe_shared(buffer.slice(r)).unwrap()
            };
            headers.insert(header::HOST, value(a + 9..buffer.len()));
            headers.insert(header::ACCEPT, value(0..a));
            if with_id {
                headers.insert("x-request-id", value(a..a + 9));
            }
            request
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mode = args.next().unwrap_or_else(|| "layered".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);

    let ok = service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    let refused = service_fn(|_req: Request<()>| async {
        Err::<Response<Full<Bytes>>, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
    });
    let accept = match mode.as_str() {
        "fail-json" => "application/json",
        "fail-text" => "*/*",
        _ => "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    };
    // Built before the requests in every mode, so every mode starts from
    // the same heap and the allocator's housekeeping does not differ
    // between them.
    let layer = black_box(GatewayErrorLayer::new());
    let ejecting = black_box(
        GatewayErrorLayer::builder()
            .eject(Ejection::after(1, std::time::Duration::from_secs(60)))
            .build()
            .expect("valid settings"),
    );
    let without_extension = black_box(
        GatewayErrorLayer::builder()
            .error_extension(false)
            .build()
            .expect("valid settings"),
    );
    let with_id = !mode.ends_with("no-id");
    let requests = requests(n, accept, with_id);
    match mode.as_str() {
        // What every mode does besides calling: the requests built and
        // dropped (without an id for the `*-no-id` modes).
        "setup" | "setup-no-id" => drop(black_box(requests)),
        "bare" => {
            let mut service = ok;
            for request in requests {
                drop(black_box(call(&mut service, request)));
            }
        }
        "identity" => {
            // A layer that does nothing: the cost of one more layer.
            let mut service = tower::util::MapResponse::new(ok, |r| r);
            for request in requests {
                drop(black_box(call(&mut service, request)));
            }
        }
        "layered" => {
            let mut service = layer.layer(ok);
            for request in requests {
                drop(black_box(call(&mut service, request)));
            }
        }
        "floor" => {
            // What criterion's failure groups call the floor: a prebuilt 502,
            // cloned.
            let mut headers = http::HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("16"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let body = Bytes::from_static(b"502 Bad Gateway\n");
            for request in requests {
                drop(black_box(request));
                let mut response = Response::new(Full::new(body.clone()));
                *response.status_mut() = http::StatusCode::BAD_GATEWAY;
                *response.headers_mut() = headers.clone();
                drop(black_box(response));
            }
        }
        "ejected" | "ejected-no-id" => {
            // The dead-upstream fast path: the first refusal ejects the
            // upstream, and every later request is answered at once
            // (browser Accept: the HTML page).
            let mut service = ejecting.layer(refused);
            for request in requests {
                drop(black_box(call(&mut service, request)));
            }
        }
        "fail-json" | "fail-html" | "fail-text" | "fail-html-no-id" => {
            let mut service = layer.layer(refused);
            for request in requests {
                drop(black_box(call(&mut service, request)));
            }
        }
        "lean-html-no-id" => {
            // The same without the error in the response's extensions.
            let mut service = without_extension.layer(refused);
            for request in requests {
                drop(black_box(call(&mut service, request)));
            }
        }
        other => {
            panic!("unknown mode {other}: setup, bare, identity, layered, floor, fail-json, fail-html, fail-text, fail-html-no-id, lean-html-no-id, ejected, ejected-no-id")
        }
    }
}
