//! Escaping dynamic text for each body format.

use std::fmt::Write as _;

/// Text safe to place in HTML element content or a quoted attribute.
pub(crate) fn push_html(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// `text` as a complete JSON string literal, quotes included.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
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
        }
    }
    out.push('"');
}

/// Text for a plain-text body: control characters (which could drive a
/// terminal) become U+FFFD; line breaks are kept only when `multiline`.
pub(crate) fn push_text(out: &mut String, text: &str, multiline: bool) {
    for c in text.chars() {
        if c.is_control() && !(multiline && c == '\n') {
            out.push('\u{fffd}');
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn text_drops_controls() {
        let mut out = String::new();
        push_text(&mut out, "a\r\nb\u{1b}", false);
        assert_eq!(out, "a\u{fffd}\u{fffd}b\u{fffd}");
    }
}
