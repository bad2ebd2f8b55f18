//! A whole error response from arbitrary request headers (method, Accept,
//! content-type, request id, HTTP version), error kind, error text and
//! settings: never panics, and every response keeps the rules in
//! tests/support/responses.rs.
#![no_main]

#[path = "../../tests/support/responses.rs"]
mod responses;

use arbitrary::Arbitrary;
use http::Method;
use libfuzzer_sys::fuzz_target;
use tower_gateway_error::render::BodyFormat;

#[derive(Debug, Arbitrary)]
struct Input {
    method: u8,
    http2: bool,
    accept: Option<Vec<u8>>,
    content_type: Option<Vec<u8>>,
    request_id: Option<Vec<u8>>,
    kind: usize,
    error_text: String,
    format: Option<u8>,
    default_format: Option<u8>,
    show_details: bool,
    proxy_name: Option<String>,
    status_for: Option<(usize, u16)>,
    retry_after: Option<u32>,
    grpc: Option<bool>,
    html_template: Option<String>,
    json_template: Option<String>,
}

fn format(n: u8) -> BodyFormat {
    match n % 3 {
        0 => BodyFormat::Html,
        1 => BodyFormat::Json,
        _ => BodyFormat::Text,
    }
}

fuzz_target!(|input: Input| {
    let method = match input.method % 4 {
        0 => Method::GET,
        1 => Method::HEAD,
        2 => Method::POST,
        _ => Method::DELETE,
    };
    let case = responses::Case {
        method: Some(method),
        http2: input.http2,
        accept: input.accept,
        content_type: input.content_type,
        request_id: input.request_id,
        kind: input.kind,
        error_text: input.error_text,
        format: input.format.map(format),
        default_format: input.default_format.map(format),
        show_details: input.show_details,
        proxy_name: input.proxy_name,
        status_for: input.status_for,
        retry_after: input.retry_after,
        grpc: input.grpc,
        html_template: input.html_template,
        json_template: input.json_template,
    };
    match case.respond() {
        Some(Ok((head, body))) => responses::check(&case, &head, &body),
        Some(Err(_)) | None => {}
    }
});
