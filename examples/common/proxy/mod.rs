//! What the `reverse_proxy` and `hyper_proxy` examples share: their flags
//! (`args.rs`), the forwarding service (`forward.rs`), and the stack
//! `GatewayErrorLayer` wraps around it (`stack.rs`): one upstream, or
//! several balanced (tower's p2c) with ejection per endpoint, and with
//! `--retries` the crate's `RetryPolicy` above them, the request's body
//! read first (`read_body.rs`). The fault-matrix tests drive this same
//! code.

mod args;
mod forward;
#[cfg(feature = "retry")]
mod read_body;
mod stack;

// `Format` is named only by the fault matrix, among those including this.
#[allow(unused_imports)]
pub use args::{Args, Format};
pub use forward::Forward;
pub use stack::Upstreams;

use bytes::Bytes;
use hyper_util::client::legacy::connect::Connect;
use tower::Layer;
use tower_gateway_error::{BoxError, ConfigError, GatewayErrorLayerBuilder, GatewayErrorService};

use stack::{balanced, guarded};

/// The whole proxy service: the upstreams as the flags describe them,
/// reached through `connector`, wrapped by the layer. `customize` may
/// change the layer's settings further (the tests add a hook there).
pub fn service<C, B>(
    args: &Args,
    connector: C,
    customize: impl FnOnce(GatewayErrorLayerBuilder) -> GatewayErrorLayerBuilder,
) -> Result<GatewayErrorService<Upstreams<C, B>>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    let upstreams = match () {
        #[cfg(feature = "retry")]
        () if args.retries > 0 => Upstreams::Composed(guarded(retrying(args, connector)?, args)),
        () if args.balances() => {
            Upstreams::Composed(guarded(balanced(args, args.client(connector))?, args))
        }
        () => {
            let forward = Forward::new(
                args.client(connector),
                &args.upstream[0],
                args.upstream_http2,
            );
            Upstreams::Direct(guarded(forward, args))
        }
    };
    let layer = customize(args.layer_builder()).build()?;
    Ok(layer.layer(upstreams))
}

/// The upstreams, one or balanced, under tower's `Retry` with the crate's
/// `RetryPolicy`, under `ReadBody`, which makes request bodies replayable.
#[cfg(feature = "retry")]
fn retrying<C, B>(args: &Args, connector: C) -> Result<stack::Composed<B>, ConfigError>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    use http_body_util::Full;
    use tower::retry::Retry;
    use tower::util::BoxCloneSyncService;
    use tower_gateway_error::retry::RetryPolicy;

    let client = args.client::<C, Full<Bytes>>(connector);
    let retrying = Retry::new(
        RetryPolicy::builder().max_retries(args.retries).build()?,
        stack::one_or_balanced(args, client)?,
    );
    Ok(BoxCloneSyncService::new(read_body::ReadBody {
        inner: retrying,
        limit: args.max_request_body,
    }))
}
