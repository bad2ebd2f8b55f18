//! The mark a handler's [`UpstreamError`] response carries, so a layer
//! around the handler answers the error itself. Apart from `mod.rs`, which
//! builds on the layer, so the lifecycle can read it.

use crate::UpstreamError;

/// Marks a response made by `UpstreamError::into_response`, so that a
/// [`GatewayErrorLayer`](crate::GatewayErrorLayer) around the handler
/// answers the error with its own settings instead of passing the default
/// response on.
#[derive(Clone)]
pub(crate) struct Unrendered(pub(crate) UpstreamError);

/// The error a handler returned, when the response with `head` is its
/// default rendering and not yet the layer's.
pub(crate) fn unrendered(head: &http::response::Parts) -> Option<UpstreamError> {
    head.extensions
        .get::<Unrendered>()
        .map(|Unrendered(error)| error.clone())
}
