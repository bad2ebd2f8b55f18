//! The answer ([`Responder`]): every response the layer writes, made from
//! parts that are each worked out once, when the layer is built, by their
//! own file's `compile`.
//!
//! The parts: `status.rs` (the status per kind), `choice.rs` (the body's
//! format and language for a request), `retry_after.rs`, `proxy_status.rs`,
//! `headers.rs` (the header vocabulary and the user's extra headers) and
//! `support_url.rs`; `prepared/` holds every answer made ahead, and the
//! body that sends one. Three files put the parts together, one answer
//! each: `http.rs` (the error response), `grpc.rs` (a gRPC call's
//! trailers-only answer, and the trailers of a stream that broke) and
//! `intercept.rs` (an upstream answer with the layer's body).

mod choice;
mod grpc;
mod headers;
mod http;
mod intercept;
mod prepared;
mod proxy_status;
mod retry_after;
mod status;
mod structured_field;
mod support_url;

use std::time::Duration;

use ::http::header::{HeaderMap, HeaderName, HeaderValue};
use ::http::{Response, StatusCode};

use self::choice::BodyChoice;
use self::grpc::GrpcAnswers;
use self::headers::ExtraHeaders;
use self::headers::{set, PROXY_STATUS};
use self::intercept::Interception;
pub(crate) use self::prepared::Chunks;
#[cfg(test)]
pub(crate) use self::prepared::{Chunk, Layout};
use self::prepared::{Clock, PreparedAnswers};
use self::proxy_status::ProxyStatus;
use self::retry_after::RetryAfters;
use self::status::Statuses;
use self::support_url::SupportUrl;
use crate::render::{self, Fields, Languages, Pages, Renderer};
use crate::request::CapturedRequest;
use crate::{ConfigError, UpstreamError, UpstreamErrorKind};

/// What the builder collects for the answer: each part's own settings,
/// which that part's `compile` checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) statuses: Vec<(UpstreamErrorKind, StatusCode)>,
    pub(crate) format: choice::Settings,
    pub(crate) templates: render::Templates,
    pub(crate) languages: render::LanguageSettings,
    pub(crate) renderer: Option<Renderer>,
    pub(crate) show_details: bool,
    pub(crate) support_url: Option<String>,
    pub(crate) retry_after: retry_after::Settings,
    pub(crate) proxy_status: proxy_status::Settings,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) grpc: grpc::Settings,
    pub(crate) intercept: Vec<StatusCode>,
    /// Whether answers carry their error in their extensions (on unless
    /// set).
    pub(crate) error_extension: Option<bool>,
}

/// Every answer the layer writes, from its compiled parts.
#[derive(Debug)]
pub(crate) struct Responder {
    statuses: Statuses,
    choice: BodyChoice,
    pages: Pages,
    renderer: Option<Renderer>,
    show_details: bool,
    support_url: Option<SupportUrl>,
    retry_after: RetryAfters,
    proxy_status: ProxyStatus,
    extra: ExtraHeaders,
    /// `None` when gRPC calls are answered like any other.
    grpc: Option<GrpcAnswers>,
    intercept: Interception,
    error_extension: bool,
    /// Every kind's answer in every format and language, made ahead;
    /// `None` with a custom renderer or error details, which render each
    /// failure anew.
    prepared: Option<PreparedAnswers>,
    /// The time each page shows.
    clock: Clock,
}

impl Responder {
    /// Checks `settings` and works out every part. `refusals`, when the
    /// gateway refuses requests on its own for a while (a dead upstream's
    /// ejection), is the kind it answers them with and the longest it
    /// refuses for, which answers of that kind advise unless a
    /// `Retry-After` is set for them.
    pub(crate) fn compile(
        settings: Settings,
        refusals: Option<(UpstreamErrorKind, Duration)>,
    ) -> Result<Self, ConfigError> {
        let Settings {
            statuses,
            format,
            templates,
            languages,
            renderer,
            show_details,
            support_url,
            retry_after,
            proxy_status,
            headers,
            grpc,
            intercept,
            error_extension,
        } = settings;
        let statuses = Statuses::compile(statuses)?;
        let retry_after = RetryAfters::compile(retry_after, refusals)?;
        let proxy_status = ProxyStatus::compile(proxy_status)?;
        let intercept = Interception::compile(intercept)?;
        let extra = ExtraHeaders::compile(headers)?;
        let grpc = GrpcAnswers::compile(grpc, &proxy_status, &extra)?;
        let pages = Pages::compile(templates)
            .map_err(|(format, error)| ConfigError::Template { format, error })?;
        let choice = BodyChoice::compile(format, Languages::compile(languages)?, &pages);
        let support_url = support_url.map(SupportUrl::compile).transpose()?;
        let mut responder = Self {
            statuses,
            choice,
            pages,
            renderer,
            show_details,
            support_url,
            retry_after,
            proxy_status,
            extra,
            grpc,
            intercept,
            error_extension: error_extension.unwrap_or(true),
            prepared: None,
            clock: Clock::default(),
        };
        if responder.renderer.is_none() && !responder.show_details {
            responder.prepared = Some(responder.prepare());
        }
        Ok(responder)
    }

    /// The status a failure of `kind` maps to; a gRPC answer is an HTTP 200,
    /// but logs and alerts on 5xx should see this.
    pub(crate) fn status(&self, kind: UpstreamErrorKind) -> StatusCode {
        self.statuses.get(kind)
    }

    /// The answer to `request` for `error`, answered with `status`: a gRPC
    /// call's trailers-only answer, or an error response. It carries
    /// `error` in its extensions unless that is turned off; `wait`, when
    /// the gateway refused the request for a while, is the time left, sent
    /// as `Retry-After` or `grpc-retry-pushback-ms`.
    pub(crate) fn answer(
        &self,
        error: UpstreamError,
        status: StatusCode,
        request: &CapturedRequest,
        wait: Option<Duration>,
    ) -> Response<Chunks> {
        let mut response = match (&self.grpc, request.grpc_content_type()) {
            (Some(grpc), Some(content_type)) => grpc.answer(self, &error, content_type, wait),
            _ => self.http_answer(&error, status, request, wait),
        };
        if self.error_extension {
            response.extensions_mut().insert(error);
        }
        response
    }

    /// `fields` in the language with index `language`, for a `Retry-After`
    /// of `retry_after` seconds if there is one, with the support link.
    pub(super) fn localized<'a>(
        &'a self,
        fields: Fields<'a>,
        language: usize,
        retry_after: Option<u64>,
    ) -> Fields<'a> {
        fields.in_language(
            self.choice.language_at(language),
            retry_after,
            self.support_url.as_ref().map(|url| url.as_str()),
        )
    }

    /// Puts what only this failure says (a DNS rcode, a TLS alert) into a
    /// prepared `Proxy-Status`; free for most kinds, which say nothing
    /// more.
    pub(super) fn set_params(&self, headers: &mut HeaderMap, error: &UpstreamError) {
        let Some(params) = error.proxy_status_params() else {
            return;
        };
        if let Some(value) = self
            .proxy_status
            .value_for(error.kind(), Some(params), None)
        {
            set(headers, PROXY_STATUS, value);
        }
    }

    /// Whether the body format depends on `Accept`, so it must be captured.
    pub(crate) fn negotiates(&self) -> bool {
        self.choice.negotiates()
    }

    /// Whether the page's language depends on `Accept-Language`, so it must
    /// be captured.
    pub(crate) fn negotiates_language(&self) -> bool {
        self.choice.negotiates_language()
    }

    /// This gateway's name, as in `Proxy-Status`.
    pub(crate) fn proxy_name(&self) -> &str {
        self.proxy_status.name()
    }

    /// Whether gRPC calls get gRPC answers, so they must be told apart.
    pub(crate) fn answers_grpc(&self) -> bool {
        self.grpc.is_some()
    }

    /// Whether a renderer of the user's sees the request, URI included.
    pub(crate) fn shows_requests(&self) -> bool {
        self.renderer.is_some()
    }
}

/// What the tests of the answer's files share: a layer's responder from
/// settings, and requests as the layer captures them.
#[cfg(test)]
pub(crate) mod testing {
    use ::http::{Method, Request, Version};

    use super::{Responder, Settings};
    use crate::request::{CapturePlan, CapturedRequest};

    /// The responder of `settings`, with `edge` as the proxy's name.
    pub(crate) fn responder(mut settings: Settings) -> Responder {
        settings.proxy_status.name = Some("edge".into());
        Responder::compile(settings, None).unwrap()
    }

    /// A request with `headers`, as a layer that negotiates format and
    /// language and answers gRPC calls keeps it.
    pub(crate) fn captured(
        method: Method,
        version: Version,
        headers: &[(&str, &str)],
    ) -> CapturedRequest {
        let mut request = Request::builder().method(method).version(version);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        CapturePlan::everything().capture(&request.body(()).unwrap())
    }
}
