//! The words of the built-in pages: every string by its key ([`Text`]),
//! one language's strings ([`Texts`]), and which of them a failure of each
//! kind shows ([`Situation`]).

use std::borrow::Cow;

use crate::UpstreamErrorKind;

macro_rules! texts {
    ($($(#[$doc:meta])* $variant:ident => $key:literal,)*) => {
        /// A string of the built-in pages, named in templates as
        /// `{{text.KEY}}` and in [`Translation::text`](super::Translation::text)
        /// by its key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Text {
            $($(#[$doc])* $variant,)*
        }

        impl Text {
            /// Every string, in the order each language lists them.
            pub(crate) const ALL: &'static [Text] = &[$(Text::$variant,)*];

            /// The key of the string.
            pub(crate) const fn key(self) -> &'static str {
                match self {
                    $(Text::$variant => $key,)*
                }
            }
        }
    };
}

texts! {
    /// The word before the status code: "Error 502".
    Error => "error",
    WhatYouCanDo => "what_you_can_do",
    WhereItFailed => "where_it_failed",
    /// The three nodes of the figure.
    You => "you",
    ThisSite => "this_site",
    Server => "server",
    /// The two hops, as text.
    HopVisitor => "hop_visitor",
    HopUpstream => "hop_upstream",
    /// The states of a hop.
    Working => "working",
    Failed => "failed",
    NotTried => "not_tried",
    AnsweredWithError => "answered_with_error",
    Details => "details",
    ErrorType => "error_type",
    RequestId => "request_id",
    QuoteRequestId => "quote_request_id",
    Time => "time",
    SupportLink => "support_link",
    /// With `{n}`, a `Retry-After` of 1 to 119 seconds.
    RetryInSeconds => "retry_in_seconds",
    /// With `{n}`, a `Retry-After` of 2 minutes or more, rounded up.
    RetryInMinutes => "retry_in_minutes",
    /// A `Retry-After` of 0 seconds.
    RetrySoon => "retry_soon",
    /// Added to the advice where the request may have reached the server.
    CheckBeforeResending => "check_before_resending",
    UnreachableHeading => "unreachable_heading",
    UnreachableWhat => "unreachable_what",
    UnreachableAdvice => "unreachable_advice",
    TimeoutHeading => "timeout_heading",
    TimeoutWhat => "timeout_what",
    TimeoutAdvice => "timeout_advice",
    BrokenHeading => "broken_heading",
    BrokenWhat => "broken_what",
    BrokenAdvice => "broken_advice",
    InvalidHeading => "invalid_heading",
    InvalidWhat => "invalid_what",
    InvalidAdvice => "invalid_advice",
    SecureHeading => "secure_heading",
    SecureWhat => "secure_what",
    SecureAdvice => "secure_advice",
    BusyHeading => "busy_heading",
    BusyWhat => "busy_what",
    BusyAdvice => "busy_advice",
    RefusedHeading => "refused_heading",
    RefusedWhat => "refused_what",
    RefusedAdvice => "refused_advice",
    UpstreamErrorHeading => "upstream_error_heading",
    UpstreamErrorWhat => "upstream_error_what",
    UpstreamErrorAdvice => "upstream_error_advice",
    FailedHeading => "failed_heading",
    FailedWhat => "failed_what",
    FailedAdvice => "failed_advice",
}

impl Text {
    /// The string with `key`.
    pub(crate) fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|text| text.key() == key)
    }

    /// Its place in [`ALL`](Self::ALL).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Whether the string must contain `{n}`.
    pub(crate) fn takes_number(self) -> bool {
        matches!(self, Self::RetryInSeconds | Self::RetryInMinutes)
    }
}

/// A plural category of the Unicode CLDR: which form of a word a number
/// takes in a language (English: 1 second, 2 seconds; Polish: 1 sekundę,
/// 2 sekundy, 5 sekund). A language's [`PluralRule`] picks one for a
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluralCategory {
    /// `zero` (Arabic, Latvian, Welsh).
    Zero,
    /// `one`: 1 in English, German, Spanish; 0 and 1 in French and
    /// Portuguese.
    One,
    /// `two` (Arabic, Hebrew, Slovenian, Welsh).
    Two,
    /// `few`: 2 to 4 in Polish, Czech, Russian, and more.
    Few,
    /// `many`: 5 to 21 in Polish and Russian, and more.
    Many,
    /// `other`: every number the rule puts nowhere else; the only category
    /// of Japanese and Chinese. The form [`text`](super::Translation::text)
    /// sets.
    Other,
}

/// A language's plural rule: the CLDR category of a whole number, as
/// written at <https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html>
/// for integers. A plain function, so a rule costs no dependency.
pub type PluralRule = fn(u64) -> PluralCategory;

/// The rule of languages with one form: Japanese, Chinese, and a new
/// language that gives none.
pub(crate) fn only_other(_: u64) -> PluralCategory {
    PluralCategory::Other
}

/// English, German, Spanish and others: `one` for 1.
pub(crate) fn one_for_1(n: u64) -> PluralCategory {
    if n == 1 {
        PluralCategory::One
    } else {
        PluralCategory::Other
    }
}

/// French and Portuguese: `one` for 0 and 1.
pub(crate) fn one_for_0_and_1(n: u64) -> PluralCategory {
    if n <= 1 {
        PluralCategory::One
    } else {
        PluralCategory::Other
    }
}

/// One language's strings, indexed by [`Text`], with the forms its
/// number-taking strings have for categories other than `other`, and the
/// rule that picks one.
#[derive(Debug, Clone)]
pub(crate) struct Texts {
    strings: Box<[Cow<'static, str>]>,
    rule: PluralRule,
    forms: Vec<(Text, PluralCategory, Cow<'static, str>)>,
}

impl Texts {
    /// `strings` must hold one string per [`Text`], in order; their
    /// number-taking ones are the `other` forms, the only ones so far.
    pub(crate) fn new(strings: Vec<Cow<'static, str>>) -> Self {
        debug_assert_eq!(strings.len(), Text::ALL.len());
        Self {
            strings: strings.into_boxed_slice(),
            rule: only_other,
            forms: Vec::new(),
        }
    }

    pub(crate) fn get(&self, text: Text) -> &str {
        &self.strings[text.index()]
    }

    pub(crate) fn set(&mut self, text: Text, value: Cow<'static, str>) {
        self.strings[text.index()] = value;
    }

    pub(crate) fn set_rule(&mut self, rule: PluralRule) {
        self.rule = rule;
    }

    /// Drops the forms of `text` besides `other`.
    pub(crate) fn clear_forms(&mut self, text: Text) {
        self.forms.retain(|(t, _, _)| *t != text);
    }

    /// Sets the form of a number-taking `text` for `category`; `other` is
    /// the string itself.
    pub(crate) fn set_form(
        &mut self,
        text: Text,
        category: PluralCategory,
        value: Cow<'static, str>,
    ) {
        if category == PluralCategory::Other {
            return self.set(text, value);
        }
        self.forms
            .retain(|(t, c, _)| !(*t == text && *c == category));
        self.forms.push((text, category, value));
    }

    /// `text` with `{n}` replaced by `n`, in the form the rule picks for
    /// it; the `other` form when there is none for that category.
    pub(crate) fn with_number(&self, text: Text, n: u64) -> String {
        let category = (self.rule)(n);
        let form = self
            .forms
            .iter()
            .find(|(t, c, _)| *t == text && *c == category)
            .map_or_else(|| self.get(text), |(_, _, form)| form);
        form.replace("{n}", &n.to_string())
    }

    /// The advice for `situation`: a `Retry-After` of `retry_after`
    /// seconds, when there is one, else the situation's own; then the
    /// caution about sending again, where the request may have arrived.
    pub(crate) fn advice(&self, situation: Situation, retry_after: Option<u64>) -> Cow<'_, str> {
        let mut advice = match retry_after {
            Some(0) => Cow::Borrowed(self.get(Text::RetrySoon)),
            Some(seconds @ 1..=119) => Cow::Owned(self.with_number(Text::RetryInSeconds, seconds)),
            Some(seconds) => {
                Cow::Owned(self.with_number(Text::RetryInMinutes, seconds.div_ceil(60)))
            }
            None => Cow::Borrowed(self.get(situation.texts()[2])),
        };
        if situation.may_have_arrived() {
            let advice = advice.to_mut();
            advice.push(' ');
            advice.push_str(self.get(Text::CheckBeforeResending));
        }
        advice
    }
}

/// What a visitor is told about a failure: kinds that mean the same to
/// someone who only wanted the page share one heading, explanation and
/// advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Situation {
    /// The server could not be found or connected to.
    Unreachable,
    /// It was reached but did not answer in time.
    Timeout,
    /// The connection broke before the answer was complete.
    Broken,
    /// The answer came but could not be used.
    Invalid,
    /// No secure connection could be made.
    Secure,
    /// The gateway shed the request.
    Busy,
    /// The gateway would not or could not forward the request (or the
    /// request itself could not be sent).
    Refused,
    /// The server answered with an error the layer replaced (interception).
    UpstreamError,
    /// Anything else.
    Failed,
}

impl Situation {
    pub(crate) const fn of(kind: UpstreamErrorKind) -> Self {
        use UpstreamErrorKind as K;
        match kind {
            K::DnsError
            | K::DnsTimeout
            | K::DestinationIpUnroutable
            | K::DestinationUnavailable
            | K::ConnectionRefused
            | K::ConnectionTimeout => Self::Unreachable,
            K::HttpResponseTimeout | K::ConnectionReadTimeout | K::ConnectionWriteTimeout => {
                Self::Timeout
            }
            K::ConnectionTerminated | K::HttpResponseIncomplete => Self::Broken,
            K::HttpProtocolError
            | K::HttpResponseHeaderSectionSize
            | K::HttpResponseHeaderSize
            | K::HttpResponseBodySize
            | K::HttpResponseTrailerSectionSize
            | K::HttpResponseTrailerSize
            | K::HttpResponseTransferCoding
            | K::HttpResponseContentCoding
            | K::HttpUpgradeFailed => Self::Invalid,
            K::TlsProtocolError | K::TlsCertificateError | K::TlsAlertReceived => Self::Secure,
            K::ConnectionLimitReached => Self::Busy,
            K::DestinationNotFound
            | K::DestinationIpProhibited
            | K::HttpRequestDenied
            | K::HttpRequestError
            | K::ProxyLoopDetected
            | K::ProxyConfigurationError
            | K::ProxyInternalResponse => Self::Refused,
            K::Unclassified => Self::Failed,
        }
    }

    /// The heading, the explanation and the advice.
    pub(crate) const fn texts(self) -> [Text; 3] {
        use Text as T;
        match self {
            Self::Unreachable => [
                T::UnreachableHeading,
                T::UnreachableWhat,
                T::UnreachableAdvice,
            ],
            Self::Timeout => [T::TimeoutHeading, T::TimeoutWhat, T::TimeoutAdvice],
            Self::Broken => [T::BrokenHeading, T::BrokenWhat, T::BrokenAdvice],
            Self::Invalid => [T::InvalidHeading, T::InvalidWhat, T::InvalidAdvice],
            Self::Secure => [T::SecureHeading, T::SecureWhat, T::SecureAdvice],
            Self::Busy => [T::BusyHeading, T::BusyWhat, T::BusyAdvice],
            Self::Refused => [T::RefusedHeading, T::RefusedWhat, T::RefusedAdvice],
            Self::UpstreamError => [
                T::UpstreamErrorHeading,
                T::UpstreamErrorWhat,
                T::UpstreamErrorAdvice,
            ],
            Self::Failed => [T::FailedHeading, T::FailedWhat, T::FailedAdvice],
        }
    }

    /// The state of the hop from this site to its server: not tried when
    /// the gateway shed or refused the request, an error answer when the
    /// server gave one, else failed.
    pub(crate) const fn upstream_hop(self) -> Text {
        match self {
            Self::Busy | Self::Refused => Text::NotTried,
            Self::UpstreamError => Text::AnsweredWithError,
            _ => Text::Failed,
        }
    }

    /// Whether the request may have reached the server before the failure,
    /// so a form sent again could be sent twice.
    const fn may_have_arrived(self) -> bool {
        matches!(self, Self::Timeout | Self::Broken)
    }
}
