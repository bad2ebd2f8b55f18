//! The life of a request through the layer ([`Lifecycle`]): the one place
//! where the features meet, so each is wired in here and nowhere else.
//!
//! A request begins ([`Lifecycle::begin`]): the dead-upstream fast path
//! (`eject/`), when on, lets it call the upstream or refuses it at once,
//! and what answering a failure would need is kept (`request.rs`,
//! [`Lifecycle::keep`]). The call then ends one of two ways. The
//! upstream answers ([`Call::on_response`]): the fast path learns the
//! upstream was reached, and the answer goes on, its body watched, unless
//! its status is intercepted (`respond/`). Or the call
//! fails ([`Call::on_error`]): the error is classified once (`classify/`),
//! the fast path learns what it says of the upstream, the log, the metrics
//! and the hook are told (`report.rs`), and the answer is written
//! (`respond/`). A body that breaks after its head was sent
//! ([`BodyWatch::on_error`]) is reported, and a gRPC stream ends with
//! trailers.
//!
//! `service.rs`, `future.rs` and `body.rs` only drive this: they poll,
//! pin and pass frames, and name no feature.

use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName};
use http::{response, Request, Response, StatusCode};

use crate::eject::{Admission, Attempt, Ejected, Ejection, Ejector};
use crate::recognize::ResponseHead;
use crate::report::{self, Reporter};
use crate::request::{CapturePlan, CapturedRequest};
// The body of every answer the layer writes, which the adapters send.
pub(crate) use crate::respond::Chunks;
use crate::respond::{self, Responder};
use crate::{BoxError, Classifier, ConfigError, UpstreamError, UpstreamErrorKind};

/// Everything the builder collects, by the feature it is for; each
/// feature's `compile` checks its own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) answer: respond::Settings,
    pub(crate) report: report::Settings,
    /// The header bodies show as the request id (`x-request-id` unless
    /// set).
    pub(crate) request_id_header: Option<HeaderName>,
    pub(crate) classifier: Classifier,
    pub(crate) ejection: Option<Ejection>,
}

/// What a layer's services share: every feature, compiled once.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    capture: CapturePlan,
    classifier: Classifier,
    /// Whether a rule may recognise an answer as a proxy's own failure:
    /// without one, an answer costs no look at its extensions.
    recognizes: bool,
    responder: Responder,
    reporter: Reporter,
    /// The dead-upstream fast path, when turned on.
    ejector: Option<Ejector>,
}

/// How a request begins.
// Refused requests are rare and answered at once; boxing the refusal would
// make each of them allocate.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Begun {
    /// It may call the upstream.
    Admitted(Admitted),
    /// It is answered without calling the upstream.
    Refused(Refusal),
}

/// A request that may call the upstream, before it does.
pub(crate) struct Admitted {
    /// The call as the dead-upstream fast path tracks it, if it does.
    attempt: Option<Attempt>,
}

/// What answering a failure of a request needs, kept before it goes: a
/// plain [`CapturedRequest`], which the response future's call takes as
/// it is (a wrapper would be one more copy of it per request).
pub(crate) type Kept = CapturedRequest;

/// A call to the upstream under way, with what answering its failure
/// needs.
pub(crate) struct Call {
    lifecycle: Arc<Lifecycle>,
    request: CapturedRequest,
    /// The call as the dead-upstream fast path tracks it, if it does.
    attempt: Option<Attempt>,
}

/// A request answered without calling the upstream: refused while its
/// upstream is ejected, or after the inner service's `poll_ready` failed.
pub(crate) struct Refusal {
    lifecycle: Arc<Lifecycle>,
    request: CapturedRequest,
    error: UpstreamError,
    /// How long the upstream is not called for, when that is why.
    wait: Option<Duration>,
}

/// What becomes of the upstream's answer.
pub(crate) enum Passage {
    /// It goes on, its body watched.
    Through(BodyWatch),
    /// The layer answers instead.
    Answered(Response<Chunks>),
}

/// What reporting a failure in the upstream's body needs; moved out of the
/// response future, so passing a body through costs no copy.
pub(crate) struct BodyWatch {
    lifecycle: Arc<Lifecycle>,
    request: CapturedRequest,
    status: StatusCode,
    /// A gRPC call answered with a gRPC stream, which a failure ends with
    /// trailers.
    grpc_stream: bool,
}

/// How a body whose upstream failed ends.
pub(crate) enum BodyEnd {
    /// With these trailers: a gRPC status, as if the upstream had ended
    /// the stream.
    Trailers(HeaderMap),
    /// With this error: the client sees a broken transfer.
    Error(BoxError),
}

impl Lifecycle {
    /// Checks `settings` and compiles every feature.
    pub(crate) fn compile(settings: Settings) -> Result<Self, ConfigError> {
        let Settings {
            answer,
            report,
            request_id_header,
            classifier,
            ejection,
        } = settings;
        let ejector = ejection.map(Ejector::compile).transpose()?;
        let responder = Responder::compile(answer, ejector.as_ref().map(Ejector::refusals))?;
        // Keep only what this layer's answers and reports will read.
        let capture = CapturePlan {
            accept: responder.negotiates(),
            accept_language: responder.negotiates_language(),
            uri: report.hook.is_some() || responder.shows_requests(),
            uri_for_log: report.log_path(),
            grpc: responder.answers_grpc(),
            request_id: request_id_header.unwrap_or(CapturePlan::REQUEST_ID),
        };
        let reporter = Reporter::compile(
            report,
            |kind| responder.status(kind),
            responder.proxy_name(),
        );
        Ok(Self {
            capture,
            recognizes: classifier.recognizes(),
            classifier,
            responder,
            reporter,
            ejector,
        })
    }

    /// `request` begins: the fast path, when on, lets it call the upstream,
    /// or refuses it with its answer ready to be written. An admitted
    /// request then [`keep`](Self::keep)s what a failure would need, just
    /// before the inner service takes it.
    #[inline(always)]
    pub(crate) fn begin<B>(self: &Arc<Self>, request: &Request<B>) -> Begun {
        let attempt = match &self.ejector {
            None => None,
            Some(ejector) => match ejector.admit(request) {
                Admission::Pass(attempt) => attempt,
                Admission::Refuse { error, wait } => {
                    return Begun::Refused(Refusal {
                        lifecycle: self.clone(),
                        request: self.capture.capture(request),
                        error,
                        wait: Some(wait),
                    })
                }
            },
        };
        Begun::Admitted(Admitted { attempt })
    }

    /// What answering a failure of `request` needs, kept before the inner
    /// service takes it.
    #[inline(always)]
    pub(crate) fn keep<B>(&self, request: &Request<B>) -> Kept {
        self.capture.capture(request)
    }

    /// `request` is answered with `error` without calling the upstream: the
    /// inner service can no longer be called.
    pub(crate) fn refuse<B>(
        self: &Arc<Self>,
        request: &Request<B>,
        error: UpstreamError,
    ) -> Refusal {
        Refusal {
            lifecycle: self.clone(),
            request: self.capture.capture(request),
            error,
            wait: None,
        }
    }

    /// `error`, classified by this layer's classifier (returned as it is
    /// when it already is an [`UpstreamError`]).
    pub(crate) fn classify(&self, error: BoxError) -> UpstreamError {
        self.classifier.upstream_error(error)
    }

    pub(crate) fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Everything a failure of `request` could need, URI included, for code
    /// that calls the upstream itself.
    pub(crate) fn capture_all<B>(&self, request: &Request<B>) -> CapturedRequest {
        self.capture.capture_all(request)
    }

    /// The same from a request's head alone.
    pub(crate) fn capture_parts(&self, parts: &http::request::Parts) -> CapturedRequest {
        self.capture.capture_parts(parts)
    }

    /// The answer to `error`, after the log, the metrics and the hook were
    /// told; `wait` is the time left when the request was refused for a
    /// while.
    pub(crate) fn answer(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
        wait: Option<Duration>,
    ) -> Response<Chunks> {
        // A refusal that comes from elsewhere (an endpoint set's guard
        // below, code that answers again an error it took from a response)
        // still says the time left.
        let wait = wait.or_else(|| Ejected::wait_of(&error));
        let status = self.responder.status(error.kind());
        self.reporter
            .report(&error, status, request, wait.is_some());
        self.responder.answer(error, status, request, wait)
    }

    /// Tells the log, the metrics and the hook of `error`, answered with
    /// `status` elsewhere (a pingora response that had started).
    #[cfg(feature = "pingora-proxy")]
    pub(crate) fn report(
        &self,
        error: &UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
    ) {
        self.reporter.report(error, status, request, false);
    }

    /// The answer to `error`, without telling anyone: for an error a
    /// handler turned into a response on its own, which a layer around it
    /// may answer (and report) instead.
    #[cfg(feature = "axum")]
    pub(crate) fn answer_unreported(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
    ) -> Response<Chunks> {
        let status = self.responder.status(error.kind());
        self.responder.answer(error, status, request, None)
    }

    /// The failure `head` stands for, if a proxy made it up. Apart, so
    /// the path of an upstream's answer stays short.
    #[inline(never)]
    fn recognized(&self, head: &response::Parts) -> Option<UpstreamError> {
        self.classifier.recognized(ResponseHead::of_parts(head))
    }

    /// Tells the fast path how a call it tracks went: `error` is its
    /// failure, `None` when the upstream answered.
    #[inline]
    fn settle(&self, attempt: Attempt, error: Option<&UpstreamError>) {
        let ejector = self
            .ejector
            .as_ref()
            .expect("attempts are made by the layer's ejector");
        attempt.settle(error, ejector);
    }
}

impl Admitted {
    /// The request, `kept`, goes to the upstream of `lifecycle` now: its
    /// call, put together where the response future keeps it, so the kept
    /// request is moved once.
    #[inline(always)]
    pub(crate) fn call(self, lifecycle: &Arc<Lifecycle>, kept: Kept) -> Call {
        Call {
            lifecycle: lifecycle.clone(),
            request: kept,
            attempt: self.attempt,
        }
    }
}

impl Call {
    /// The upstream answered with `head`: the answer goes on with its body
    /// watched, or the layer answers instead (an intercepted status, or an
    /// error a handler returned as a response), taking what it keeps of
    /// `head`. (Borrowed, so the head is not moved on the way through.)
    // Always inlined into the response future: once the recognition
    // check made it a call, every upstream answer paid for it (see
    // BENCHMARKS.md, "Proxies that answer their own failures").
    #[inline(always)]
    pub(crate) fn on_response(self, head: &mut response::Parts) -> Passage {
        if let Some(error) = unrendered(head) {
            return Passage::Answered(self.failed(error));
        }
        // An answer a proxy made up for its own failure is that failure.
        if self.lifecycle.recognizes {
            if let Some(error) = self.lifecycle.recognized(head) {
                return Passage::Answered(self.failed(error));
            }
        }
        let Call {
            lifecycle,
            request,
            attempt,
        } = self;
        if let Some(attempt) = attempt {
            lifecycle.settle(attempt, None);
        }
        let responder = &lifecycle.responder;
        if let Some(intercepted) = responder.intercepted(head.status, &request) {
            return Passage::Answered(responder.replace_body(intercepted, head, &request));
        }
        let grpc_stream = responder.is_grpc_stream(head, &request);
        Passage::Through(BodyWatch {
            status: head.status,
            grpc_stream,
            lifecycle,
            request,
        })
    }

    /// The call failed with `error`: classified once, it tells the fast
    /// path what it says of the upstream, and is reported and answered.
    pub(crate) fn on_error(self, error: BoxError) -> Response<Chunks> {
        let error = self.lifecycle.classify(error);
        self.failed(error)
    }

    fn failed(self, error: UpstreamError) -> Response<Chunks> {
        if let Some(attempt) = self.attempt {
            self.lifecycle.settle(attempt, Some(&error));
        }
        self.lifecycle.answer(error, &self.request, None)
    }
}

impl Refusal {
    /// The answer, reported.
    pub(crate) fn answer(self) -> Response<Chunks> {
        self.lifecycle.answer(self.error, &self.request, self.wait)
    }
}

impl BodyWatch {
    /// The upstream's body failed with `error` after the head was sent:
    /// reported as `http_response_incomplete`, with the upstream's status,
    /// and passed on, or, for a gRPC stream, ended with its status.
    pub(crate) fn on_error(self, error: BoxError) -> BodyEnd {
        // An inner GatewayErrorLayer already reported it.
        if error.is::<UpstreamError>() {
            return BodyEnd::Error(error);
        }
        let lifecycle = &self.lifecycle;
        // What broke it decides a gRPC stream's code.
        let cause = self.grpc_stream.then(|| lifecycle.classifier.kind(&*error));
        let error = UpstreamError::new(UpstreamErrorKind::HttpResponseIncomplete, error);
        lifecycle
            .reporter
            .report(&error, self.status, &self.request, false);
        // A gRPC caller gets the call's status in trailers, instead of a
        // reset stream it would take for its own transport failure.
        if let Some(trailers) = cause.and_then(|cause| lifecycle.responder.grpc_trailers(cause)) {
            return BodyEnd::Trailers(trailers);
        }
        BodyEnd::Error(Box::new(error))
    }
}

// An error a handler returned as a response (`UpstreamError` as axum's
// `IntoResponse`), which the layer answers with its own settings.
#[cfg(feature = "axum")]
use crate::axum::marker::unrendered;

#[cfg(not(feature = "axum"))]
#[inline]
fn unrendered(_: &response::Parts) -> Option<UpstreamError> {
    None
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{Request, Response};
    use tower::{Layer, Service, ServiceExt};

    use crate::eject::Ejection;
    use crate::{GatewayErrorLayer, UpstreamError};

    type Answer = Response<crate::ResponseBody<String>>;

    /// A layer that ejects a refusing upstream for 20 s after one failure,
    /// its service, and the answer to `first`, the failure that ejects it.
    async fn ejected(
        first: Request<()>,
    ) -> (
        GatewayErrorLayer,
        impl Service<Request<()>, Response = Answer, Error = std::convert::Infallible>,
        Answer,
    ) {
        let refused = tower::service_fn(|_: Request<()>| async {
            Err::<Response<String>, _>(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
        });
        let layer = GatewayErrorLayer::builder()
            .eject(Ejection::after(1, Duration::from_secs(20)))
            .build()
            .unwrap();
        let mut gateway = layer.layer(refused);
        let failed = gateway.ready().await.unwrap().call(first).await.unwrap();
        (layer, gateway, failed)
    }

    #[tokio::test(start_paused = true)]
    async fn grpc_calls_refused_while_ejected_get_the_time_left_as_pushback() {
        let call = || {
            Request::post("/shop.Orders/Get")
                .version(http::Version::HTTP_2)
                .header("content-type", "application/grpc")
                .body(())
                .unwrap()
        };
        let (_, mut gateway, first) = ejected(call()).await;
        assert_eq!(first.headers()["grpc-status"], "14");
        tokio::time::advance(Duration::from_millis(5_500)).await;
        let refused = gateway.ready().await.unwrap().call(call()).await.unwrap();
        assert_eq!(refused.headers()["grpc-status"], "14");
        assert_eq!(refused.headers()["grpc-retry-pushback-ms"], "14500");
        assert!(refused.headers().get("retry-after").is_none());
    }

    /// An error refused by the fast path, answered again by code that took
    /// it from the response (a hand-written proxy over the layer), still
    /// says the time left.
    #[tokio::test(start_paused = true)]
    async fn a_refusal_answered_again_keeps_its_time_left() {
        let (layer, mut gateway, first) = ejected(Request::new(())).await;
        assert_eq!(first.status(), 502);
        tokio::time::advance(Duration::from_millis(7_500)).await;
        let refusal = gateway.ready().await.unwrap().call(Request::new(())).await;
        let refusal = refusal.unwrap();
        assert_eq!(refusal.headers()["retry-after"], "13");
        let error = refusal.extensions().get::<UpstreamError>().unwrap().clone();
        let request = Request::new(());
        let again = layer.error_response::<String>(error, &layer.capture_request(&request));
        assert_eq!(again.status(), 503);
        assert_eq!(again.headers()["retry-after"], "13");
    }
}
