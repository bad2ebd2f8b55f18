//! A gallery of the built-in error pages: `/<kind>` answers as a failure of
//! that kind would be answered (`/connection_refused`, `/http_response_timeout`,
//! …), so every page can be looked at in a browser, in every language.
//!
//! ```text
//! cargo run --example error_pages                 # listens on 127.0.0.1:3000
//! cargo run --example error_pages -- --listen 127.0.0.1:8000
//! ```
//!
//! Open `http://127.0.0.1:3000/` for the list. The page's language follows
//! the browser's `Accept-Language`; `?id=...` stands in for the request id
//! a real app's request-id middleware would set, to see it (escaped) on the
//! page. The failures are made, not real: `demo` shows real ones.
//! `tests/browser/check.sh` drives a real Chromium through this gallery.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use clap::Parser;
use http::{HeaderValue, Request, Response};
use tower::ServiceBuilder;
use tower_gateway_error::retry::RetryAfter;
use tower_gateway_error::{GatewayErrorLayer, UpstreamError, UpstreamErrorKind};

#[derive(Parser, Debug)]
#[command(about = "A gallery of the built-in error pages, one path per kind")]
struct Args {
    /// Where the gallery listens.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let layer = GatewayErrorLayer::builder()
        .support_url("https://status.example.com/?from=error-page")
        .retry_after_for(
            UpstreamErrorKind::ConnectionLimitReached,
            RetryAfter::from(Duration::from_secs(30)),
        )
        .build()
        .expect("valid settings");

    // The "upstream" fails with the kind its path names.
    let failing = tower::service_fn(|request: Request<Body>| async move {
        let name = request.uri().path().trim_start_matches('/');
        let kind = UpstreamErrorKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == name)
            .unwrap_or(UpstreamErrorKind::Unclassified);
        Err::<Response<Body>, _>(UpstreamError::from_kind(kind))
    });
    let pages = ServiceBuilder::new()
        .map_request(id_from_query)
        .layer(layer)
        .service(failing);

    let app = Router::new().route("/", get(index)).fallback_service(pages);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .unwrap_or_else(|error| {
            eprintln!("error: cannot listen on {}: {error}", args.listen);
            std::process::exit(1);
        });
    let addr = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("error page gallery on http://{addr}/");
    axum::serve(listener, app).await.expect("the server runs");
}

/// `?id=...` as the request's `x-request-id`, as a request-id middleware
/// would set it.
fn id_from_query(mut request: Request<Body>) -> Request<Body> {
    let id = request
        .uri()
        .query()
        .and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("id=")))
        .map(percent_decoded);
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        request.headers_mut().insert("x-request-id", value);
    }
    request
}

/// Undoes `%XX` escapes, which browsers apply to `<`, `>` and quotes.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn index() -> Html<String> {
    let links: String = UpstreamErrorKind::ALL
        .iter()
        .map(|kind| format!("<li><a href=\"/{0}\">{0}</a></li>\n", kind.as_str()))
        .collect();
    Html(format!(
        "<!DOCTYPE html>\n<title>Error pages</title>\n<h1>Error pages</h1>\n<ul>\n{links}</ul>\n"
    ))
}
