//! The template language every error body is written in, the built-in
//! pages and yours alike: `{{field}}` placeholders and `{{#field}}…{{/field}}`
//! / `{{^field}}…{{/field}}` sections, parsed and checked once, when the
//! layer is built ([`Template`]).
//!
//! `parse.rs` reads a template into nodes; `check_json.rs` checks that a
//! JSON template gives valid JSON whichever optional fields are absent,
//! and points an error at its place in the template; `eval.rs` evaluates
//! one. Evaluation happens twice over: when the layer is built, with
//! everything known but the request id and the time, into [`Piece`]s,
//! literal text with holes where those go, which the answers made ahead
//! keep; then, per failure, only the holes are filled. A body that also
//! shows the error chain is rendered in full instead
//! ([`Template::render`]).

mod check_json;
mod eval;
mod parse;

pub(crate) use self::eval::Piece;
use super::format::BodyFormat;
use super::texts::Text;

/// Why a template was rejected; part of
/// [`ConfigError::Template`](crate::ConfigError::Template). Positions are
/// the template's own, counted from line 1, column 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A placeholder or section names a field that does not exist.
    #[error("unknown field `{{{{{field}}}}}` at line {line}, column {column}; the fields are {names}", names = field_names())]
    UnknownField {
        /// The name inside the braces.
        field: String,
        /// The line of the `{{`.
        line: usize,
        /// The column of the `{{`.
        column: usize,
    },
    /// A Mustache tag this language leaves out: unescaped output
    /// (`{{{field}}}`, `{{&field}}`), a partial (`{{>name}}`) or new
    /// delimiters (`{{=<% %>=}}`).
    #[error("`{{{{{tag}` at line {line}, column {column} is Mustache's {what}, which templates here leave out; {instead}", what = unsupported(*tag).0, instead = unsupported(*tag).1)]
    Unsupported {
        /// The character after `{{`.
        tag: char,
        /// The line of the `{{`.
        line: usize,
        /// The column of the `{{`.
        column: usize,
    },
    /// A `{{` has no matching `}}`.
    #[error("`{{{{` at line {line}, column {column} has no closing `}}}}`")]
    Unclosed {
        /// The line of the `{{`.
        line: usize,
        /// The column of the `{{`.
        column: usize,
    },
    /// A section `{{#field}}` or `{{^field}}` is never closed by
    /// `{{/field}}`.
    #[error("the section `{field}` opened at line {line}, column {column} is never closed; end it with `{{{{/{field}}}}}`")]
    UnclosedSection {
        /// The section's field.
        field: String,
        /// The line where it opens.
        line: usize,
        /// The column where it opens.
        column: usize,
    },
    /// A `{{/field}}` that closes no open section of that field.
    #[error("`{{{{/{field}}}}}` at line {line}, column {column} closes no open `{field}` section")]
    UnmatchedEnd {
        /// The field it names.
        field: String,
        /// Its line.
        line: usize,
        /// Its column.
        column: usize,
    },
    /// A JSON template does not produce valid JSON, for some combination of
    /// the fields that may be absent (`error`, `request_id`, `error_chain`).
    #[error("the template does not produce valid JSON: {reason} at line {line}, column {column}{hint}", hint = quoting_hint(*.placeholder_in_string))]
    InvalidJson {
        /// What the JSON check found.
        reason: &'static str,
        /// The template line where the invalid output comes from.
        line: usize,
        /// The template column where the invalid output comes from.
        column: usize,
        /// Whether a placeholder sits inside a JSON string in the
        /// template, the usual cause: fields expand to complete values.
        placeholder_in_string: bool,
    },
}

/// What an unsupported Mustache tag is, and what to write instead.
fn unsupported(tag: char) -> (&'static str, &'static str) {
    match tag {
        '{' | '&' => (
            "unescaped output",
            "every field is escaped for the body's format (that is what keeps \
             an upstream's text from becoming markup), so write `{{field}}`",
        ),
        '>' => (
            "partials",
            "a template is one string: put the shared part in it",
        ),
        _ => ("set delimiters", "the delimiters are always `{{` and `}}`"),
    }
}

fn quoting_hint(placeholder_in_string: bool) -> &'static str {
    if placeholder_in_string {
        "; fields expand to complete JSON values, so write `\"error\": {{error}}`, \
         not `\"error\": \"{{error}}\"`"
    } else {
        ""
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Status,
    Title,
    Detail,
    Error,
    RequestId,
    ErrorChain,
    Proxy,
    Lang,
    Heading,
    What,
    Advice,
    UpstreamState,
    SupportUrl,
    Time,
    /// A string of the page's language, `text.KEY`.
    Text(Text),
}

/// The fields a template names, by name; and `text.KEY` for the strings.
const NAMED: [(&str, Field); 14] = [
    ("status", Field::Status),
    ("title", Field::Title),
    ("detail", Field::Detail),
    ("error", Field::Error),
    ("request_id", Field::RequestId),
    ("error_chain", Field::ErrorChain),
    ("proxy", Field::Proxy),
    ("lang", Field::Lang),
    ("heading", Field::Heading),
    ("what", Field::What),
    ("advice", Field::Advice),
    ("upstream_state", Field::UpstreamState),
    ("support_url", Field::SupportUrl),
    ("time", Field::Time),
];

/// The names a template can use, for an error that says which.
fn field_names() -> String {
    let mut names: Vec<&str> = NAMED.iter().map(|(name, _)| *name).collect();
    names.push("text.KEY");
    names.join(", ")
}

impl Field {
    fn from_name(name: &str) -> Option<Self> {
        match NAMED.iter().find(|(named, _)| *named == name) {
            Some((_, field)) => Some(*field),
            None => Some(Self::Text(Text::from_key(name.strip_prefix("text.")?)?)),
        }
    }

    /// Whether the field's value depends on the page's language.
    fn is_localized(self) -> bool {
        matches!(
            self,
            Self::Lang
                | Self::Heading
                | Self::What
                | Self::Advice
                | Self::UpstreamState
                | Self::Text(_)
        )
    }
}

#[derive(Debug, Clone)]
enum Node {
    Literal {
        text: String,
        /// Where the text starts in the template source.
        at: usize,
    },
    Field {
        field: Field,
        at: usize,
    },
    /// Shown when `field` is present (`{{#field}}`), or when it is absent
    /// (`{{^field}}`).
    Section {
        field: Field,
        when_present: bool,
        body: Vec<Node>,
    },
}

/// A parsed, checked template for one format.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    format: BodyFormat,
    nodes: Vec<Node>,
}

impl Template {
    /// Parses `source` for `format` and checks it: fields exist, sections
    /// close, and a JSON template gives valid JSON whichever optional
    /// fields are absent.
    pub(crate) fn parse(format: BodyFormat, source: &str) -> Result<Self, TemplateError> {
        let template = Self {
            format,
            nodes: parse::nodes(source)?,
        };
        if format == BodyFormat::Json {
            check_json::check(&template, source)?;
        }
        Ok(template)
    }

    /// The format the template writes.
    pub(crate) fn format(&self) -> BodyFormat {
        self.format
    }

    /// Whether the output can differ by language: it shows one of the
    /// page's strings or its language tag.
    pub(crate) fn is_localized(&self) -> bool {
        fn any(nodes: &[Node]) -> bool {
            nodes.iter().any(|node| match node {
                Node::Literal { .. } => false,
                Node::Field { field, .. } => field.is_localized(),
                Node::Section { field, body, .. } => field.is_localized() || any(body),
            })
        }
        any(&self.nodes)
    }
}

/// Line and column (from 1; the column counts characters) of byte
/// `offset` in `source`.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
