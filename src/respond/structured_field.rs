//! Structured field syntax (RFC 8941, and the date and display string of
//! RFC 9651), as much as `Proxy-Status` needs: a check that a field value
//! is a valid `Proxy-Status` List, so an upstream's invalid value is not
//! combined with ours; and writing strings and tokens.

use crate::render::is_tchar;

/// Whether `value` (the field lines, joined with `", "`) is a valid
/// Structured Field List (RFC 8941 §4.2.1, §4.2.3 with RFC 9651's dates and
/// display strings). An empty value is an empty list. The answers need
/// only [`is_proxy_status`]; the tests check the parser with this.
#[cfg(test)]
pub(crate) fn is_list(value: &[u8]) -> bool {
    is_list_of(value, |_| true)
}

/// Whether `value` is a valid `Proxy-Status`: a List whose members are
/// each a String or a Token, with parameters (RFC 9209 §2). A field that
/// breaks the constraints of its definition is invalid whole (RFC 9651
/// §2).
pub(crate) fn is_proxy_status(value: &[u8]) -> bool {
    is_list_of(value, |first| {
        first == b'"' || first.is_ascii_alphabetic() || first == b'*'
    })
}

/// [`is_list`], with each member's first byte also passing `member_ok`.
fn is_list_of(value: &[u8], member_ok: impl Fn(u8) -> bool) -> bool {
    let mut parser = Parser {
        input: value,
        at: 0,
    };
    parser.skip_sp();
    if parser.done() {
        return true;
    }
    loop {
        if !parser.peek().is_some_and(&member_ok) || parser.member().is_none() {
            return false;
        }
        parser.skip_ows();
        if parser.done() {
            return true;
        }
        if parser.next() != Some(b',') {
            return false;
        }
        parser.skip_ows();
        // A trailing comma leaves the list without a member.
        if parser.done() {
            return false;
        }
    }
}

/// Whether `s` can be written as an sf-token (RFC 8941 §3.3.4).
pub(crate) fn is_token(s: &str) -> bool {
    let mut bytes = s.bytes();
    let first_ok = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'*');
    first_ok && bytes.all(|b| is_tchar(b) || b == b':' || b == b'/')
}

/// Appends `s` as an sf-string: quoted, `"` and `\` escaped, and anything
/// an sf-string cannot hold (outside visible ASCII and space) as `?`.
pub(crate) fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn done(&self) -> bool {
        self.at >= self.input.len()
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// An item or an inner list, with its parameters.
    fn member(&mut self) -> Option<()> {
        if self.peek() == Some(b'(') {
            self.inner_list()
        } else {
            self.bare_item()?;
            self.parameters()
        }
    }

    fn inner_list(&mut self) -> Option<()> {
        self.next(); // `(`
        loop {
            self.skip_sp();
            match self.peek()? {
                b')' => {
                    self.at += 1;
                    return self.parameters();
                }
                _ => {
                    self.bare_item()?;
                    self.parameters()?;
                    // Items are separated by at least one space.
                    if !matches!(self.peek()?, b' ' | b')') {
                        return None;
                    }
                }
            }
        }
    }

    fn parameters(&mut self) -> Option<()> {
        while self.peek() == Some(b';') {
            self.at += 1;
            self.skip_sp();
            self.key()?;
            if self.peek() == Some(b'=') {
                self.at += 1;
                self.bare_item()?;
            }
        }
        Some(())
    }

    fn key(&mut self) -> Option<()> {
        match self.next()? {
            b'a'..=b'z' | b'*' => {}
            _ => return None,
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.at += 1;
        }
        Some(())
    }

    fn bare_item(&mut self) -> Option<()> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string(),
            b':' => self.byte_sequence(),
            b'?' => {
                self.at += 1;
                matches!(self.next()?, b'0' | b'1').then_some(())
            }
            b'@' => {
                self.at += 1;
                self.number_of_kind(false)
            }
            b'%' => self.display_string(),
            b'A'..=b'Z' | b'a'..=b'z' | b'*' => {
                self.at += 1;
                while matches!(self.peek(), Some(b) if is_tchar(b) || b == b':' || b == b'/') {
                    self.at += 1;
                }
                Some(())
            }
            _ => None,
        }
    }

    fn number(&mut self) -> Option<()> {
        self.number_of_kind(true)
    }

    /// An integer (at most 15 digits) or, if `decimals` are allowed, a
    /// decimal (at most 12 integer and 3 fraction digits).
    fn number_of_kind(&mut self, decimals: bool) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        let integer = self.at - start;
        if integer == 0 {
            return None;
        }
        if decimals && self.peek() == Some(b'.') {
            if integer > 12 {
                return None;
            }
            self.at += 1;
            let start = self.at;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.at += 1;
            }
            let fraction = self.at - start;
            return (1..=3).contains(&fraction).then_some(());
        }
        (integer <= 15).then_some(())
    }

    fn string(&mut self) -> Option<()> {
        self.next(); // `"`
        loop {
            match self.next()? {
                b'\\' => match self.next()? {
                    b'"' | b'\\' => {}
                    _ => return None,
                },
                b'"' => return Some(()),
                0x20..=0x7e => {}
                _ => return None,
            }
        }
    }

    /// `:` base64 `:`, which must decode: `=` only as padding at the end,
    /// and no length base64 cannot have. Missing padding is accepted, as
    /// RFC 8941 §4.2.7 asks of recipients.
    fn byte_sequence(&mut self) -> Option<()> {
        self.next(); // `:`
        let start = self.at;
        loop {
            match self.next()? {
                b':' => break,
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {}
                _ => return None,
            }
        }
        let content = &self.input[start..self.at - 1];
        let data = content
            .strip_suffix(b"==")
            .or_else(|| content.strip_suffix(b"="))
            .unwrap_or(content);
        let padded = data.len() != content.len();
        let fits =
            !data.contains(&b'=') && data.len() % 4 != 1 && (!padded || content.len() % 4 == 0);
        fits.then_some(())
    }

    /// RFC 9651's `%"…"`: visible ASCII, with `%` followed by two
    /// lowercase hex digits, decoding to UTF-8.
    fn display_string(&mut self) -> Option<()> {
        self.next(); // `%`
        if self.next()? != b'"' {
            return None;
        }
        let mut decoded = Vec::new();
        loop {
            match self.next()? {
                b'"' => return std::str::from_utf8(&decoded).ok().map(drop),
                b'%' => {
                    let mut byte = 0u8;
                    for _ in 0..2 {
                        let digit = match self.next()? {
                            d @ b'0'..=b'9' => d - b'0',
                            d @ b'a'..=b'f' => d - b'a' + 10,
                            _ => return None,
                        };
                        byte = byte << 4 | digit;
                    }
                    decoded.push(byte);
                }
                c @ 0x20..=0x7e => decoded.push(c),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_lists() {
        for value in [
            "",
            "edge-1",
            "edge-1; error=connection_refused",
            "cdn; error=connection_timeout, lb, gateway; received-status=504",
            r#""my proxy"; error=dns_error; rcode="NXDOMAIN"; info-code=3"#,
            "a;b=?1;c=-12.5;d=:aGVsbG8=:, (x y);z, @1659578233, %\"caf%c3%a9\"",
            "  spaced ,\tmembers  ",
        ] {
            assert!(is_list(value.as_bytes()), "{value:?}");
        }
    }

    #[test]
    fn invalid_lists() {
        for value in [
            "a,",
            ",a",
            "a,,b",
            "1a",
            "a; Key=1",
            "a; error=",
            "\"unclosed",
            "\"bad \\x escape\"",
            "(a b",
            "(a\"b\")",
            "a b",
            "1234567890123456",
            "1.2345",
            ":not base64!:",
            "?2",
            "%\"upper %C3\"",
            "%\"%ff\"",
            ":a:",
            ":=:",
            ":ab=c:",
            "caf\u{e9}",
        ] {
            assert!(!is_list(value.as_bytes()), "{value:?}");
        }
    }

    #[test]
    fn proxy_status_members_are_strings_or_tokens() {
        for value in [
            "",
            "lb-a",
            r#"lb-a; error=http_protocol_error, "edge 2"; received-status=502"#,
            "*cdn",
        ] {
            assert!(is_proxy_status(value.as_bytes()), "{value:?}");
        }
        for value in ["1", "lb-a, ?0", "(lb-a lb-b)", "lb-a, :aGk=:", "lb-a, @1"] {
            assert!(is_list(value.as_bytes()), "{value:?}");
            assert!(!is_proxy_status(value.as_bytes()), "{value:?}");
        }
    }

    #[test]
    fn strings_and_tokens() {
        assert!(is_token("edge-1"));
        assert!(is_token("http/1.1"));
        assert!(!is_token("1proxy"));
        assert!(!is_token("my proxy"));
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\r\u{e9}");
        assert_eq!(out, r#""a\"b\\c??""#);
    }
}
