//! The reverse proxy's axum app, apart from `main` so tests can serve it.

use axum::body::Body;
use axum::Router;
use hyper_util::client::legacy::connect::Connect;
use tower_gateway_error::{ConfigError, GatewayErrorLayerBuilder};

use crate::proxy::{self, Args};

/// Every path goes to the upstream through the layer.
pub fn router<C>(
    args: &Args,
    connector: C,
    customize: impl FnOnce(GatewayErrorLayerBuilder) -> GatewayErrorLayerBuilder,
) -> Result<Router, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let service = proxy::service::<C, Body>(args, connector, customize)?;
    Ok(Router::new().fallback_service(service))
}
