//! Clients as forwarding services: what a gateway puts under the layer
//! when its client does not speak `http::Request` itself.
//!
//! reqwest's `Client` is a tower `Service` of reqwest's own `Request`;
//! the layer, axum and hyper speak `http::Request`. `reqwest_0_13::Forward`
//! (and `reqwest_0_12::Forward`) is a `Service<http::Request<B>>` that
//! sends each request to one upstream, keeping its path and query, through
//! a `reqwest::Client` you built (its timeouts, TLS and pool are yours), or
//! through reqwest-middleware's `ClientWithMiddleware` with the
//! `reqwest-middleware-0-5` (or `-0-4`) feature. It removes hop-by-hop
//! headers (RFC 9110 §7.6.1) both ways, lets reqwest write `Host` and pick
//! the HTTP version, and streams bodies both ways (a request without a
//! body is sent with reqwest's empty one, which reqwest-retry can send
//! again; a streaming body it cannot). Its errors are reqwest's
//! (or reqwest-middleware's), which the features' rules classify.
//!
//! ```
//! # #[cfg(feature = "reqwest-0-13")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use reqwest_0_13 as reqwest;
//! # // The crate's tests build reqwest without a crypto provider.
//! # let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
//! use std::time::Duration;
//! use tower::Layer;
//! use tower_gateway_error::forward::reqwest_0_13::Forward;
//! use tower_gateway_error::GatewayErrorLayer;
//!
//! let client = reqwest::Client::builder()
//!     .connect_timeout(Duration::from_secs(5))
//!     .read_timeout(Duration::from_secs(30))
//!     .redirect(reqwest::redirect::Policy::none())
//!     .build()?;
//! let forward = Forward::new(client, "http://127.0.0.1:8080")?;
//! let gateway = GatewayErrorLayer::new().layer(forward);
//! // axum::Router::new().fallback_service(gateway), or serve it with hyper.
//! # let _ = gateway;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "reqwest-0-13"))]
//! # fn main() {}
//! ```

mod body;
mod request;
mod service;

#[cfg(feature = "reqwest-0-12")]
pub mod reqwest_0_12;
#[cfg(feature = "reqwest-0-13")]
pub mod reqwest_0_13;
