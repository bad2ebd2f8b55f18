//! Escaping dynamic text for each body format.

use std::fmt::Write as _;

use super::format::BodyFormat;

// Each function copies runs of bytes that need no escaping in one go and
// only looks closely at the bytes that might: ASCII specials, ASCII
// controls, and the lead bytes of the few non-ASCII characters that need
// escaping (C1 controls start with 0xC2, U+2028/U+2029 with 0xE2).

/// Text safe to place in HTML element content or a quoted attribute.
pub(crate) fn push_html(out: &mut String, text: &str) {
    push_escaped(
        out,
        text,
        |b| {
            matches!(
                b,
                b'&' | b'<' | b'>' | b'"' | b'\'' | 0x00..=0x1f | 0x7f | 0xc2
            )
        },
        |out, c| match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        },
    );
}

/// `text` as a complete JSON string literal, quotes included.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    push_json_content(out, text);
    out.push('"');
}

/// `text` escaped for the inside of a JSON string literal.
pub(crate) fn push_json_content(out: &mut String, text: &str) {
    push_escaped(
        out,
        text,
        |b| {
            matches!(
                b,
                b'"' | b'\\' | b'<' | b'>' | 0x00..=0x1f | 0x7f | 0xc2 | 0xe2
            )
        },
        |out, c| match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `<` and `>` are escaped too, so the JSON stays inert if a
            // browser is tricked into treating it as HTML.
            c if c.is_control() || c == '<' || c == '>' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        },
    );
}

/// Text for a plain-text body: control characters (which could drive a
/// terminal) become U+FFFD; line breaks are kept only when `multiline`.
pub(crate) fn push_text(out: &mut String, text: &str, multiline: bool) {
    push_escaped(
        out,
        text,
        |b| matches!(b, 0x00..=0x1f | 0x7f | 0xc2),
        |out, c| {
            if c.is_control() && !(multiline && c == '\n') {
                out.push('\u{fffd}');
            } else {
                out.push(c);
            }
        },
    );
}

/// Whether every format writes `text` as it is: printable ASCII without
/// the characters HTML or JSON escape. A request id like this is sent as
/// a chunk of its own between a prepared page's text, uncopied into it.
pub(crate) fn is_plain(text: &[u8]) -> bool {
    text.iter().all(|&b| {
        matches!(b, b' '..=b'~') && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\\')
    })
}

/// Copies `text` to `out`, handing each character whose first byte
/// `maybe_special` flags to `escape`.
fn push_escaped(
    out: &mut String,
    text: &str,
    maybe_special: impl Fn(u8) -> bool,
    escape: impl Fn(&mut String, char),
) {
    out.reserve(text.len());
    let mut rest = text;
    while let Some(at) = rest.bytes().position(&maybe_special) {
        out.push_str(&rest[..at]);
        let c = rest[at..]
            .chars()
            .next()
            .expect("a char starts at a flagged byte");
        escape(out, c);
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// A field's value as `format` writes it: escaped for HTML and text, a
/// complete JSON value (string or `null`) for JSON.
pub(crate) fn push_value(out: &mut String, format: BodyFormat, text: Option<&str>) {
    match (format, text) {
        (BodyFormat::Json, Some(text)) => push_json_string(out, text),
        (BodyFormat::Json, None) => out.push_str("null"),
        (BodyFormat::Html, Some(text)) => push_html(out, text),
        (BodyFormat::Text, Some(text)) => push_text(out, text, false),
        (_, None) => {}
    }
}

/// A time as `format` writes it. Times are digits, `-`, `:`, spaces and
/// `UTC`, which no format escapes, so they are copied as they are.
pub(crate) fn push_time(out: &mut String, format: BodyFormat, time: &str) {
    debug_assert!(time
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-: ".contains(&b)));
    let quote = string_quote(format);
    out.push_str(quote);
    out.push_str(time);
    out.push_str(quote);
}

/// What `format` writes around a text value that needs no escaping (a
/// time, a plain request id): JSON's quotes, nothing for HTML and text. A
/// page prepared ahead puts them into its text around the holes.
pub(crate) const fn string_quote(format: BodyFormat) -> &'static str {
    match format {
        BodyFormat::Json => "\"",
        BodyFormat::Html | BodyFormat::Text => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_written_as_it_is_in_every_format() {
        for b in 0..=u8::MAX {
            let Ok(text) = std::str::from_utf8(std::slice::from_ref(&b)) else {
                assert!(!is_plain(&[b]), "{b:#x}: not text");
                continue;
            };
            let mut html = String::new();
            push_html(&mut html, text);
            let mut json = String::new();
            push_json_content(&mut json, text);
            let mut plain = String::new();
            push_text(&mut plain, text, false);
            let unescaped = html == text && json == text && plain == text;
            if is_plain(&[b]) {
                assert!(unescaped, "{b:#x} is plain but escaped");
            } else if b.is_ascii_graphic() || b == b' ' {
                assert!(
                    !unescaped,
                    "{b:#x} is written as it is: is_plain could allow it"
                );
            }
        }
        assert!(is_plain(b"0f8fad5b-d9cb-469f a_1/2"));
        assert!(!is_plain("é".as_bytes()), "not ASCII");
    }

    #[test]
    fn html_escapes_markup() {
        let mut out = String::new();
        push_html(&mut out, "<script>alert('x\")</script>&\u{1b}[31m");
        assert_eq!(
            out,
            "&lt;script&gt;alert(&#39;x&quot;)&lt;/script&gt;&amp;\u{fffd}[31m"
        );
    }

    #[test]
    fn json_strings_escape_quotes_and_controls() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\r\n\u{0}<x>");
        assert_eq!(out, r#""a\"b\\c\r\n\u0000\u003cx\u003e""#);
    }

    #[test]
    fn non_ascii_passes_and_special_non_ascii_is_escaped() {
        let mut out = String::new();
        push_json_string(&mut out, "caf\u{e9} \u{85} \u{2028} \u{20ac} \u{1f600}");
        assert_eq!(out, "\"caf\u{e9} \\u0085 \\u2028 \u{20ac} \u{1f600}\"");
        let mut out = String::new();
        push_html(&mut out, "caf\u{e9}\u{85}\u{a9}");
        assert_eq!(out, "caf\u{e9}\u{fffd}\u{a9}");
    }

    #[test]
    fn text_drops_controls() {
        let mut out = String::new();
        push_text(&mut out, "a\r\nb\u{1b}", false);
        assert_eq!(out, "a\u{fffd}\u{fffd}b\u{fffd}");
    }
}
