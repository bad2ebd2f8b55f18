//! One error response from arbitrary request headers, error kind and
//! settings, and the checks every such response must pass. Shared by the
//! property tests (tests/properties.rs) and the fuzz targets (fuzz/), so
//! both hold the crate to the same rules.
#![allow(dead_code, unreachable_pub)]

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};
use http_body::Body;
use tower::{Layer, Service};
use tower_gateway_error::render::BodyFormat;
use tower_gateway_error::{
    ConfigError, GatewayErrorLayer, ResponseBody, UpstreamError, UpstreamErrorKind,
};

/// Everything that shapes one error response.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub method: Option<Method>,
    pub http2: bool,
    pub accept: Option<Vec<u8>>,
    pub content_type: Option<Vec<u8>>,
    pub request_id: Option<Vec<u8>>,
    /// Index into `UpstreamErrorKind::ALL`, taken modulo its length.
    pub kind: usize,
    /// The text of the upstream error; shown only with `show_details`.
    pub error_text: String,
    /// `None` negotiates; `Some` fixes the format.
    pub format: Option<BodyFormat>,
    pub default_format: Option<BodyFormat>,
    pub show_details: bool,
    pub proxy_name: Option<String>,
    pub html_template: Option<String>,
    pub json_template: Option<String>,
    /// A status for one kind (index as for `kind`); may be rejected.
    pub status_for: Option<(usize, u16)>,
    pub retry_after: Option<u32>,
    /// `Some(false)` turns gRPC answers off.
    pub grpc: Option<bool>,
}

/// An upstream error whose text is chosen by the case.
#[derive(Debug)]
struct TextError(String);

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TextError {}

impl Case {
    pub fn kind(&self) -> UpstreamErrorKind {
        let all = UpstreamErrorKind::ALL;
        all[self.kind % all.len()]
    }

    pub fn layer(&self) -> Result<GatewayErrorLayer, ConfigError> {
        let mut builder = GatewayErrorLayer::builder().show_details(self.show_details);
        if let Some(format) = self.format {
            builder = builder.fixed_format(format);
        }
        if let Some(format) = self.default_format {
            builder = builder.default_format(format);
        }
        if let Some(name) = &self.proxy_name {
            builder = builder.proxy_name(name.clone());
        }
        if let Some(template) = &self.html_template {
            builder = builder.html_template(template.clone());
        }
        if let Some(template) = &self.json_template {
            builder = builder.json_template(template.clone());
        }
        if let Some((kind, status)) = self.status_for {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let kinds = UpstreamErrorKind::ALL;
            builder = builder.status_for(kinds[kind % kinds.len()], status);
        }
        if let Some(seconds) = self.retry_after {
            builder = builder.retry_after(tower_gateway_error::retry::RetryAfter::seconds(seconds));
        }
        if let Some(grpc) = self.grpc {
            builder = builder.grpc(grpc);
        }
        builder.build()
    }

    /// The request, or `None` when a header value cannot be one (the case
    /// is then skipped, as no server would pass it on).
    pub fn request(&self) -> Option<Request<()>> {
        let mut request = Request::new(());
        *request.method_mut() = self.method.clone().unwrap_or(Method::GET);
        if self.http2 {
            *request.version_mut() = Version::HTTP_2;
        }
        let headers = request.headers_mut();
        for (name, value) in [
            ("accept", &self.accept),
            ("content-type", &self.content_type),
            ("x-request-id", &self.request_id),
        ] {
            if let Some(value) = value {
                headers.insert(name, HeaderValue::from_bytes(value).ok()?);
            }
        }
        Some(request)
    }

    /// The layer's answer to this case's failure: head and body. `None`
    /// when the case is skipped; `Err` when the settings are rejected.
    pub fn respond(&self) -> Option<Result<(http::response::Parts, Bytes), ConfigError>> {
        let request = self.request()?;
        let layer = match self.layer() {
            Ok(layer) => layer,
            Err(error) => return Some(Err(error)),
        };
        let error = UpstreamError::new(self.kind(), TextError(self.error_text.clone()));
        let failing = tower::service_fn(move |_: Request<()>| {
            let error = error.clone();
            async move { Err::<Response<http_body_util::Empty<Bytes>>, _>(error) }
        });
        let mut service = layer.layer(failing);
        let response = ready(service.call(request)).expect("the layer never fails");
        let (parts, body) = response.into_parts();
        Some(Ok((parts, collect(body))))
    }
}

/// Polls a future that is ready at once: the layer over a service that
/// fails at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an error response is ready at once"),
    }
}

fn collect<B>(body: ResponseBody<B>) -> Bytes
where
    B: Body<Data = Bytes>,
    B::Error: Into<tower_gateway_error::BoxError>,
{
    let mut cx = Context::from_waker(Waker::noop());
    let mut body = pin!(body);
    let mut out = Vec::new();
    loop {
        match body.as_mut().poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                }
            }
            Poll::Ready(None) => return Bytes::from(out),
            Poll::Ready(Some(Err(_))) => panic!("a generated body does not fail"),
            Poll::Pending => panic!("a generated body is ready at once"),
        }
    }
}

/// The rules every error response keeps, whatever the input.
pub fn check(case: &Case, head: &http::response::Parts, body: &[u8]) {
    let headers = &head.headers;
    let content_type = headers["content-type"].to_str().unwrap();
    if content_type.starts_with("application/grpc") {
        // A gRPC answer echoes the call's own content type.
        assert_eq!(
            Some(content_type.as_bytes()),
            case.content_type.as_deref(),
            "a gRPC answer to a call of another content type"
        );
        assert_eq!(head.status, StatusCode::OK);
        assert!(body.is_empty());
        let code: u8 = headers["grpc-status"].to_str().unwrap().parse().unwrap();
        assert!((1..=16).contains(&code));
        return;
    }
    assert!(
        head.status.is_client_error() || head.status.is_server_error(),
        "{}",
        head.status
    );
    if let Some((kind, status)) = case.status_for {
        let kinds = UpstreamErrorKind::ALL;
        if kinds[kind % kinds.len()] == case.kind() {
            assert_eq!(head.status.as_u16(), status);
        }
    }
    if let Some(seconds) = case.retry_after {
        assert_eq!(headers["retry-after"], seconds.to_string().as_str());
    }
    let length: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
    if case.method.as_ref() == Some(&Method::HEAD) {
        // The same head as a GET would get, and no body.
        assert!(body.is_empty());
        let get = Case {
            method: Some(Method::GET),
            ..case.clone()
        };
        let (get_head, get_body) = get.respond().unwrap().unwrap();
        assert_eq!(length, get_body.len(), "HEAD's Content-Length");
        assert_eq!(head.status, get_head.status);
        let mut without_date = get_head.headers.clone();
        without_date.remove(http::header::DATE);
        assert_eq!(headers, &without_date);
        return;
    }
    assert_eq!(length, body.len(), "Content-Length");
    match content_type {
        "application/problem+json" => {
            let problem: serde_json::Value = serde_json::from_slice(body)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
            assert_eq!(problem["status"], head.status.as_u16());
            if shows_text(case) {
                let details = problem["details"].as_str().unwrap();
                assert!(details.contains(&case.error_text), "{details:?}");
            }
        }
        "application/json" => {
            let value = serde_json::from_slice::<serde_json::Value>(body)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
            // The property tests' JSON templates put the details here.
            if shows_text(case) && value.get("details").is_some() {
                assert_eq!(value["details"], chain(case).as_str());
            }
        }
        "text/html; charset=utf-8" => {
            let page = std::str::from_utf8(body).unwrap();
            if shows_text(case) {
                match &case.html_template {
                    None => {
                        // The details block holds the whole chain, escaped,
                        // and no character that could open or close markup.
                        let start = page.find("<pre>").expect("a details block") + "<pre>".len();
                        let end = page.rfind("</pre>").expect("a closed details block");
                        let details = &page[start..end];
                        assert_eq!(details, html_escaped(&chain(case)));
                        assert!(!details.contains(['<', '>', '"', '\'']), "{details}");
                    }
                    Some(template) if template.contains("{{error_chain}}") => {
                        assert!(page.contains(&html_escaped(&chain(case))), "{page}");
                    }
                    Some(_) => {}
                }
            }
        }
        "text/plain; charset=utf-8" => {
            let text = std::str::from_utf8(body).unwrap();
            assert!(!text.contains('\r'), "{text:?}");
        }
        other => panic!("unexpected content type {other}"),
    }
}

/// The error chain as details show it.
fn chain(case: &Case) -> String {
    format!(
        "upstream request failed ({}): {}",
        case.kind(),
        case.error_text
    )
}

/// Whether the body must show the error text: details are on, and the
/// text is not dropped as a repeat of the level above it (the chain's
/// `Display` skips a level whose text ends the previous one, as an
/// `io::Error` and its payload do).
fn shows_text(case: &Case) -> bool {
    let above = format!("upstream request failed ({})", case.kind());
    case.show_details && !case.error_text.is_empty() && !above.ends_with(&case.error_text)
}

/// HTML escaping as the crate documents it, kept apart from the crate's
/// own (`src/render/escape.rs`, which copies safe runs at once) so that a
/// change to either shows up against the other: the five specials as
/// entities, tab and newline kept, other control characters replaced.
pub fn html_escaped(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
