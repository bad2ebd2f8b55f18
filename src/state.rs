//! What a layer's services share: the parts, compiled once, as plain data.

use http::Response;

use crate::eject::Ejector;
use crate::render::Chunks;
use crate::report::Reporter;
use crate::request::{CapturePlan, CapturedRequest};
use crate::respond::Responder;
use crate::{Classifier, UpstreamError};

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) capture: CapturePlan,
    pub(crate) classifier: Classifier,
    pub(crate) responder: Responder,
    pub(crate) reporter: Reporter,
    /// The dead-upstream fast path, when turned on.
    pub(crate) ejector: Option<Ejector>,
}

impl Shared {
    /// The answer to a failure, after the log and the hook were told.
    pub(crate) fn answer(
        &self,
        error: UpstreamError,
        request: &CapturedRequest,
    ) -> Response<Chunks> {
        let status = self.responder.status(error.kind());
        self.reporter.report(&error, status, request);
        let advice = self.ejector.as_ref().and_then(|ejector| {
            let grpc = request.is_grpc() && self.responder.answers_grpc();
            ejector.advice(&error, grpc)
        });
        self.responder.answer(error, request, advice)
    }
}
