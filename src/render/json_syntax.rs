//! A JSON syntax check for user templates, so a broken JSON template is
//! rejected when the layer is built instead of sending invalid bodies.

/// Nesting deeper than this is refused; no error body needs it.
const MAX_DEPTH: usize = 64;

/// `Ok` if `text` is one complete JSON value; else the byte offset and what
/// was wrong there.
pub(crate) fn check(text: &str) -> std::result::Result<(), (usize, &'static str)> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    parser.value(0)?;
    parser.whitespace();
    if parser.at != parser.bytes.len() {
        return Err((parser.at, "text after the JSON value"));
    }
    Ok(())
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

type Result<T = ()> = std::result::Result<T, (usize, &'static str)>;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn fail<T>(&self, what: &'static str) -> Result<T> {
        Err((self.at, what))
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result {
        if depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        self.whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.fail("expected a JSON value"),
            None => self.fail("unexpected end, expected a JSON value"),
        }
    }

    fn object(&mut self, depth: usize) -> Result {
        if self.opened_empty(b'}') {
            return Ok(());
        }
        loop {
            self.whitespace();
            if self.peek() != Some(b'"') {
                return self.fail("expected a string key");
            }
            self.string()?;
            self.whitespace();
            if self.peek() != Some(b':') {
                return self.fail("expected `:` after a key");
            }
            self.at += 1;
            self.value(depth + 1)?;
            if !self.more(b'}', "expected `,` or `}`")? {
                return Ok(());
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result {
        if self.opened_empty(b']') {
            return Ok(());
        }
        loop {
            self.value(depth + 1)?;
            if !self.more(b']', "expected `,` or `]`")? {
                return Ok(());
            }
        }
    }

    /// Steps over an opening `{` or `[`, and over `close` when it follows
    /// at once: whether it did.
    fn opened_empty(&mut self, close: u8) -> bool {
        self.at += 1;
        self.whitespace();
        let empty = self.peek() == Some(close);
        if empty {
            self.at += 1;
        }
        empty
    }

    /// After a member or an element: steps over `,` (another follows,
    /// `true`) or `close` (the end, `false`).
    fn more(&mut self, close: u8, expected: &'static str) -> Result<bool> {
        self.whitespace();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(false)
            }
            _ => self.fail(expected),
        }
    }

    fn string(&mut self) -> Result {
        self.at += 1;
        loop {
            match self.peek() {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1
                        }
                        Some(b'u') => {
                            self.at += 1;
                            let unit = self.hex4()?;
                            // RFC 8259 §8.2: an unpaired surrogate does not
                            // interoperate; serde_json rejects it.
                            if (0xDC00..=0xDFFF).contains(&unit) {
                                return self.fail("a lone low surrogate escape");
                            }
                            if (0xD800..=0xDBFF).contains(&unit) {
                                const UNPAIRED: &str =
                                    "a high surrogate escape without its low half";
                                if !self.bytes[self.at..].starts_with(b"\\u") {
                                    return self.fail(UNPAIRED);
                                }
                                self.at += 2;
                                if !(0xDC00..=0xDFFF).contains(&self.hex4()?) {
                                    return self.fail(UNPAIRED);
                                }
                            }
                        }
                        _ => return self.fail("bad escape"),
                    }
                }
                Some(0..=0x1f) => return self.fail("control character in a string"),
                Some(_) => self.at += 1,
            }
        }
    }

    /// Four hex digits of a `\u` escape, as a UTF-16 code unit.
    fn hex4(&mut self) -> Result<u16> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let Some(digit) = self.peek().and_then(|b| char::from(b).to_digit(16)) else {
                return self.fail("bad \\u escape");
            };
            unit = unit * 16 + digit as u16;
            self.at += 1;
        }
        Ok(unit)
    }

    fn literal(&mut self, word: &'static str) -> Result {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            self.fail("expected true, false or null")
        }
    }

    fn number(&mut self) -> Result {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return self.fail("expected a digit"),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.fail("expected a digit after `.`");
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.fail("expected an exponent");
            }
            self.digits();
        }
        // RFC 8259 §6: numbers beyond a double's range do not interoperate;
        // common parsers (serde_json, found by fuzzing) reject them.
        let text = std::str::from_utf8(&self.bytes[start..self.at]).expect("ASCII digits");
        if !text.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err((start, "a number too large for a double"));
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_json() {
        for ok in [
            r#"{"a":1,"b":[true,false,null,-1.5e3],"c":{"d":"\u00e9\n"}}"#,
            " [ ] ",
            "0",
            r#""x""#,
            r#""\ud83d\ude00""#,
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_broken_json() {
        for bad in [
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "[1 2]",
            "01",
            r#""unterminated"#,
            "{} {}",
            "",
            r#"{"a":"x"y"}"#,
            // Found by fuzzing (fuzz/fuzz_targets/template.rs): valid by the
            // grammar, out of range for every common parser.
            "\n2222.2222e44444444444",
            "-1e309",
            // Unpaired surrogates: serde_json rejects them.
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\ud800\u0041"}"#,
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(check(&"[".repeat(100)).is_err());
    }
}
