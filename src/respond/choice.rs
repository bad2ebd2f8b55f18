//! Which body a request gets ([`BodyChoice`]): its format, fixed or
//! negotiated by `Accept`, and its language, by `Accept-Language`; and the
//! headers that say what it was chosen by (`Vary`, `Content-Language`).

use http::HeaderValue;

use super::headers::{VARY_ACCEPT, VARY_ACCEPT_AND_LANGUAGE, VARY_ACCEPT_LANGUAGE};
use crate::render::{BodyFormat, Language, Languages, Negotiator, Pages};
use crate::request::CapturedRequest;

/// The builder's format settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// The format every answer has, whatever `Accept` says.
    pub(crate) fixed: Option<BodyFormat>,
    /// The format when `Accept` decides nothing (plain text unless set).
    pub(crate) fallback: Option<BodyFormat>,
}

/// The body format a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormatChoice {
    Fixed(BodyFormat),
    Negotiate(Negotiator),
}

/// How a request's body is chosen: its format, and the language of the
/// formats whose page is written in one.
#[derive(Debug)]
pub(super) struct BodyChoice {
    format: FormatChoice,
    languages: Languages,
    /// Whether each format's page is written in a language, by
    /// [`BodyFormat::index`].
    localized: [bool; BodyFormat::COUNT],
}

impl BodyChoice {
    pub(super) fn compile(settings: Settings, languages: Languages, pages: &Pages) -> Self {
        let format = match settings.fixed {
            Some(format) => FormatChoice::Fixed(format),
            None => FormatChoice::Negotiate(Negotiator::new(
                settings.fallback.unwrap_or(BodyFormat::Text),
                pages.json_type(),
            )),
        };
        Self {
            format,
            languages,
            localized: BodyFormat::ALL.map(|format| pages.is_localized(format)),
        }
    }

    /// The body format for `request`.
    pub(super) fn format(&self, request: &CapturedRequest) -> BodyFormat {
        match &self.format {
            FormatChoice::Fixed(format) => *format,
            FormatChoice::Negotiate(negotiator) => negotiator.choose(request.accept()),
        }
    }

    /// The index of the language of a page in `format` for `request`; the
    /// fallback's, 0, for pages that are the same in every language.
    pub(super) fn language(&self, format: BodyFormat, request: &CapturedRequest) -> usize {
        if self.is_localized(format) {
            self.languages.choose(request.accept_language())
        } else {
            0
        }
    }

    /// The language with `index`.
    pub(super) fn language_at(&self, index: usize) -> &Language {
        &self.languages.all()[index]
    }

    /// How many pages in `format` there are: one per language when the page
    /// is written in one, else one.
    pub(super) fn languages_of(&self, format: BodyFormat) -> usize {
        if self.is_localized(format) {
            self.languages.all().len()
        } else {
            1
        }
    }

    /// The request headers a page of the layer's in `format` was chosen
    /// by; with a custom renderer, whose language is its own, `Accept`
    /// alone.
    pub(super) fn vary(&self, format: BodyFormat, custom: bool) -> Option<HeaderValue> {
        let by_language = !custom && self.is_localized(format) && self.languages.negotiates();
        match (self.negotiates(), by_language) {
            (true, true) => Some(VARY_ACCEPT_AND_LANGUAGE),
            (true, false) => Some(VARY_ACCEPT),
            (false, true) => Some(VARY_ACCEPT_LANGUAGE),
            (false, false) => None,
        }
    }

    /// The `Content-Language` of a page in `format` and `language`, when it
    /// is written in one.
    pub(super) fn content_language(
        &self,
        format: BodyFormat,
        language: usize,
    ) -> Option<HeaderValue> {
        self.is_localized(format)
            .then(|| self.language_at(language).content_language().clone())
    }

    /// Whether the format depends on `Accept`.
    pub(super) fn negotiates(&self) -> bool {
        matches!(self.format, FormatChoice::Negotiate(_))
    }

    /// Whether some page's language depends on `Accept-Language`.
    pub(super) fn negotiates_language(&self) -> bool {
        self.languages.negotiates()
            && BodyFormat::ALL
                .iter()
                .any(|&format| self.is_localized(format) && self.may_choose(format))
    }

    /// Whether some request may get `format`.
    fn may_choose(&self, format: BodyFormat) -> bool {
        match self.format {
            FormatChoice::Fixed(fixed) => fixed == format,
            FormatChoice::Negotiate(_) => true,
        }
    }

    fn is_localized(&self, format: BodyFormat) -> bool {
        self.localized[format.index()]
    }
}
