//! The languages the pages are written in: [`Translation`], to add one or
//! change the words of one, and the set a layer offers ([`Languages`]),
//! which `accept_language.rs` chooses from.

use std::borrow::Cow;

use http::HeaderValue;

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

fn same_tag(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

pub(super) fn find(languages: &[Language], tag: &str) -> Option<usize> {
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
        let text = text_of(&tag, &key)?;
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
        let text = text_of(&tag, &key)?;
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

/// The string of the pages `key` names, in `tag`'s translation.
fn text_of(tag: &str, key: &str) -> Result<Text, TranslationError> {
    Text::from_key(key).ok_or_else(|| TranslationError::UnknownText {
        tag: tag.to_owned(),
        key: key.to_owned(),
    })
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
pub(super) mod tests {
    use super::*;

    pub(in crate::render) fn settings(
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

    pub(in crate::render) fn builtin() -> Languages {
        Languages::compile(settings(vec![], None, None)).unwrap()
    }

    pub(in crate::render) fn chosen(languages: &Languages, accept: &str) -> String {
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
