//! Choosing a [`BodyFormat`] from the request's `Accept` header:
//! [`negotiate`], and the [`Negotiator`] a layer builds once.

use http::HeaderValue;

use super::format::BodyFormat;

/// Picks the format the request's `Accept` header prefers, by q-value and
/// specificity (RFC 9110 §12.5.1).
///
/// It is the choice the layer makes for every request, with its
/// [`default_format`](crate::GatewayErrorLayerBuilder::default_format) as
/// `fallback` and the built-in JSON body (with a `json_template`, sent as
/// `application/json`, the layer ranks that type first instead): use it
/// where you write a body of your own outside the layer (an error of a
/// handler of yours, say), so your answers come in the format the layer's
/// would. Give it the whole field: a request's `Accept` lines joined with
/// `, `, as RFC 9110 §5.3 combines them (`HeaderMap::get` returns only the
/// first).
///
/// `application/json`, `application/problem+json` and any `+json` type select
/// [`BodyFormat::Json`]. Between formats the client rates equally, a type it
/// names beats one it only reaches through a wildcard, and among named types
/// the one it lists first wins (`application/json, text/plain, */*` gets
/// JSON). `fallback` is used when there is no `Accept`, and when only
/// `*/*` reaches the top q-value.
///
/// A format the request refuses with `q=0`, directly or through the most
/// specific range that matches it (`text/*;q=0`), is never chosen while
/// another is acceptable: `text/plain;q=0, */*` with a text fallback gets
/// JSON. When the request accepts none of the formats, the answer is in
/// `fallback` anyway: an error page the client did not ask for beats a 406
/// that hides what went wrong.
///
/// Media-range parameters other than `q` are matched as RFC 9110 §12.5.1
/// matches them: `charset=utf-8` fits every format (each is UTF-8), any
/// other parameter (`text/html;level=1`) fits none, so
/// `text/html;level=1, text/html;q=0, application/json;q=0.5` gets JSON.
/// Commas and semicolons inside a quoted parameter value do not split. The
/// header's field lines count as one list: the layer joins them.
///
/// The parser works on bytes, never fails, and is linear in the header's
/// length; malformed media ranges and malformed parameters are skipped,
/// a weight included (`q =0`, with a space the grammar does not allow).
///
/// ```
/// use http::HeaderValue;
/// use tower_gateway_error::render::{negotiate, BodyFormat};
///
/// let accept = HeaderValue::from_static("application/json;q=0.9, text/html;q=0.1");
/// assert_eq!(negotiate(Some(&accept), BodyFormat::Text), BodyFormat::Json);
/// assert_eq!(negotiate(None, BodyFormat::Text), BodyFormat::Text);
/// ```
pub fn negotiate(accept: Option<&HeaderValue>, fallback: BodyFormat) -> BodyFormat {
    match accept {
        Some(accept) => negotiate_bytes(accept.as_bytes(), fallback, JsonType::Problem),
        None => fallback,
    }
}

/// The media type the JSON body is sent as, which a range naming it
/// matches most specifically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    /// The built-in RFC 9457 body: `application/problem+json`.
    Problem,
    /// A `json_template` of the user's: plain `application/json`.
    Plain,
}

fn negotiate_bytes(accept: &[u8], fallback: BodyFormat, json: JsonType) -> BodyFormat {
    // Per format, from the most specific range that matches it: its q (in
    // thousandths), its specificity, and its position in the header.
    let mut best = [Match::NONE; BodyFormat::COUNT];
    for (position, range) in split_outside_quotes(accept, b',').enumerate() {
        let Some((specificities, q)) = parse_range(range, json) else {
            continue;
        };
        for format in BodyFormat::ALL {
            let specificity = specificities[format.index()];
            let slot = &mut best[format.index()];
            // Two ranges as specific as each other name two types the
            // format stands for (`application/json`, `…+json`): the more
            // welcome one counts.
            if specificity > slot.specificity
                || (specificity == slot.specificity && specificity > 0 && q > slot.q)
            {
                *slot = Match {
                    q,
                    specificity,
                    position,
                };
            }
        }
    }

    let top_q = best.iter().map(|m| m.q).max().unwrap_or(0);
    if top_q == 0 {
        // Nothing acceptable: the fallback, unless the request refused it
        // by name or range (`q=0`); then a format it did not refuse.
        let refused = |f: &BodyFormat| best[f.index()].specificity > 0;
        if !refused(&fallback) {
            return fallback;
        }
        return UNNAMED_ORDER
            .into_iter()
            .find(|f| !refused(f))
            .unwrap_or(fallback);
    }
    let at_top = |f: &BodyFormat| best[f.index()].q == top_q;
    // Between formats, a named type is a named type: `problem+json` is
    // more specific than `application/json` only within JSON.
    let class = |f: &BodyFormat| level(best[f.index()].specificity).min(NAMED);
    let specificity = BodyFormat::ALL
        .iter()
        .filter(|f| at_top(f))
        .map(class)
        .max()
        .unwrap_or(0);
    if specificity <= WILDCARD {
        // Only `*/*` reaches the top: the client has no preference among
        // those formats, so the fallback, if it is one of them. If the
        // client refused it (`text/plain;q=0, */*`), the first of the
        // others.
        if at_top(&fallback) {
            return fallback;
        }
        return UNNAMED_ORDER
            .into_iter()
            .find(|f| at_top(f))
            .unwrap_or(fallback);
    }
    let position = BodyFormat::ALL
        .iter()
        .filter(|f| at_top(f) && class(f) == specificity)
        .map(|f| best[f.index()].position)
        .min()
        .unwrap_or(0);
    let chosen = |f: &BodyFormat| {
        at_top(f) && class(f) == specificity && best[f.index()].position == position
    };
    // One range can name two formats (`text/*`): prefer the fallback then.
    if chosen(&fallback) {
        return fallback;
    }
    BodyFormat::ALL
        .into_iter()
        .find(|f| chosen(f))
        .unwrap_or(fallback)
}

/// The formats in the order a client that names none gets them, when the
/// fallback is refused: JSON before HTML, since a client that names no
/// format is more likely a program than a browser.
const UNNAMED_ORDER: [BodyFormat; BodyFormat::COUNT] =
    [BodyFormat::Json, BodyFormat::Html, BodyFormat::Text];

/// `Accept` values that browsers and common clients send verbatim on every
/// request. Their formats are worked out when the layer is built, so these
/// clients cost a byte comparison instead of a parse (a browser's `Accept`
/// took ~2,200 instructions to parse, about a third of an HTML failure).
const COMMON_ACCEPTS: [&[u8]; 9] = [
    b"*/*",
    b"application/json",
    b"text/html",
    b"text/plain",
    b"application/problem+json",
    // Firefox 128 and later, Safari.
    b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    // Firefox 92 to 127.
    b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    // Chrome and Edge.
    b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    // axios, and many fetch wrappers.
    b"application/json, text/plain, */*",
];

/// [`negotiate`] with one fallback and the JSON body's type, answering the
/// [`COMMON_ACCEPTS`] from a table made up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Negotiator {
    fallback: BodyFormat,
    json: JsonType,
    common: [BodyFormat; COMMON_ACCEPTS.len()],
}

impl Negotiator {
    pub(crate) fn new(fallback: BodyFormat, json: JsonType) -> Self {
        Self {
            fallback,
            json,
            common: COMMON_ACCEPTS.map(|accept| negotiate_bytes(accept, fallback, json)),
        }
    }

    pub(crate) fn choose(&self, accept: Option<&HeaderValue>) -> BodyFormat {
        let Some(accept) = accept else {
            return self.fallback;
        };
        let bytes = accept.as_bytes();
        match COMMON_ACCEPTS.iter().position(|&common| common == bytes) {
            Some(i) => self.common[i],
            None => negotiate_bytes(bytes, self.fallback, self.json),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    q: u16,
    specificity: u8,
    position: usize,
}

impl Match {
    const NONE: Match = Match {
        q: 0,
        specificity: 0,
        position: 0,
    };
}

/// The level of a specificity (see [`parse_range`]).
fn level(specificity: u8) -> u8 {
    specificity / 2
}

/// The level of `*/*`.
const WILDCARD: u8 = 1;
/// The level of a named type (`text/html`); `application/problem+json`,
/// the type of the built-in JSON body, is one more within JSON.
const NAMED: u8 = 3;

/// Parses one media range: for each format, the specificity with which the
/// range matches it, and the range's q-value in thousandths. `None` for a
/// malformed range. The specificity is a level (0 = no match, 1 = `*/*`,
/// 2 = `type/*`, 3 = a named type, 4 = the type the JSON body is sent as)
/// times two, plus one when the range names the bodies' `charset=utf-8`:
/// `text/html;charset=utf-8` is more specific than `text/html` (RFC 9110
/// §12.5.1), so `text/html;charset=utf-8;q=0, text/html` refuses HTML.
fn parse_range(range: &[u8], json: JsonType) -> Option<([u8; BodyFormat::COUNT], u16)> {
    let mut parts = split_outside_quotes(range, b';');
    let media = trim(parts.next()?);
    let slash = media.iter().position(|&b| b == b'/')?;
    let (kind, subtype) = (trim(&media[..slash]), trim(&media[slash + 1..]));
    if kind.is_empty() || subtype.is_empty() {
        return None;
    }

    let mut q = 1000;
    // A parameter none of the bodies has narrows the range to types that
    // are not ours.
    let mut foreign = false;
    let mut charset = false;
    for param in parts {
        let param = trim(param);
        if param.is_empty() {
            continue;
        }
        // `name=value`, no space around `=` (RFC 9110 §5.6.6).
        let equals = param.iter().position(|&b| b == b'=')?;
        let (name, value) = (&param[..equals], &param[equals + 1..]);
        if name.is_empty() || value.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return None;
        }
        if name.eq_ignore_ascii_case(b"q") {
            q = parse_q(value)?;
            // The weight ends the media range's own parameters.
            break;
        }
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        if name.eq_ignore_ascii_case(b"charset") && value.eq_ignore_ascii_case(b"utf-8") {
            charset = true;
        } else {
            foreign = true;
        }
    }
    if foreign {
        return Some(([0; BodyFormat::COUNT], q));
    }

    let is = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
    let mut matches = [0u8; BodyFormat::COUNT];
    if is(kind, "*") {
        if !is(subtype, "*") {
            return None;
        }
        matches = [1; BodyFormat::COUNT];
    } else if is(kind, "text") {
        if is(subtype, "*") {
            matches[BodyFormat::Html.index()] = 2;
            matches[BodyFormat::Text.index()] = 2;
        } else if is(subtype, "html") {
            matches[BodyFormat::Html.index()] = 3;
        } else if is(subtype, "plain") {
            matches[BodyFormat::Text.index()] = 3;
        }
    } else if is(kind, "application") {
        if is(subtype, "*") {
            matches[BodyFormat::Json.index()] = 2;
        } else if is(subtype, "problem+json") {
            matches[BodyFormat::Json.index()] = match json {
                JsonType::Problem => NAMED + 1,
                JsonType::Plain => NAMED,
            };
        } else if is(subtype, "json") {
            matches[BodyFormat::Json.index()] = match json {
                JsonType::Problem => NAMED,
                JsonType::Plain => NAMED + 1,
            };
        } else if ends_with_ignore_case(subtype, b"+json") {
            matches[BodyFormat::Json.index()] = NAMED;
        }
    }
    let specificities = matches.map(|level| match level {
        0 => 0,
        level => level * 2 + u8::from(charset),
    });
    Some((specificities, q))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
pub(super) fn parse_q(value: &[u8]) -> Option<u16> {
    let (&first, rest) = value.split_first()?;
    let whole: u16 = match first {
        b'0' => 0,
        b'1' => 1,
        _ => return None,
    };
    let fraction = match rest {
        [] => &[][..],
        [b'.', digits @ ..] if digits.len() <= 3 => digits,
        _ => return None,
    };
    let mut thousandths = 0u16;
    let mut scale = 100;
    for &digit in fraction {
        if !digit.is_ascii_digit() {
            return None;
        }
        thousandths += u16::from(digit - b'0') * scale;
        scale /= 10;
    }
    if whole == 1 && thousandths != 0 {
        return None;
    }
    Some(whole * 1000 + thousandths)
}

/// `bytes` split at each `separator` that is not inside a quoted string
/// (RFC 9110 §5.6.4, with its `\` escapes).
fn split_outside_quotes(bytes: &[u8], separator: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let input = rest?;
        let mut quoted = false;
        let mut escaped = false;
        for (i, &b) in input.iter().enumerate() {
            if escaped {
                escaped = false;
            } else if quoted && b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = !quoted;
            } else if b == separator && !quoted {
                rest = Some(&input[i + 1..]);
                return Some(&input[..i]);
            }
        }
        rest = None;
        Some(input)
    })
}

/// Whether `b` may stand in a token (RFC 9110 §5.6.2), the grammar of
/// media types, parameter names and `Proxy-Status` tokens alike.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn ends_with_ignore_case(bytes: &[u8], suffix: &[u8]) -> bool {
    bytes.len() >= suffix.len() && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use BodyFormat::{Html, Json, Text};

    fn pick(accept: &str, fallback: BodyFormat) -> BodyFormat {
        negotiate(Some(&HeaderValue::from_str(accept).unwrap()), fallback)
    }

    #[test]
    fn q_values_decide() {
        assert_eq!(pick("application/json;q=0.9, text/html;q=0.1", Text), Json);
        assert_eq!(pick("application/json;q=0.1, text/html;q=0.9", Text), Html);
        assert_eq!(pick("text/plain;q=0.5, application/json;q=0.4", Html), Text);
    }

    #[test]
    fn browser_accept_gets_html() {
        let browser =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert_eq!(pick(browser, Text), Html);
        assert_eq!(pick(browser, Json), Html);
    }

    #[test]
    fn wildcards_fall_back() {
        assert_eq!(pick("*/*", Json), Json);
        assert_eq!(pick("*/*", Html), Html);
        assert_eq!(negotiate(None, Html), Html);
        assert_eq!(pick("image/png", Json), Json);
        assert_eq!(pick("text/*", Html), Html);
        assert_eq!(pick("text/*", Json), Html);
        assert_eq!(pick("text/*", Text), Text);
    }

    #[test]
    fn a_named_type_beats_a_wildcard_at_the_same_q() {
        // axios and fetch wrappers send this.
        assert_eq!(pick("application/json, text/plain, */*", Html), Json);
        assert_eq!(pick("application/json, text/plain, */*", Text), Json);
        assert_eq!(pick("text/plain, application/json", Json), Text);
        assert_eq!(pick("application/json, text/html", Html), Json);
        assert_eq!(pick("application/json, */*", Html), Json);
        assert_eq!(pick("application/json, */*", Text), Json);
    }

    #[test]
    fn json_suffixes_are_json() {
        assert_eq!(pick("application/vnd.api+json", Html), Json);
        assert_eq!(pick("application/problem+JSON", Html), Json);
        assert_eq!(pick("application/xml", Html), Html);
    }

    #[test]
    fn the_most_specific_range_sets_q() {
        // text/html is refused even though text/* is welcome.
        assert_eq!(pick("text/*;q=0.8, text/html;q=0", Json), Text);
        assert_eq!(pick("*/*;q=0.1, application/problem+json", Html), Json);
    }

    #[test]
    fn q_0_means_not_acceptable() {
        assert_eq!(pick("text/plain;q=0, */*", Text), Json);
        assert_eq!(pick("text/*;q=0, */*;q=0.5", Text), Json);
        assert_eq!(pick("text/*;q=0, */*;q=0.5", Html), Json);
        assert_eq!(pick("application/*;q=0, */*", Json), Html);
        assert_eq!(pick("*/*;q=0.9, text/plain;q=0.5", Text), Json);
        // The type the built-in JSON body is sent as, refused by name.
        assert_eq!(
            pick("application/json, application/problem+json;q=0", Html),
            Html
        );
        assert_eq!(
            pick(
                "application/json;q=0, application/problem+json, text/html;q=0.5",
                Html
            ),
            Json
        );
        assert_eq!(
            pick("application/json;q=0, application/vnd.api+json", Html),
            Json
        );
        // Nothing acceptable: the fallback, not a 406; unless the request
        // refused the fallback by name, then another it did not refuse.
        assert_eq!(pick("*/*;q=0", Html), Html);
        assert_eq!(pick("image/png", Json), Json);
        assert_eq!(pick("text/plain;q=0", Text), Json);
        assert_eq!(pick("text/*;q=0, application/json;q=0", Text), Text);
    }

    #[test]
    fn malformed_ranges_and_q_values_are_skipped() {
        assert_eq!(pick("text/html;q=2, application/json", Html), Json);
        assert_eq!(pick("text/html;q=abc, text/plain;q=0.5", Json), Text);
        assert_eq!(pick(",,, ;; /, text/plain", Json), Text);
        assert_eq!(pick("text/html;q=1.5", Json), Json);
    }

    #[test]
    fn a_weight_with_spaces_around_its_equals_sign_is_malformed() {
        // `q =0` is not the grammar's weight: the range is skipped, not
        // read as q=1.
        assert_eq!(pick("text/html;q =0, text/plain;q=0.5", Json), Text);
        // Skipped, not read as q=0, which would refuse HTML.
        assert_eq!(pick("text/html;q =0", Html), Html);
        assert_eq!(pick("text/html;q= 0, text/plain;q=0.5", Json), Text);
        assert_eq!(pick("text/html; q=0.1, text/plain;q=0.5", Json), Text);
    }

    #[test]
    fn parameters_other_than_q_narrow_the_range() {
        // `text/html;level=1` is not the HTML body: only `text/html;q=0`
        // speaks of it.
        assert_eq!(
            pick(
                "text/html;level=1, text/html;q=0, application/json;q=0.5",
                Html
            ),
            Json
        );
        assert_eq!(pick("text/html;level=1, text/plain;q=0.1", Json), Text);
        // Every body is UTF-8.
        assert_eq!(
            pick("text/html;charset=utf-8, text/plain;q=0.5", Json),
            Html
        );
        assert_eq!(
            pick("text/html;charset=\"UTF-8\", text/plain;q=0.5", Json),
            Html
        );
        assert_eq!(
            pick("text/html;charset=iso-8859-1, text/plain;q=0.5", Json),
            Text
        );
        // The range naming the bodies' charset is the more specific one,
        // wherever it stands.
        assert_eq!(
            pick(
                "text/html;charset=utf-8;q=0, text/html, text/plain;q=0.5",
                Html
            ),
            Text
        );
        assert_eq!(
            pick(
                "text/html;q=0, text/html;charset=utf-8, text/plain;q=0.5",
                Json
            ),
            Html
        );
        assert_eq!(
            pick(
                "application/json;charset=utf-8;q=0, application/*, text/plain;q=0.1",
                Json
            ),
            Text
        );
        // Still one named type among others: it does not outrank `text/html`
        // against `application/json` at the same q.
        assert_eq!(
            pick("application/json;charset=utf-8, text/html", Html),
            Json
        );
        assert_eq!(
            pick("text/html, application/json;charset=utf-8", Json),
            Html
        );
    }

    #[test]
    fn quoted_commas_and_semicolons_do_not_split() {
        assert_eq!(
            pick("text/html;x=\"a,b\";q=0, application/json;q=0.5", Html),
            Json
        );
        assert_eq!(
            pick(
                "text/html;x=\"a;q=1\\\";q=1,\";q=0, application/json;q=0.5",
                Html
            ),
            Json
        );
    }

    #[test]
    fn a_json_template_is_negotiated_as_the_application_json_it_is_sent_as() {
        let value = HeaderValue::from_static(
            "application/json;q=0, application/problem+json, text/html;q=0.5",
        );
        assert_eq!(
            Negotiator::new(Html, JsonType::Problem).choose(Some(&value)),
            Json
        );
        assert_eq!(
            Negotiator::new(Html, JsonType::Plain).choose(Some(&value)),
            Html
        );
        let value = HeaderValue::from_static("application/problem+json;q=0, application/json");
        assert_eq!(
            Negotiator::new(Html, JsonType::Plain).choose(Some(&value)),
            Json
        );
        assert_eq!(
            Negotiator::new(Html, JsonType::Problem).choose(Some(&value)),
            Html
        );
    }

    #[test]
    fn q_parsing() {
        assert_eq!(parse_q(b"1"), Some(1000));
        assert_eq!(parse_q(b"1.000"), Some(1000));
        assert_eq!(parse_q(b"0.5"), Some(500));
        assert_eq!(parse_q(b"0.123"), Some(123));
        assert_eq!(parse_q(b"0.1234"), None);
        assert_eq!(parse_q(b"1.001"), None);
        assert_eq!(parse_q(b""), None);
    }

    #[test]
    fn common_accepts_get_what_parsing_them_gives() {
        for fallback in BodyFormat::ALL {
            let negotiator = Negotiator::new(fallback, JsonType::Problem);
            for accept in COMMON_ACCEPTS {
                let value = HeaderValue::from_bytes(accept).unwrap();
                assert_eq!(
                    negotiator.choose(Some(&value)),
                    negotiate(Some(&value), fallback),
                    "{}",
                    String::from_utf8_lossy(accept)
                );
            }
            assert_eq!(negotiator.choose(None), fallback);
        }
        let browsers = &COMMON_ACCEPTS[5..8];
        for accept in browsers {
            let value = HeaderValue::from_bytes(accept).unwrap();
            assert_eq!(
                Negotiator::new(Json, JsonType::Problem).choose(Some(&value)),
                Html
            );
        }
    }

    #[test]
    fn values_near_a_common_one_are_parsed() {
        let negotiator = Negotiator::new(Html, JsonType::Problem);
        let choose =
            |accept: &str| negotiator.choose(Some(&HeaderValue::from_str(accept).unwrap()));
        assert_eq!(choose("application/json"), Json);
        assert_eq!(choose("application/json;q=0, text/plain"), Text);
        assert_eq!(choose("application/jsonx"), Html);
        assert_eq!(choose("*/*, text/plain"), Text);
        assert_eq!(choose("text/plain;q=0"), Html);
    }

    #[test]
    fn non_utf8_bytes_do_not_break_it() {
        let value =
            HeaderValue::from_bytes(b"text/html;q=0.2, \xff\xfe/\x80, application/json").unwrap();
        assert_eq!(negotiate(Some(&value), Html), Json);
    }
}
