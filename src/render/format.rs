//! [`BodyFormat`]: HTML, problem+json or plain text.

/// The format of a generated error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyFormat {
    /// A small HTML page, `text/html; charset=utf-8`.
    Html,
    /// RFC 9457 problem details, `application/problem+json`.
    Json,
    /// Plain text, `text/plain; charset=utf-8`.
    Text,
}

impl BodyFormat {
    /// How many formats there are: the length of every per-format table.
    pub(crate) const COUNT: usize = 3;

    pub(crate) const ALL: [BodyFormat; Self::COUNT] = [Self::Html, Self::Json, Self::Text];

    /// The `Content-Type` the built-in body of this format is sent with. (A
    /// JSON template of your own is sent as `application/json`.)
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Json => "application/problem+json",
            Self::Text => "text/plain; charset=utf-8",
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}
