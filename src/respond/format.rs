//! Which [`BodyFormat`] a request gets: fixed, or negotiated by `Accept`.

use crate::render::{BodyFormat, Negotiator};
use crate::request::CapturedRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatChoice {
    Fixed(BodyFormat),
    Negotiate(Negotiator),
}

impl FormatChoice {
    /// `fixed` if set, else negotiation with `default` as the fallback.
    pub(crate) fn compile(fixed: Option<BodyFormat>, default: BodyFormat) -> Self {
        match fixed {
            Some(format) => Self::Fixed(format),
            None => Self::Negotiate(Negotiator::new(default)),
        }
    }

    /// The body format for `request`.
    pub(crate) fn for_request(&self, request: &CapturedRequest) -> BodyFormat {
        match self {
            Self::Fixed(format) => *format,
            Self::Negotiate(negotiator) => negotiator.choose(request.accept()),
        }
    }

    /// Whether some request may get `format`.
    pub(crate) fn may_choose(&self, format: BodyFormat) -> bool {
        match self {
            Self::Fixed(fixed) => *fixed == format,
            Self::Negotiate(_) => true,
        }
    }

    /// Whether the format depends on `Accept` (and `Vary: accept` is sent).
    pub(crate) fn negotiates(&self) -> bool {
        matches!(self, Self::Negotiate(_))
    }
}
