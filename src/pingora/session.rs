//! [`fail_to_proxy`]: the body of `ProxyHttp::fail_to_proxy`, writing the
//! layer's answer on a pingora-proxy session.

use bytes::Bytes;
use pingora_error::Error;
use pingora_http::ResponseHeader;
use pingora_proxy::{FailToProxy, Session};

use super::{failure, Failure};
use crate::{GatewayErrorLayer, UpstreamError, UpstreamErrorKind};

/// Answers pingora's fatal `error` on `session`, as the layer would, and
/// returns what `ProxyHttp::fail_to_proxy` returns:
///
/// - the upstream's failure gets the layer's answer (its page, status,
///   `Proxy-Status`, `Retry-After`), reported to its hook, log and
///   metrics; if the response had started (a body that broke mid-way),
///   nothing is added to it: the failure is reported as
///   `http_response_incomplete`, and pingora closes the connection;
/// - a status the proxy raised itself keeps its code, and a failure of the
///   client's side is answered as pingora answers it (see
///   [`failure`](super::failure)); neither is reported;
/// - the connection is never reused, and the answer says so
///   (`Connection: close` on HTTP/1.1), as pingora's own error answers do.
///
/// ```ignore
/// #[async_trait]
/// impl ProxyHttp for Gateway {
///     // ...
///     async fn fail_to_proxy(&self, session: &mut Session, e: &Error, _: &mut ()) -> FailToProxy {
///         tower_gateway_error::pingora::fail_to_proxy(&self.layer, session, e).await
///     }
/// }
/// ```
///
/// `examples/pingora_proxy.rs` is a whole proxy.
pub async fn fail_to_proxy(
    layer: &GatewayErrorLayer,
    session: &mut Session,
    error: &Error,
) -> FailToProxy {
    let code = match failure(layer, error) {
        Failure::Status(status) | Failure::Downstream(Some(status)) => {
            // As pingora's own `fail_to_proxy`: its error page, no reuse.
            let _ = session.respond_error(status.as_u16()).await;
            status.as_u16()
        }
        Failure::Downstream(None) => 0,
        Failure::Upstream(error) => answer(layer, session, error).await,
    };
    FailToProxy {
        error_code: code,
        can_reuse_downstream: false,
    }
}

async fn answer(layer: &GatewayErrorLayer, session: &mut Session, error: UpstreamError) -> u16 {
    let lifecycle = layer.lifecycle();
    let request = layer.capture_parts(session.req_header());
    // A forwarded 1xx (100 Continue, 103 Early Hints) is no answer yet;
    // 101 is, as pingora's own error writer treats it.
    let started = session
        .response_written()
        .filter(|head| !head.status.is_informational() || head.status == 101);
    if let Some(started) = started {
        // The head went, and maybe part of the body: the client sees the
        // transfer break off, as it would behind the layer.
        let status = started.status;
        let broken = UpstreamError::new(UpstreamErrorKind::HttpResponseIncomplete, error);
        lifecycle.report(&broken, status, &request);
        return status.as_u16();
    }
    let response = lifecycle.answer(error, &request, None);
    let status = response.status();
    let (head, body) = response.into_parts();
    let Ok(mut header) = ResponseHeader::build(status, Some(head.headers.len())) else {
        let _ = session.respond_error(status.as_u16()).await;
        return status.as_u16();
    };
    for (name, value) in &head.headers {
        // Names and values the layer made are valid: nothing fails here.
        let _ = header.append_header(name.clone(), value.clone());
    }
    let body: Bytes = body.into_bytes();
    // pingora's error writer turns keep-alive off (HTTP/1.1 says
    // `Connection: close`) and writes nothing if a response went already.
    let _ = session.write_error_response(header, body).await;
    status.as_u16()
}
