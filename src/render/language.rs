//! The languages the pages are written in: [`Translation`], to add one or
//! change the words of one, the set a layer offers ([`Languages`]), and
//! choosing one by `Accept-Language`.

use std::borrow::Cow;

use http::HeaderValue;

use super::negotiate::parse_q;
use super::texts::{PluralCategory, PluralRule, Text, Texts};
use super::translations::{BUILT_IN, PLURALS};

/// The words of the built-in pages in one language: a new language, or
/// changes to a built-in one. Give it to
/// [`translation`](crate::GatewayErrorLayerBuilder::translation).
///
/// The built-in languages are English (`en`, the fallback), German (`de`),
/// Spanish (`es`), French (`fr`), Japanese (`ja`), Brazilian Portuguese
/// (`pt-BR`, which readers asking for `pt` or `pt-PT` get too, truthfully
/// labelled) and simplified Chinese (`zh-Hans`). A translation for one of them changes
/// only the strings it sets; a new language must set every string, and
/// the layer refuses to build, naming the first one missing, when it does
/// not. The keys are listed in the [module docs](crate::render#languages).
///
/// ```
/// use tower_gateway_error::render::Translation;
/// use tower_gateway_error::GatewayErrorLayer;
///
/// // Change one string of the English pages.
/// let layer = GatewayErrorLayer::builder()
///     .translation(Translation::new("en").text("support_link", "Contact the help desk"))
///     .build()
///     .unwrap();
/// # let _ = layer;
///
/// // A new language must say everything.
/// let error = GatewayErrorLayer::builder()
///     .translation(Translation::new("nl").text("error", "Fout"))
///     .build()
///     .unwrap_err();
/// assert!(error.to_string().contains("`what_you_can_do`"));
/// ```
///
/// # Numbers
///
/// `retry_in_seconds` and `retry_in_minutes` show a number, and the words
/// around it change with it by the language's CLDR plural rule: give the
/// rule with [`plural_rule`](Self::plural_rule), the `other` form with
/// [`text`](Self::text) and each other form the rule can pick with
/// [`plural`](Self::plural). Polish, say:
///
/// ```
/// use tower_gateway_error::render::{PluralCategory, Translation};
///
/// fn polish(n: u64) -> PluralCategory {
///     match (n % 10, n % 100) {
///         _ if n == 1 => PluralCategory::One,
///         (2..=4, d) if !(12..=14).contains(&d) => PluralCategory::Few,
///         _ => PluralCategory::Many,
///     }
/// }
///
/// let polish = Translation::new("pl")
///     .plural_rule(polish)
///     .text("retry_in_seconds", "Spróbuj ponownie za {n} sekundy.")
///     .plural("retry_in_seconds", PluralCategory::One, "Spróbuj ponownie za {n} sekundę.")
///     .plural("retry_in_seconds", PluralCategory::Few, "Spróbuj ponownie za {n} sekundy.")
///     .plural("retry_in_seconds", PluralCategory::Many, "Spróbuj ponownie za {n} sekund.");
/// # let _ = polish;
/// ```
///
/// The built-in languages come with their rules and forms.
#[derive(Debug, Clone)]
pub struct Translation {
    tag: String,
    texts: Vec<(String, String)>,
    rule: Option<PluralRule>,
    forms: Vec<(String, PluralCategory, String)>,
}

impl Translation {
    /// Strings for the language with the BCP 47 tag `tag` (`nl`, `pt-BR`).
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            texts: Vec::new(),
            rule: None,
            forms: Vec::new(),
        }
    }

    /// Sets the string with `key` to `value`. Strings are plain text,
    /// escaped for each format; `retry_in_seconds` and `retry_in_minutes`
    /// must contain `{n}`, where the number goes, and this is their
    /// `other` form (see [Numbers](#numbers)).
    pub fn text(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.texts.push((key.into(), value.into()));
        self
    }

    /// The language's plural rule, which picks the form of a
    /// number-taking string for a number. A new language without one has
    /// a single form, `other`.
    pub fn plural_rule(mut self, rule: PluralRule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// Sets the form of the number-taking string `key` (`retry_in_seconds`,
    /// `retry_in_minutes`) for the numbers the plural rule puts in
    /// `category`; it must contain `{n}`. A category without a form of its
    /// own gets the `other` form.
    pub fn plural(
        mut self,
        key: impl Into<String>,
        category: PluralCategory,
        value: impl Into<String>,
    ) -> Self {
        self.forms.push((key.into(), category, value.into()));
        self
    }
}

/// Why a [`Translation`] or a language setting was refused; part of
/// [`ConfigError`](crate::ConfigError).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranslationError {
    /// The tag is not a language tag.
    #[error("{tag:?} is not a language tag; use a BCP 47 tag such as \"nl\" or \"pt-BR\"")]
    InvalidLanguageTag {
        /// The rejected tag.
        tag: String,
    },
    /// A key no string of the pages has.
    #[error("the {tag} translation sets `{key}`, which is not a string of the pages; the keys are listed in the docs of tower_gateway_error::render")]
    UnknownText {
        /// The language.
        tag: String,
        /// The unknown key.
        key: String,
    },
    /// A string that must show a number does not say where.
    #[error("the {tag} translation's `{key}` has no `{{n}}`; put `{{n}}` where the number goes, such as \"Try again in {{n}} seconds.\"")]
    TextWithoutNumber {
        /// The language.
        tag: String,
        /// The key.
        key: String,
    },
    /// A plural form given for a string that shows no number.
    #[error("the {tag} translation gives a plural form of `{key}`, which shows no number; only retry_in_seconds and retry_in_minutes have plural forms")]
    NotANumberText {
        /// The language.
        tag: String,
        /// The key.
        key: String,
    },
    /// Plural forms for a new language, but no rule to choose between them.
    #[error("the new language {tag} has plural forms but no plural_rule to choose between them; add .plural_rule(..) with its CLDR rule")]
    PluralFormsWithoutRule {
        /// The language.
        tag: String,
    },
    /// A new language leaves a string out.
    #[error("the new language {tag} has no `{key}`; a new language must set every string (the keys are listed in the docs of tower_gateway_error::render)")]
    MissingText {
        /// The language.
        tag: String,
        /// The first key missing.
        key: &'static str,
    },
    /// A language asked for that is neither built in nor translated.
    #[error("there is no language {tag}; use one of {offered}, or add it with a Translation")]
    UnknownLanguage {
        /// The tag asked for.
        tag: String,
        /// The tags there are.
        offered: String,
    },
}

/// One language a layer offers.
#[derive(Debug, Clone)]
pub(crate) struct Language {
    tag: Cow<'static, str>,
    /// The tag as `Content-Language`, made once.
    content_language: HeaderValue,
    texts: Texts,
}

impl Language {
    /// `tag` must be a checked language tag.
    fn new(tag: Cow<'static, str>, texts: Texts) -> Self {
        let content_language = match &tag {
            Cow::Borrowed(tag) => HeaderValue::from_static(tag),
            Cow::Owned(tag) => {
                HeaderValue::from_str(tag).expect("a checked language tag is a header value")
            }
        };
        Self {
            tag,
            content_language,
            texts,
        }
    }

    pub(crate) fn tag(&self) -> &str {
        &self.tag
    }

    /// The tag as a `Content-Language` value.
    pub(crate) fn content_language(&self) -> &HeaderValue {
        &self.content_language
    }

    pub(crate) fn texts(&self) -> &Texts {
        &self.texts
    }
}

/// The builder's language settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct LanguageSettings {
    /// Languages added, or strings changed, in order.
    pub(crate) translations: Vec<Translation>,
    /// The languages offered, when not all are.
    pub(crate) only: Option<Vec<String>>,
    /// The fallback language, when not English (or the first of `only`).
    pub(crate) default: Option<String>,
}

/// The languages a layer offers, the fallback first (index 0).
#[derive(Debug, Clone)]
pub(crate) struct Languages(Vec<Language>);

impl Languages {
    /// The built-in languages with the translations applied, restricted to
    /// those offered when given, with the default first: else the first of
    /// those offered, else English.
    pub(crate) fn compile(settings: LanguageSettings) -> Result<Self, TranslationError> {
        let LanguageSettings {
            translations,
            only,
            default,
        } = settings;
        let mut languages: Vec<Language> = BUILT_IN
            .iter()
            .map(|(tag, strings)| Language::new(Cow::Borrowed(tag), built_in(tag, strings)))
            .collect();
        for translation in translations {
            apply(&mut languages, translation)?;
        }
        let mut first_of_only = None;
        if let Some(only) = only {
            for tag in &only {
                find(&languages, tag).ok_or_else(|| unknown(tag, &languages))?;
            }
            languages.retain(|language| only.iter().any(|tag| same_tag(tag, &language.tag)));
            first_of_only = only.into_iter().next();
        }
        let default = default.or(first_of_only).unwrap_or_else(|| "en".to_owned());
        let first = find(&languages, &default).ok_or_else(|| unknown(&default, &languages))?;
        languages.swap(0, first);
        Ok(Self(languages))
    }

    pub(crate) fn all(&self) -> &[Language] {
        &self.0
    }

    /// Whether there is a choice to make, so `Accept-Language` matters.
    pub(crate) fn negotiates(&self) -> bool {
        self.0.len() > 1
    }

    /// The index of the language that best fits `accept_language` (its
    /// field lines joined): the range with the highest q-value (the first
    /// of equals) that one of them matches, exactly, as a prefix of the
    /// range (`de-CH` is served `de`) or with the range as its prefix
    /// (`pt` is served `pt-BR`); `*` is the first language offered that no
    /// range refuses, the fallback first. A language a range with `q=0`
    /// matches (`de;q=0` refuses `de` and `de-CH`) is never served, by no
    /// route. Chinese goes by script ([`chinese_script`]): a range is
    /// served only a language of its script, and a bare `zh` takes the
    /// script of the Chinese range ranked above it, else Simplified. When
    /// nothing matches, or the header is absent or unreadable, the
    /// fallback.
    pub(crate) fn choose(&self, accept_language: Option<&HeaderValue>) -> usize {
        let Some(value) = accept_language.and_then(|value| value.to_str().ok()) else {
            return 0;
        };
        // (q in thousandths, index) of the best so far.
        let mut best: Option<(u16, usize)> = None;
        for (position, (range, q)) in ranges(value).enumerate() {
            let Some(q) = q.filter(|&q| q > 0) else {
                continue;
            };
            if best.is_some_and(|(best_q, _)| best_q >= q) {
                continue;
            }
            let index = if range == "*" {
                (0..self.0.len()).find(|&index| !refuses(value, &self.0[index].tag))
            } else {
                let script = match chinese_script(range) {
                    Some(Script::Unspecified) => {
                        Some(script_ranked_above(value, q, position).unwrap_or(Script::Simplified))
                    }
                    script => script,
                };
                self.matching(range, script, value)
            };
            if let Some(index) = index {
                best = Some((q, index));
            }
        }
        best.map_or(0, |(_, index)| index)
    }

    /// The language `range` asks for, among those `accept_language` does
    /// not refuse and, for a Chinese range, those of its `script`: its
    /// exact tag, else the longest prefix of it on subtag boundaries that
    /// is offered, else one whose tag starts with that prefix.
    fn matching(
        &self,
        range: &str,
        script: Option<Script>,
        accept_language: &str,
    ) -> Option<usize> {
        let allowed = |index: usize| {
            let tag = &self.0[index].tag;
            !refuses(accept_language, tag)
                // A Chinese tag that names no script (a user's `zh`) fits
                // either.
                && script.is_none_or(|script| {
                    matches!(chinese_script(tag), Some(of_tag) if of_tag == script || of_tag == Script::Unspecified)
                })
        };
        let offered = |tag: &str| find(&self.0, tag).filter(|&index| allowed(index));
        if let Some(index) = offered(range) {
            return Some(index);
        }
        let mut prefix = range;
        while let Some((shorter, _)) = prefix.rsplit_once('-') {
            prefix = shorter;
            if let Some(index) = offered(prefix) {
                return Some(index);
            }
        }
        (0..self.0.len())
            .find(|&index| starts_with_tag(&self.0[index].tag, prefix) && allowed(index))
    }
}

/// The script a Chinese tag or range stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// `zh-Hans…`, `zh-CN`, `zh-SG`.
    Simplified,
    /// `zh-Hant…`, `zh-TW`, `zh-HK`, `zh-MO`.
    Traditional,
    /// A bare `zh`, or a region that does not say.
    Unspecified,
}

/// The script of a Chinese tag (`None` for another language): by its
/// script subtag, else by its region.
fn chinese_script(tag: &str) -> Option<Script> {
    let mut subtags = tag.split('-');
    if !subtags.next()?.eq_ignore_ascii_case("zh") {
        return None;
    }
    for subtag in subtags {
        let is = |name: &str| subtag.eq_ignore_ascii_case(name);
        if is("hans") || is("cn") || is("sg") {
            return Some(Script::Simplified);
        }
        if is("hant") || is("tw") || is("hk") || is("mo") {
            return Some(Script::Traditional);
        }
    }
    Some(Script::Unspecified)
}

/// The script of the Chinese range that says one and ranks above the range
/// at `position` with `q`: a higher q, or the same q earlier.
fn script_ranked_above(accept_language: &str, q: u16, position: usize) -> Option<Script> {
    let mut best: Option<(u16, Script)> = None;
    for (other, (range, other_q)) in ranges(accept_language).enumerate() {
        let Some(other_q) = other_q.filter(|&other_q| other_q > 0) else {
            continue;
        };
        let above = other_q > q || (other_q == q && other < position);
        let script = match chinese_script(range) {
            Some(Script::Unspecified) | None => continue,
            Some(script) => script,
        };
        if above && best.is_none_or(|(best_q, _)| other_q > best_q) {
            best = Some((other_q, script));
        }
    }
    best.map(|(_, script)| script)
}

/// The built-in English strings.
pub(crate) fn english() -> &'static Texts {
    static ENGLISH: std::sync::OnceLock<Texts> = std::sync::OnceLock::new();
    ENGLISH.get_or_init(|| built_in(BUILT_IN[0].0, BUILT_IN[0].1))
}

/// One built-in language's strings, with its plural rule and forms.
fn built_in(tag: &str, strings: &'static [(&'static str, &'static str)]) -> Texts {
    let mut texts = Texts::new(strings.iter().map(|(_, s)| Cow::Borrowed(*s)).collect());
    if let Some((_, rule, forms)) = PLURALS.iter().find(|(t, ..)| *t == tag) {
        texts.set_rule(*rule);
        for (key, category, form) in forms.iter() {
            let text = Text::from_key(key).expect("a built-in plural form names a string");
            texts.set_form(text, *category, Cow::Borrowed(*form));
        }
    }
    texts
}

/// Whether `accept_language` refuses `tag`: the longest range that
/// matches it (the tag itself or a prefix of it) has `q=0`. So `de;q=0`
/// refuses `de-CH`, and `pt;q=0, pt-BR` still takes `pt-BR`.
fn refuses(accept_language: &str, tag: &str) -> bool {
    let mut longest: Option<(usize, Option<u16>)> = None;
    for (range, q) in ranges(accept_language) {
        if range != "*"
            && starts_with_tag(tag, range)
            && longest.is_none_or(|(length, _)| range.len() > length)
        {
            longest = Some((range.len(), q));
        }
    }
    longest.is_some_and(|(_, q)| q == Some(0))
}

/// How many ranges of an `Accept-Language` value are read: a browser
/// sends a handful, and choosing looks at the ranges again for each range
/// (refusals, a bare `zh`'s script), which a longer list must not turn
/// into much work.
const MAX_RANGES: usize = 32;

/// The language ranges of an `Accept-Language` value with their q-values
/// in thousandths (1000 when none is given; `None` when it is malformed),
/// the first [`MAX_RANGES`] of them.
fn ranges(accept_language: &str) -> impl Iterator<Item = (&str, Option<u16>)> {
    accept_language
        .split(',')
        .take(MAX_RANGES)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|param| {
                    let (name, value) = param.trim().split_once('=')?;
                    // The weight has no space around `=` (RFC 9110 §12.4.2):
                    // `q =0` is malformed, not q=1.
                    name.trim_end().eq_ignore_ascii_case("q").then(|| {
                        (name.len() == 1 && !value.starts_with([' ', '\t']))
                            .then(|| parse_q(value.as_bytes()))
                            .flatten()
                    })
                })
                .unwrap_or(Some(1000));
            (!range.is_empty()).then_some((range, q))
        })
}

fn same_tag(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether `tag` is `prefix` or starts with `prefix-`, ignoring case.
fn starts_with_tag(tag: &str, prefix: &str) -> bool {
    tag.len() >= prefix.len()
        && tag[..prefix.len()].eq_ignore_ascii_case(prefix)
        && matches!(tag.as_bytes().get(prefix.len()), None | Some(b'-'))
}

fn find(languages: &[Language], tag: &str) -> Option<usize> {
    languages
        .iter()
        .position(|language| same_tag(&language.tag, tag))
}

fn unknown(tag: &str, languages: &[Language]) -> TranslationError {
    TranslationError::UnknownLanguage {
        tag: tag.to_owned(),
        offered: languages
            .iter()
            .map(|language| language.tag.as_ref())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Adds `translation` as a new language, or changes the strings it sets of
/// the language with its tag.
fn apply(languages: &mut Vec<Language>, translation: Translation) -> Result<(), TranslationError> {
    let Translation {
        tag,
        texts,
        rule,
        forms,
    } = translation;
    if !is_language_tag(&tag) {
        return Err(TranslationError::InvalidLanguageTag { tag });
    }
    let mut plural_forms = Vec::with_capacity(forms.len());
    for (key, category, value) in forms {
        let text = Text::from_key(&key).ok_or_else(|| TranslationError::UnknownText {
            tag: tag.clone(),
            key: key.clone(),
        })?;
        if !text.takes_number() {
            return Err(TranslationError::NotANumberText {
                tag: tag.clone(),
                key,
            });
        }
        if !value.contains("{n}") {
            return Err(TranslationError::TextWithoutNumber {
                tag: tag.clone(),
                key,
            });
        }
        plural_forms.push((text, category, value));
    }
    let existing = find(languages, &tag);
    let mut strings: Vec<Option<String>> = vec![None; Text::ALL.len()];
    for (key, value) in texts {
        let text = Text::from_key(&key).ok_or_else(|| TranslationError::UnknownText {
            tag: tag.clone(),
            key: key.clone(),
        })?;
        if text.takes_number() && !value.contains("{n}") {
            return Err(TranslationError::TextWithoutNumber {
                tag: tag.clone(),
                key,
            });
        }
        strings[text.index()] = Some(value);
    }
    // The `other` form is the string itself.
    plural_forms.retain(|(text, category, value)| {
        let other = *category == PluralCategory::Other;
        if other {
            strings[text.index()] = Some(value.clone());
        }
        !other
    });
    let texts = match existing {
        Some(index) => {
            let texts = &mut languages[index].texts;
            for (text, value) in Text::ALL.iter().zip(strings) {
                if let Some(value) = value {
                    // New words for a number: the built-in forms of the
                    // old ones no longer fit them.
                    if text.takes_number() {
                        texts.clear_forms(*text);
                    }
                    texts.set(*text, Cow::Owned(value));
                }
            }
            texts
        }
        None => {
            if rule.is_none() && !plural_forms.is_empty() {
                return Err(TranslationError::PluralFormsWithoutRule { tag });
            }
            let mut complete = Vec::with_capacity(strings.len());
            for (text, value) in Text::ALL.iter().zip(strings) {
                let value = value.ok_or_else(|| TranslationError::MissingText {
                    tag: tag.clone(),
                    key: text.key(),
                })?;
                complete.push(Cow::Owned(value));
            }
            languages.push(Language::new(Cow::Owned(tag), Texts::new(complete)));
            &mut languages.last_mut().expect("just pushed").texts
        }
    };
    if let Some(rule) = rule {
        texts.set_rule(rule);
    }
    for (text, category, value) in plural_forms {
        texts.set_form(text, category, Cow::Owned(value));
    }
    Ok(())
}

/// A well-formed BCP 47 tag, loosely: subtags of 1 to 8 ASCII letters or
/// digits joined by `-`, the first made of letters. It goes into
/// `Content-Language` and the page's `lang`.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        translations: Vec<Translation>,
        only: Option<Vec<String>>,
        default: Option<String>,
    ) -> LanguageSettings {
        LanguageSettings {
            translations,
            only,
            default,
        }
    }

    fn builtin() -> Languages {
        Languages::compile(settings(vec![], None, None)).unwrap()
    }

    fn chosen(languages: &Languages, accept: &str) -> String {
        let value = HeaderValue::from_str(accept).unwrap();
        languages.all()[languages.choose(Some(&value))]
            .tag()
            .to_owned()
    }

    #[test]
    fn every_built_in_language_lists_every_key_in_order() {
        for (tag, strings) in BUILT_IN {
            let keys: Vec<&str> = strings.iter().map(|(key, _)| *key).collect();
            let expected: Vec<&str> = Text::ALL.iter().map(|text| text.key()).collect();
            assert_eq!(keys, expected, "{tag}");
            for (key, value) in strings.iter() {
                let text = Text::from_key(key).unwrap();
                assert_eq!(text.takes_number(), value.contains("{n}"), "{tag} {key}");
                assert!(!value.trim().is_empty(), "{tag} {key}");
            }
        }
    }

    #[test]
    fn the_docs_list_every_string() {
        let docs = include_str!("mod.rs");
        for text in Text::ALL {
            assert!(
                docs.contains(&format!("| `{}` |", text.key())),
                "{}",
                text.key()
            );
        }
    }

    #[test]
    fn q_values_prefixes_and_the_fallback() {
        let languages = builtin();
        assert_eq!(chosen(&languages, "de-CH"), "de");
        assert_eq!(chosen(&languages, "de-CH, fr;q=0.9"), "de");
        assert_eq!(chosen(&languages, "nl, fr;q=0.5, de;q=0.4"), "fr");
        assert_eq!(chosen(&languages, "fr;q=0.5, ja;q=0.8"), "ja");
        assert_eq!(chosen(&languages, "pt-BR,pt;q=0.9,en-US;q=0.8"), "pt-BR");
        assert_eq!(chosen(&languages, "pt-PT"), "pt-BR");
        assert_eq!(chosen(&languages, "pt"), "pt-BR");
        assert_eq!(chosen(&languages, "zh-CN,zh;q=0.9"), "zh-Hans");
        assert_eq!(chosen(&languages, "zh"), "zh-Hans");
        assert_eq!(chosen(&languages, "ZH-hans-cn"), "zh-Hans");
        assert_eq!(chosen(&languages, "zh-TW, en;q=0.5"), "en");
        assert_eq!(chosen(&languages, "zh-Hant"), "en");
        assert_eq!(chosen(&languages, "nl"), "en");
        assert_eq!(chosen(&languages, "*"), "en");
        assert_eq!(chosen(&languages, "de;q=0, *;q=0.1"), "en");
        // `*` is any language not refused: not the fallback when it is.
        assert_eq!(chosen(&languages, "en;q=0, *"), "de");
        assert_eq!(chosen(&languages, "en-US;q=0, de;q=0, *;q=0.5"), "en");
        assert_eq!(chosen(&languages, "en;q=0, de;q=0, *;q=0.5"), "es");
        assert_eq!(chosen(&languages, "fr;q=0, es;q=0.001"), "es");
        assert_eq!(
            chosen(&languages, "es;q=2, fr;q=0.3"),
            "fr",
            "q=2 is not a q-value"
        );
        assert_eq!(chosen(&languages, ""), "en");
        assert_eq!(languages.choose(None), 0);
    }

    #[test]
    fn a_refused_language_is_served_by_no_route() {
        let languages = builtin();
        // Not by truncating `de-CH`, not by `*`.
        assert_eq!(chosen(&languages, "de-CH, de;q=0"), "en");
        assert_eq!(chosen(&languages, "de-CH, de;q=0, fr;q=0.5"), "fr");
        // Not by prefix.
        assert_eq!(chosen(&languages, "zh, zh-Hans;q=0"), "en");
        assert_eq!(chosen(&languages, "pt, pt-BR;q=0, es;q=0.2"), "es");
        // A refused region does not refuse its language, nor a refused
        // language a region asked for by name.
        assert_eq!(chosen(&languages, "de-CH;q=0, de"), "de");
        assert_eq!(chosen(&languages, "pt;q=0, pt-BR"), "pt-BR");
        // Only the first 32 ranges are read.
        let long = format!("{}fr", "xx, ".repeat(40));
        assert_eq!(chosen(&languages, &long), "en");
        // `q =0` is malformed, so that range is skipped: not read as q=1,
        // nor as the q=0 that would refuse `en` to `*`.
        assert_eq!(chosen(&languages, "fr;q =0, es;q=0.5"), "es");
        assert_eq!(chosen(&languages, "en;q =0, *"), "en");
        assert_eq!(chosen(&languages, "fr; q=0.9, es;q=0.5"), "fr");
    }

    #[test]
    fn chinese_goes_by_script() {
        let languages = builtin();
        assert_eq!(chosen(&languages, "zh-CN,zh;q=0.9"), "zh-Hans");
        assert_eq!(chosen(&languages, "zh-SG"), "zh-Hans");
        assert_eq!(chosen(&languages, "zh"), "zh-Hans");
        // Chrome in Taiwan: Traditional, which is not offered, and a `zh`
        // that means Traditional too: English, not Simplified.
        let taiwan = "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7";
        assert_eq!(chosen(&languages, taiwan), "en");
        assert_eq!(chosen(&languages, "zh-Hant, zh;q=0.8"), "en");
        assert_eq!(chosen(&languages, "zh-HK, zh;q=0.5"), "en");
        assert_eq!(chosen(&languages, "zh-MO, ja;q=0.1"), "ja");
        // A `zh` ranked above the Traditional range is Simplified.
        assert_eq!(chosen(&languages, "zh, zh-TW;q=0.5"), "zh-Hans");

        let mut traditional = Translation::new("zh-Hant");
        for text in Text::ALL {
            let value = if text.takes_number() {
                "{n} 秒"
            } else {
                "繁"
            };
            traditional = traditional.text(text.key(), value);
        }
        let both = Languages::compile(settings(vec![traditional], None, None)).unwrap();
        assert_eq!(chosen(&both, taiwan), "zh-Hant");
        assert_eq!(chosen(&both, "zh-HK, zh;q=0.5"), "zh-Hant");
        assert_eq!(chosen(&both, "zh-CN"), "zh-Hans");
        assert_eq!(chosen(&both, "zh-CN,zh;q=0.9"), "zh-Hans");
        assert_eq!(chosen(&both, "zh"), "zh-Hans");
        assert_eq!(chosen(&both, "zh-TW;q=0.5, zh"), "zh-Hans");
    }

    #[test]
    fn a_new_language_must_set_every_string() {
        let error = Languages::compile(settings(
            vec![Translation::new("nl").text("error", "Fout")],
            None,
            None,
        ))
        .unwrap_err();
        assert_eq!(
            error,
            TranslationError::MissingText {
                tag: "nl".into(),
                key: "what_you_can_do"
            }
        );
        let mut dutch = Translation::new("nl");
        for text in Text::ALL {
            let value = if text.takes_number() { "{n}" } else { "x" };
            dutch = dutch.text(text.key(), value);
        }
        let languages = Languages::compile(settings(vec![dutch], None, Some("nl".into()))).unwrap();
        assert_eq!(languages.all()[0].tag(), "nl");
        assert_eq!(chosen(&languages, "nl-BE"), "nl");
    }

    #[test]
    fn unknown_keys_bad_tags_and_unknown_languages_are_refused() {
        let error = Languages::compile(settings(
            vec![Translation::new("en").text("eror", "x")],
            None,
            None,
        ))
        .unwrap_err();
        assert!(matches!(error, TranslationError::UnknownText { ref key, .. } if key == "eror"));
        let error = Languages::compile(settings(
            vec![Translation::new("en").text("retry_in_seconds", "soon")],
            None,
            None,
        ))
        .unwrap_err();
        assert!(matches!(error, TranslationError::TextWithoutNumber { .. }));
        for tag in ["", "e n", "en_GB", "toolongtag", "1en", "en-"] {
            let error =
                Languages::compile(settings(vec![Translation::new(tag)], None, None)).unwrap_err();
            assert!(
                matches!(error, TranslationError::InvalidLanguageTag { .. }),
                "{tag:?}"
            );
        }
        let error = Languages::compile(settings(vec![], None, Some("nl".into()))).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("en, de, es, fr, ja, pt-BR, zh-Hans"),
            "{error}"
        );
        let only = Languages::compile(settings(vec![], Some(vec!["de".into(), "en".into()]), None))
            .unwrap();
        assert_eq!(only.all().len(), 2);
        // The first listed is the fallback unless another is set.
        assert_eq!(only.all()[0].tag(), "de");
        let german = Languages::compile(settings(vec![], Some(vec!["de".into()]), None)).unwrap();
        assert!(!german.negotiates());
        assert_eq!(chosen(&only, "fr, de;q=0.5"), "de");
        assert!(Languages::compile(settings(vec![], Some(vec!["xx".into()]), None)).is_err());
    }

    #[test]
    fn a_change_to_a_built_in_language_keeps_the_rest() {
        let languages = Languages::compile(settings(
            vec![Translation::new("DE").text("support_link", "Hilfe")],
            None,
            None,
        ))
        .unwrap();
        let german = &languages.all()[1];
        assert_eq!(german.texts().get(Text::SupportLink), "Hilfe");
        assert_eq!(german.texts().get(Text::Error), "Fehler");
        assert_eq!(
            german.texts().with_number(Text::RetryInSeconds, 1),
            "Versuchen Sie es in 1 Sekunde erneut."
        );
        // New words for a number drop the built-in forms of the old ones.
        let languages = Languages::compile(settings(
            vec![Translation::new("de").text("retry_in_seconds", "In {n} Sek. erneut.")],
            None,
            None,
        ))
        .unwrap();
        let german = &languages.all()[1];
        assert_eq!(
            german.texts().with_number(Text::RetryInSeconds, 1),
            "In 1 Sek. erneut."
        );
    }
}
