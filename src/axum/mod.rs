//! With the `axum` feature: an [`UpstreamError`] returned from an axum
//! handler becomes a response, rendered by the layer when there is one.

pub(crate) mod marker;

use std::sync::OnceLock;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};

use self::marker::Unrendered;
use crate::render::BodyFormat;
use crate::request::CapturedRequest;
use crate::{GatewayErrorLayer, UpstreamError};

/// A handler can return `Result<_, UpstreamError>` and use `?` on an upstream
/// call. On its own the error becomes the response a default
/// [`GatewayErrorLayer`] would write: the kind's status (502, 504, ...), a
/// plain-text body, `Proxy-Status`, and no upstream detail. Under a
/// `GatewayErrorLayer`, the layer writes the response instead, with its own
/// format, `Retry-After`, headers, hook and log event, as if the error had
/// come from a service it wraps. Nothing is logged without the layer.
///
/// The kind is the one the error already has: `?` classifies with the
/// default rules (through `From`), and the layer does not apply its
/// [`classifier`](crate::GatewayErrorLayerBuilder::classifier) again.
/// Use [`GatewayErrorLayer::classify`] in the handler for those. Any
/// `io::Error` that `?` converts is taken for an upstream failure.
///
/// ```
/// use axum::{body::Body, response::Response, routing::get, Router};
/// use http::{Request, StatusCode};
/// use tower::ServiceExt;
/// use tower_gateway_error::{GatewayErrorLayer, UpstreamError};
///
/// async fn handler() -> Result<Response, UpstreamError> {
///     // Stands in for `client.request(..).await?` failing to connect.
///     Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))?
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Router::new()
///     .route("/", get(handler))
///     .layer(GatewayErrorLayer::builder().proxy_name("edge").build().unwrap());
/// let request = Request::get("/").header("accept", "application/json").body(Body::empty());
/// let response = app.oneshot(request.unwrap()).await.unwrap();
/// assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// assert_eq!(response.headers()["proxy-status"], "edge; error=connection_refused");
/// # }
/// ```
impl IntoResponse for UpstreamError {
    fn into_response(self) -> Response {
        static DEFAULTS: OnceLock<GatewayErrorLayer> = OnceLock::new();
        // Fixed to text: nothing here knows the request's `Accept`.
        let layer = DEFAULTS.get_or_init(|| {
            GatewayErrorLayer::builder()
                .fixed_format(BodyFormat::Text)
                .build()
                .expect("the default settings are valid")
        });
        // Not reported: nothing is logged without the layer.
        let response = layer
            .lifecycle()
            .answer_unreported(self.clone(), &CapturedRequest::unknown());
        let mut response = response.map(|body| Body::from(body.into_bytes()));
        response.extensions_mut().insert(Unrendered(self));
        response
    }
}
