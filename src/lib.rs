//! A tower [`Layer`](tower_layer::Layer) for services that call an upstream
//! (a hyper-util `Client`, a reqwest-backed service, a load balancer, a proxy
//! handler). It turns every way that call can fail into a typed
//! [`UpstreamError`] and answers it with the right response:
//!
//! - **502 Bad Gateway**, **504 Gateway Timeout**, or **503** for overload,
//!   chosen by the failure's [`UpstreamErrorKind`] as RFC 9209 recommends;
//! - a body in HTML, RFC 9457 `application/problem+json` or plain text,
//!   negotiated by `Accept` (or fixed), from built-in pages or your
//!   templates; the pages tell a visitor what happened, what to do and
//!   which hop failed, in their language (by `Accept-Language`; see
//!   [`render`]);
//! - `Proxy-Status: <name>; error=<type>` (RFC 9209), `Cache-Control:
//!   no-store`, `Vary`, `Content-Language`, an optional `Retry-After`, and
//!   no body for `HEAD`.
//!
//! Valid responses from the upstream, a 500 or a 503 with `Retry-After`
//! included, pass through untouched: only a failure to get a valid response
//! becomes an error response. No error text, address or port reaches the
//! client unless you turn on [`show_details`](GatewayErrorLayerBuilder::show_details);
//! the full chain goes to a `tracing` event instead.
//!
//! # Example
//!
//! ```
//! use std::io;
//! use http::{header, Request, Response, StatusCode};
//! use http_body_util::BodyExt;
//! use tower::{service_fn, ServiceBuilder, ServiceExt};
//! use tower_gateway_error::{GatewayErrorLayer, UpstreamError, UpstreamErrorKind};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Stands in for a hyper-util Client whose upstream is down.
//! let upstream = service_fn(|_req: Request<String>| async {
//!     Err::<Response<String>, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
//! });
//! let gateway = ServiceBuilder::new()
//!     .layer(GatewayErrorLayer::new())
//!     .service(upstream);
//!
//! let request = Request::builder()
//!     .header(header::ACCEPT, "application/json")
//!     .body(String::new())
//!     .unwrap();
//! let response = gateway.oneshot(request).await.unwrap();
//!
//! assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
//! assert_eq!(response.headers()["content-type"], "application/problem+json");
//! let error = response.extensions().get::<UpstreamError>().unwrap();
//! assert_eq!(error.kind(), UpstreamErrorKind::ConnectionRefused);
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! assert!(body.starts_with(br#"{"type":"about:blank","title":"Bad Gateway","status":502"#));
//! # }
//! ```
//!
//! # Where things are
//!
//! The root holds the layer, its builder and what it makes, the error and
//! its kind ([`UpstreamErrorKind::of`] classifies an error by the default
//! rules), [`Classifier`], [`CapturedRequest`] (what the layer keeps of a
//! request, which hooks, renderers and hand-written proxies see) and
//! [`ConfigError`]. The rest is grouped by concern:
//!
//! - [`classify`](mod@classify): rules of your own
//!   ([`ClassifyRule`](classify::ClassifyRule)), and
//!   [`ConnectError`](classify::ConnectError) and
//!   [`connect_timeout`](classify::connect_timeout) for hand-rolled
//!   clients, whose connect failures the classifier cannot otherwise see;
//! - [`error`]: the walk through an error's causes
//!   ([`error_chain`](error::error_chain));
//! - [`render`]: body formats, `Accept` negotiation, the template language
//!   the built-in pages and yours are written in, their languages and
//!   [`Translation`](render::Translation), bodies of your own;
//! - [`hook`]: a callback for every failure, and the fields of the log
//!   event and the metrics counter;
//! - [`retry`]: `Retry-After` values, and a `tower::retry::Policy` that
//!   retries only what is safe;
//! - [`eject`]: the dead-upstream fast path, which answers at once while
//!   an upstream is known to be down;
//! - [`dns`]: DNS failures by type;
//! - [`recognize`]: answers a proxy made up for its own failure (with the
//!   `axum-reverse-proxy` feature, that crate's), recognised as failures;
//! - `forward` (with a reqwest feature): a `reqwest::Client`, or
//!   reqwest-middleware's, as the `Service` that goes under the layer;
//! - `pingora` (with the `pingora` feature): pingora's failure hook.
//!
//! # Classification
//!
//! [`UpstreamErrorKind::of`] walks the error's whole cause chain and recognises
//! `io::ErrorKind`s, hyper and hyper-util predicates, h2 reasons, rustls
//! errors and tower's timeout, load-shed and buffer errors; with their
//! features, reqwest's, tonic's and pingora's errors too. It is a plain
//! function, usable without the layer. A [`Classifier`] adds rules of your
//! own, and is shared by the layer and a
//! [`RetryPolicy`](retry).
//!
//! A client whose connecting is your own code (hyper's `client::conn`, a
//! custom connector) marks its connect failures with
//! [`ConnectError`](classify::ConnectError) (or connects through
//! [`connect_timeout`](classify::connect_timeout)) and its resolver
//! failures with [`DnsError`](dns::DnsError), so a slow connect is
//! `connection_timeout` and retry-safe rather than a response timeout.
//!
//! # Clients
//!
//! Every client gets the same answer for the same fault; the README has the
//! table, client by fault, that `tests/clients.rs` checks over real sockets.
//!
//! - **hyper-util's legacy `Client`** (feature `hyper`): its connect phase,
//!   hyper's parse and close predicates, `set_connect_timeout`. Put tower's
//!   `Timeout` around it, under the layer, for a 504 when no response
//!   comes.
//! - **reqwest** 0.12 and 0.13 (features `reqwest-0-12`, `reqwest-0-13`):
//!   `connect_timeout` is `connection_timeout`; the total `timeout` and
//!   `read_timeout`, when they fire before the response head, are
//!   `http_response_timeout` (reqwest reports both with the same private
//!   type, so they cannot be told apart). reqwest's `timeout` also covers
//!   reading the body: when it fires after the head was passed on, the
//!   status cannot change any more, and the client sees a broken transfer
//!   (`http_response_incomplete`), not a 504. Pick a `timeout` longer than
//!   your slowest body, or use `read_timeout`, or tower's `Timeout` under
//!   the layer, which covers the head only. `forward::reqwest_0_13::Forward`
//!   puts a `reqwest::Client` under the layer.
//! - **tonic**'s `Channel` (feature `tonic`): `Endpoint::timeout` is
//!   `http_response_timeout` (DEADLINE_EXCEEDED for gRPC callers); its
//!   connect errors, `Endpoint::connect_timeout` included, are connect-phase.
//! - **reqwest-middleware** 0.4 and 0.5 (features `reqwest-middleware-0-4`,
//!   `reqwest-middleware-0-5`): its `Error`, and reqwest-retry's after the
//!   last try, classified as the reqwest error inside.
//! - **pingora** 0.9 (feature `pingora`): its `ErrorType`s map to kinds;
//!   `pingora::failure` tells the upstream's failures from the rest, and
//!   with `pingora-proxy`, `pingora::fail_to_proxy` answers from pingora's
//!   failure hook.
//! - **axum-reverse-proxy** 2.x (feature `axum-reverse-proxy`): its own
//!   502/504 answers are recognised as the failures they stand for.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `hyper` | yes | rules for `hyper::Error` and hyper-util's legacy `Client` error |
//! | `h2` | yes | rules for `h2::Error` (REFUSED_STREAM, GOAWAY, protocol errors) |
//! | `rustls` | yes | rules for `rustls::Error` (certificate, alert, other TLS) |
//! | `retry` | yes | `RetryPolicy`, a `tower::retry::Policy` that retries only what is safe to retry |
//! | `axum` | no | `UpstreamError` as axum's `IntoResponse`, for handlers that call upstreams themselves |
//! | `tracing` | yes | a `tracing` event for every failure, named as OpenTelemetry names things, with the request id and the full error chain |
//! | `metrics` | no | a `metrics` counter of failures by `error.type` and status |
//! | `reqwest-0-12` | no | rules for `reqwest::Error` of reqwest 0.12; `RetryPolicy` and `From` for it |
//! | `reqwest-0-13` | no | the same for reqwest 0.13 |
//! | `tonic` | no | rules for tonic's `TimeoutExpired` and `ConnectError` (a `Channel`'s failures) |
//! | `pingora` | no | rules for pingora 0.9's `Error`, by `ErrorType` and `ErrorSource`; `pingora::failure` |
//! | `pingora-proxy` | no | `pingora::fail_to_proxy`, the answer written on a pingora-proxy 0.9 session (pingora-proxy needs `cmake`) |
//! | `reqwest-middleware-0-4` | no | reqwest-middleware 0.4's `Error` classified as reqwest 0.12's |
//! | `reqwest-middleware-0-5` | no | the same for reqwest-middleware 0.5 and reqwest 0.13 |
//! | `axum-reverse-proxy` | no | axum-reverse-proxy 2.x's own 502/504 answers recognised as failures |
//!
//! With a feature off, or when the error comes from another major version
//! of that library, the walk still reaches the `io::Error`s underneath
//! through `source()` and classifies by their kind. pingora's `Error` does
//! not return its cause there, so without its feature every pingora failure
//! is `proxy_internal_error`; reqwest-middleware's skips reqwest's own
//! error, so without its feature the kinds underneath still decide but
//! reqwest's timeouts are lost.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

#[cfg(feature = "axum")]
mod axum;
mod body;
mod builder;
pub mod classify;
mod config_error;
pub mod dns;
pub mod eject;
pub mod error;
#[cfg(any(feature = "reqwest-0-12", feature = "reqwest-0-13"))]
pub mod forward;
mod future;
pub mod hook;
mod layer;
mod lifecycle;
#[cfg(feature = "pingora")]
pub mod pingora;
pub mod recognize;
pub mod render;
mod report;
mod request;
mod respond;
pub mod retry;
mod service;
mod time;

pub use crate::body::ResponseBody;
pub use crate::builder::GatewayErrorLayerBuilder;
pub use crate::classify::Classifier;
pub use crate::config_error::ConfigError;
pub use crate::error::{UpstreamError, UpstreamErrorKind};
pub use crate::future::ResponseFuture;
pub use crate::layer::GatewayErrorLayer;
pub use crate::request::CapturedRequest;
pub use crate::service::GatewayErrorService;

/// The boxed error type the inner service's errors are converted into.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
