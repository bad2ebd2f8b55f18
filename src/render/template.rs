//! The template language every error body is written in, the built-in
//! pages and yours alike: `{{field}}` placeholders and `{{#field}}…{{/field}}`
//! / `{{^field}}…{{/field}}` sections, parsed and checked once, when the
//! layer is built.
//!
//! A template is evaluated twice over. When the layer is built, with
//! everything known but the request id and the time, into [`Piece`]s:
//! literal text with holes where they go, which `prepared.rs` keeps. Per
//! failure, only the holes are filled. A body that also shows the error
//! chain is rendered in full instead ([`Template::render`]).

use std::fmt::Write as _;

use super::escape;
use super::fields::Fields;
use super::format::BodyFormat;
use super::json_syntax;
use super::texts::Text;

/// Why a template was rejected; part of
/// [`ConfigError::Template`](crate::ConfigError::Template). Positions are
/// the template's own, counted from line 1, column 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A placeholder or section names a field that does not exist.
    #[error("unknown field `{{{{{field}}}}}` at line {line}, column {column}; the fields are {FIELD_NAMES}")]
    UnknownField {
        /// The name inside the braces.
        field: String,
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

fn quoting_hint(placeholder_in_string: bool) -> &'static str {
    if placeholder_in_string {
        "; fields expand to complete JSON values, so write `\"error\": {{error}}`, \
         not `\"error\": \"{{error}}\"`"
    } else {
        ""
    }
}

const FIELD_NAMES: &str = "status, title, detail, error, request_id, error_chain, proxy, \
     lang, heading, what, advice, upstream_state, support_url, time, text.KEY";

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

impl Field {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "status" => Self::Status,
            "title" => Self::Title,
            "detail" => Self::Detail,
            "error" => Self::Error,
            "request_id" => Self::RequestId,
            "error_chain" => Self::ErrorChain,
            "proxy" => Self::Proxy,
            "lang" => Self::Lang,
            "heading" => Self::Heading,
            "what" => Self::What,
            "advice" => Self::Advice,
            "upstream_state" => Self::UpstreamState,
            "support_url" => Self::SupportUrl,
            "time" => Self::Time,
            _ => Self::Text(Text::from_key(name.strip_prefix("text.")?)?),
        })
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

/// The request id while a template is evaluated.
#[derive(Debug, Clone, Copy)]
enum Id<'a> {
    Absent,
    Text(&'a str),
    /// Unknown yet: leave a hole.
    Hole,
}

/// A piece of evaluated output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    Text(String),
    RequestId,
    Time,
}

/// Where a run of output came from, for reporting a JSON error at its
/// place in the template.
#[derive(Debug, Clone, Copy)]
struct Origin {
    output: usize,
    source: usize,
    literal: bool,
}

impl Template {
    /// Parses `source` for `format` and checks it: fields exist, sections
    /// close, and a JSON template gives valid JSON whichever optional
    /// fields are absent.
    pub(crate) fn parse(format: BodyFormat, source: &str) -> Result<Self, TemplateError> {
        // Open sections: the field (and its name), whether it shows when the
        // field is present, the nodes outside it so far, and where it opened.
        let mut stack: Vec<(Field, &str, bool, Vec<Node>, usize)> = Vec::new();
        let mut nodes = Vec::new();
        let mut offset = 0;
        while let Some(found) = source[offset..].find("{{") {
            let open = offset + found;
            if open > offset {
                nodes.push(Node::Literal {
                    text: source[offset..open].to_owned(),
                    at: offset,
                });
            }
            let inner_start = open + 2;
            let close = source[inner_start..].find("}}").ok_or_else(|| {
                let (line, column) = position(source, open);
                TemplateError::Unclosed { line, column }
            })?;
            let inner = source[inner_start..inner_start + close].trim();
            let (marker, name) = match inner.as_bytes().first() {
                Some(b'#' | b'^' | b'/') => (inner.as_bytes()[0], inner[1..].trim()),
                _ => (0, inner),
            };
            let field = Field::from_name(name).ok_or_else(|| {
                let (line, column) = position(source, open);
                TemplateError::UnknownField {
                    field: name.to_owned(),
                    line,
                    column,
                }
            })?;
            match marker {
                b'#' | b'^' => {
                    let outside = std::mem::take(&mut nodes);
                    stack.push((field, name, marker == b'#', outside, open));
                }
                b'/' => {
                    match stack.last() {
                        Some((opened, ..)) if *opened == field => {}
                        // Closing an outer section: the inner one is the
                        // one left open.
                        Some((_, inner, _, _, at)) if stack.iter().any(|s| s.0 == field) => {
                            let (line, column) = position(source, *at);
                            return Err(TemplateError::UnclosedSection {
                                field: (*inner).to_owned(),
                                line,
                                column,
                            });
                        }
                        _ => return Err(unmatched_end(source, name, open)),
                    }
                    let Some((_, _, when_present, outside, _)) = stack.pop() else {
                        unreachable!("the last section was just looked at");
                    };
                    let body = std::mem::replace(&mut nodes, outside);
                    nodes.push(Node::Section {
                        field,
                        when_present,
                        body,
                    });
                }
                _ => nodes.push(Node::Field { field, at: open }),
            }
            offset = inner_start + close + 2;
        }
        if offset < source.len() {
            nodes.push(Node::Literal {
                text: source[offset..].to_owned(),
                at: offset,
            });
        }
        if let Some((_, name, _, _, at)) = stack.pop() {
            let (line, column) = position(source, at);
            return Err(TemplateError::UnclosedSection {
                field: name.to_owned(),
                line,
                column,
            });
        }
        let template = Self { format, nodes };
        if format == BodyFormat::Json {
            template.check_json(source)?;
        }
        Ok(template)
    }

    /// Renders every combination of the optional fields and checks that
    /// each is one JSON value.
    fn check_json(&self, source: &str) -> Result<(), TemplateError> {
        for combination in 0..16u8 {
            let fields = Fields {
                error: if combination & 1 == 0 {
                    ""
                } else {
                    "proxy_internal_error"
                },
                request_id: (combination & 2 != 0).then_some("sample".into()),
                error_chain: (combination & 4 != 0).then_some("sample"),
                support_url: (combination & 8 != 0).then_some("https://example.com/help"),
                ..Fields::sample()
            };
            let id = fields.request_id.as_deref().map_or(Id::Absent, Id::Text);
            let mut out = Output::with_origins();
            self.eval(&self.nodes, &fields, id, &mut out);
            let (text, origins) = out.into_text();
            if let Err((offset, reason)) = json_syntax::check(&text) {
                let at = origins.source_offset(offset, source.len());
                let (line, column) = position(source, at);
                return Err(TemplateError::InvalidJson {
                    reason,
                    line,
                    column,
                    placeholder_in_string: origins.field_in_string(&text),
                });
            }
        }
        Ok(())
    }

    /// The whole body for `fields`.
    pub(crate) fn render(&self, fields: &Fields<'_>) -> String {
        let id = fields.request_id.as_deref().map_or(Id::Absent, Id::Text);
        let mut out = Output::plain();
        self.eval(&self.nodes, fields, id, &mut out);
        out.into_text().0
    }

    /// Evaluates everything but the request id and the time, which
    /// `fields` must not hold: the pieces around them without an id, and
    /// with one when that changes them.
    pub(super) fn pieces(&self, fields: &Fields<'_>) -> (Vec<Piece>, Option<Vec<Piece>>) {
        debug_assert!(fields.time.is_none() && fields.request_id.is_none());
        let mut without_id = Output::plain();
        self.eval(&self.nodes, fields, Id::Absent, &mut without_id);
        let mut with_id = Output::plain();
        self.eval(&self.nodes, fields, Id::Hole, &mut with_id);
        // Kept whenever an id changes the body: a placeholder, or a section
        // shown (or hidden) by whether there is one.
        let with_id = (with_id.pieces != without_id.pieces).then_some(with_id.pieces);
        (without_id.pieces, with_id)
    }

    /// The format the template writes.
    pub(super) fn format(&self) -> BodyFormat {
        self.format
    }

    fn eval(&self, nodes: &[Node], fields: &Fields<'_>, id: Id<'_>, out: &mut Output) {
        for node in nodes {
            match node {
                Node::Literal { text, at } => {
                    out.origin(*at, true);
                    out.push_str(text);
                }
                Node::Field { field, at } => {
                    out.origin(*at, false);
                    self.push_field(*field, fields, id, out);
                }
                Node::Section {
                    field,
                    when_present,
                    body,
                } => {
                    if is_present(*field, fields, id) == *when_present {
                        self.eval(body, fields, id, out);
                    }
                }
            }
        }
    }

    fn push_field(&self, field: Field, fields: &Fields<'_>, id: Id<'_>, out: &mut Output) {
        let [heading, what, _] = fields.situation.texts();
        let text: Option<&str> = match field {
            Field::Status => {
                let _ = write!(out.text(), "{}", fields.status);
                return;
            }
            Field::Title => Some(fields.title),
            Field::Detail => Some(fields.detail),
            Field::Error => (!fields.error.is_empty()).then_some(fields.error),
            Field::Proxy => Some(fields.proxy),
            Field::ErrorChain => fields.error_chain,
            Field::Lang => Some(fields.lang),
            Field::Heading => Some(fields.text(heading)),
            Field::What => Some(fields.text(what)),
            Field::Advice => Some(&fields.advice),
            Field::UpstreamState => Some(fields.text(fields.situation.upstream_hop())),
            Field::SupportUrl => fields.support_url,
            Field::Text(text) => Some(fields.text(text)),
            Field::Time => match fields.time {
                Some(time) => Some(time),
                None => {
                    out.pieces.push(Piece::Time);
                    return;
                }
            },
            Field::RequestId => match id {
                Id::Absent => None,
                Id::Text(text) => Some(text),
                Id::Hole => {
                    out.pieces.push(Piece::RequestId);
                    return;
                }
            },
        };
        push_value(out.text(), self.format, text);
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

impl Field {
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

fn is_present(field: Field, fields: &Fields<'_>, id: Id<'_>) -> bool {
    match field {
        Field::Error => !fields.error.is_empty(),
        Field::ErrorChain => fields.error_chain.is_some(),
        Field::RequestId => !matches!(id, Id::Absent),
        Field::SupportUrl => fields.support_url.is_some(),
        Field::Status
        | Field::Title
        | Field::Detail
        | Field::Proxy
        | Field::Lang
        | Field::Heading
        | Field::What
        | Field::Advice
        | Field::UpstreamState
        | Field::Time
        | Field::Text(_) => true,
    }
}

/// A field's value as `format` writes it: escaped for HTML and text, a
/// complete JSON value (string or `null`) for JSON.
pub(super) fn push_value(out: &mut String, format: BodyFormat, text: Option<&str>) {
    match (format, text) {
        (BodyFormat::Json, Some(text)) => escape::push_json_string(out, text),
        (BodyFormat::Json, None) => out.push_str("null"),
        (BodyFormat::Html, Some(text)) => escape::push_html(out, text),
        (BodyFormat::Text, Some(text)) => escape::push_text(out, text, false),
        (_, None) => {}
    }
}

/// A time as `format` writes it. Times are digits, `-`, `:`, spaces and
/// `UTC`, which no format escapes, so they are copied as they are.
pub(super) fn push_time(out: &mut String, format: BodyFormat, time: &str) {
    debug_assert!(time
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-: ".contains(&b)));
    match format {
        BodyFormat::Json => {
            out.push('"');
            out.push_str(time);
            out.push('"');
        }
        BodyFormat::Html | BodyFormat::Text => out.push_str(time),
    }
}

/// Where the output goes while evaluating: text pieces, holes, and
/// optionally where each run of text came from.
struct Output {
    pieces: Vec<Piece>,
    origins: Option<Vec<Origin>>,
    length: usize,
}

impl Output {
    fn plain() -> Self {
        Self {
            pieces: Vec::new(),
            origins: None,
            length: 0,
        }
    }

    fn with_origins() -> Self {
        Self {
            origins: Some(Vec::new()),
            ..Self::plain()
        }
    }

    fn origin(&mut self, source: usize, literal: bool) {
        if self.origins.is_none() {
            return;
        }
        self.sync_length();
        let output = self.length;
        if let Some(origins) = &mut self.origins {
            origins.push(Origin {
                output,
                source,
                literal,
            });
        }
    }

    /// The text piece at the end, to append to.
    fn text(&mut self) -> &mut String {
        if !matches!(self.pieces.last(), Some(Piece::Text(_))) {
            self.pieces.push(Piece::Text(String::new()));
        }
        match self.pieces.last_mut() {
            Some(Piece::Text(text)) => text,
            _ => unreachable!("a text piece was just pushed"),
        }
    }

    fn push_str(&mut self, text: &str) {
        self.text().push_str(text);
    }

    fn sync_length(&mut self) {
        self.length = self
            .pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.len(),
                Piece::RequestId | Piece::Time => 0,
            })
            .sum();
    }

    /// The output as one string (holes dropped), with its origins.
    fn into_text(mut self) -> (String, Origins) {
        self.sync_length();
        let mut text = String::with_capacity(self.length);
        for piece in &self.pieces {
            if let Piece::Text(part) = piece {
                text.push_str(part);
            }
        }
        (text, Origins(self.origins.unwrap_or_default()))
    }
}

struct Origins(Vec<Origin>);

impl Origins {
    /// The template offset that produced output byte `offset`: inside a
    /// literal, the same byte of the source; inside a field's value, the
    /// placeholder.
    fn source_offset(&self, offset: usize, source_len: usize) -> usize {
        match self.0.iter().rev().find(|origin| origin.output <= offset) {
            Some(origin) if origin.literal => {
                (origin.source + offset - origin.output).min(source_len)
            }
            Some(origin) => origin.source,
            None => 0,
        }
    }

    /// Whether, in `output`, some field's value starts inside a JSON string:
    /// a placeholder written between quotes in the template.
    fn field_in_string(&self, output: &str) -> bool {
        let mut in_string = false;
        let mut escaped = false;
        let mut fields = self.0.iter().filter(|origin| !origin.literal).peekable();
        for (at, byte) in output.bytes().enumerate() {
            while fields.peek().is_some_and(|field| field.output <= at) {
                if in_string && fields.peek().is_some_and(|field| field.output == at) {
                    return true;
                }
                fields.next();
            }
            match (byte, escaped) {
                (_, true) => escaped = false,
                (b'\\', false) if in_string => escaped = true,
                (b'"', false) => in_string = !in_string,
                _ => {}
            }
        }
        false
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

fn unmatched_end(source: &str, name: &str, at: usize) -> TemplateError {
    let (line, column) = position(source, at);
    TemplateError::UnmatchedEnd {
        field: name.to_owned(),
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named_with_their_line_and_column() {
        let err = Template::parse(BodyFormat::Html, "<h1>\n<p>{{ stauts }}</p>").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownField {
                field: "stauts".into(),
                line: 2,
                column: 4
            }
        );
        assert!(err.to_string().contains("`{{stauts}}`"), "{err}");
        assert!(err.to_string().contains("line 2, column 4"), "{err}");
        assert!(err.to_string().contains("request_id"), "{err}");
    }

    #[test]
    fn an_empty_error_is_null_in_json() {
        // A replaced upstream error response has no error type.
        let template = Template::parse(BodyFormat::Json, r#"{"e": {{error}}}"#).unwrap();
        let fields = Fields {
            error: "",
            ..Fields::sample()
        };
        assert_eq!(template.render(&fields), r#"{"e": null}"#);
        let full = template.render(&Fields::sample());
        assert_eq!(full, r#"{"e": "proxy_internal_error"}"#);
    }

    #[test]
    fn unclosed_braces_are_rejected() {
        let err = Template::parse(BodyFormat::Html, "<p>{{status</p>").unwrap_err();
        assert_eq!(err, TemplateError::Unclosed { line: 1, column: 4 });
    }

    #[test]
    fn sections_show_a_part_only_when_a_field_is_there_or_not() {
        let template = Template::parse(
            BodyFormat::Html,
            "{{#request_id}}Ref: {{request_id}}{{/request_id}}{{^request_id}}no ref{{/request_id}}",
        )
        .unwrap();
        let mut fields = Fields::sample();
        assert_eq!(template.render(&fields), "no ref");
        fields.request_id = Some("a<b".into());
        assert_eq!(template.render(&fields), "Ref: a&lt;b");
    }

    #[test]
    fn sections_must_close_in_order() {
        let err = Template::parse(BodyFormat::Html, "{{#error}}x").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnclosedSection {
                field: "error".into(),
                line: 1,
                column: 1
            }
        );
        let err = Template::parse(BodyFormat::Html, "{{#error}}{{/request_id}}").unwrap_err();
        assert!(matches!(err, TemplateError::UnmatchedEnd { .. }), "{err}");
        let err = Template::parse(BodyFormat::Html, "x{{/error}}").unwrap_err();
        assert!(err.to_string().contains("closes no open"), "{err}");
    }

    #[test]
    fn json_templates_must_be_json_for_every_optional_field() {
        let err = Template::parse(BodyFormat::Json, r#"{"error": "{{error}}"}"#).unwrap_err();
        assert!(matches!(err, TemplateError::InvalidJson { .. }), "{err}");
        assert!(err.to_string().contains("complete JSON values"), "{err}");
        // Passes with `null` but breaks once a request id is there.
        let err = Template::parse(BodyFormat::Json, r#"{"msg": "id {{request_id}}"}"#).unwrap_err();
        assert!(matches!(err, TemplateError::InvalidJson { .. }), "{err}");
        Template::parse(
            BodyFormat::Json,
            r#"{"status": {{status}}, "id": {{request_id}}}"#,
        )
        .unwrap();
    }

    #[test]
    fn the_quoting_hint_looks_at_the_output_that_failed() {
        // Quoted in the branch shown when there is an error: the hint fits.
        let err = Template::parse(
            BodyFormat::Json,
            r#"{"e": {{#error}}"{{error}}"{{/error}}{{^error}}null{{/error}}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("complete JSON values"), "{err}");
        // Quotes balanced across the two branches, nothing quoted: no hint.
        let err = Template::parse(
            BodyFormat::Json,
            r#"{ {{#error}}"a": 1{{/error}}{{^error}}"b": 2{{/error}} "c" {{status}}}"#,
        )
        .unwrap_err();
        assert!(!err.to_string().contains("complete JSON values"), "{err}");
    }

    #[test]
    fn json_errors_point_into_the_template_and_hint_only_when_it_fits() {
        // A missing comma, nothing quoted: no quoting hint, and the place is
        // the template's second line.
        let err = Template::parse(BodyFormat::Json, "{\"a\": 1\n \"b\": {{status}}}").unwrap_err();
        let TemplateError::InvalidJson {
            line,
            placeholder_in_string,
            ..
        } = err
        else {
            panic!("{err}");
        };
        assert_eq!(line, 2);
        assert!(!placeholder_in_string);
        assert!(!err.to_string().contains("complete JSON values"), "{err}");
    }

    #[test]
    fn fields_are_escaped_for_the_format() {
        let mut fields = Fields::sample();
        fields.request_id = Some("<b>\"x\"</b>".into());
        let html = Template::parse(BodyFormat::Html, "<i>{{request_id}}</i>").unwrap();
        assert_eq!(
            html.render(&fields),
            "<i>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</i>"
        );
        let json = Template::parse(BodyFormat::Json, r#"{"id":{{request_id}}}"#).unwrap();
        assert_eq!(
            json.render(&fields),
            r#"{"id":"\u003cb\u003e\"x\"\u003c/b\u003e"}"#
        );
    }

    #[test]
    fn crossed_sections_name_the_one_left_open() {
        let err =
            Template::parse(BodyFormat::Html, "{{#error}}{{#request_id}}x{{/error}}").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnclosedSection {
                field: "request_id".into(),
                line: 1,
                column: 11
            }
        );
    }

    #[test]
    fn the_words_of_the_pages_are_fields_too() {
        let template = Template::parse(
            BodyFormat::Html,
            "<html lang=\"{{lang}}\">{{heading}}|{{text.what_you_can_do}}: {{advice}}|{{upstream_state}}\
             {{#support_url}}|{{support_url}}{{/support_url}}",
        )
        .unwrap();
        assert!(template.is_localized());
        let page = template.render(&Fields::sample());
        assert_eq!(
            page,
            "<html lang=\"en\">Something went wrong|What you can do: Try again in a few minutes.|failed"
        );
        let err = Template::parse(BodyFormat::Html, "{{text.}}").unwrap_err();
        assert!(matches!(err, TemplateError::UnknownField { .. }));
    }
}
