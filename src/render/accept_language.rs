//! Choosing a page's language by `Accept-Language`: its ranges and
//! q-values, refusals, and Chinese by script.

use http::HeaderValue;

use super::language::{find, Languages};
use super::negotiate::parse_q;

impl Languages {
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
                (0..self.all().len()).find(|&index| !refuses(value, self.all()[index].tag()))
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
            let tag = self.all()[index].tag();
            !refuses(accept_language, tag)
                // A Chinese tag that names no script (a user's `zh`) fits
                // either.
                && script.is_none_or(|script| {
                    matches!(chinese_script(tag), Some(of_tag) if of_tag == script || of_tag == Script::Unspecified)
                })
        };
        let offered = |tag: &str| find(self.all(), tag).filter(|&index| allowed(index));
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
        (0..self.all().len())
            .find(|&index| starts_with_tag(self.all()[index].tag(), prefix) && allowed(index))
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

/// Whether `tag` is `prefix` or starts with `prefix-`, ignoring case.
fn starts_with_tag(tag: &str, prefix: &str) -> bool {
    tag.len() >= prefix.len()
        && tag[..prefix.len()].eq_ignore_ascii_case(prefix)
        && matches!(tag.as_bytes().get(prefix.len()), None | Some(b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::language::tests::{builtin, chosen, settings};
    use crate::render::texts::Text;
    use crate::render::Translation;

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
}
