//! Evaluating a template: in full, for one failure ([`Template::render`]),
//! or with holes for the request id and the time ([`Template::pieces`]),
//! each field escaped for the format; and where each run of output came
//! from, for pointing a JSON error at the template.

use std::fmt::Write as _;

use super::{Field, Node, Template};
use crate::render::escape;
use crate::render::fields::Fields;

/// The request id while a template is evaluated.
#[derive(Debug, Clone, Copy)]
pub(super) enum Id<'a> {
    Absent,
    Text(&'a str),
    /// Unknown yet: leave a hole.
    Hole,
}

/// A piece of evaluated output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    RequestId,
    Time,
}

/// Where a run of output came from, for reporting a JSON error at its
/// place in the template.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin {
    pub(super) output: usize,
    pub(super) source: usize,
    pub(super) literal: bool,
}

impl Template {
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
    pub(crate) fn pieces(&self, fields: &Fields<'_>) -> (Vec<Piece>, Option<Vec<Piece>>) {
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

    pub(super) fn eval(&self, nodes: &[Node], fields: &Fields<'_>, id: Id<'_>, out: &mut Output) {
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
        escape::push_value(out.text(), self.format, text);
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

/// Where the output goes while evaluating: text pieces, holes, and
/// optionally where each run of text came from.
pub(super) struct Output {
    pieces: Vec<Piece>,
    origins: Option<Vec<Origin>>,
    length: usize,
}

impl Output {
    pub(super) fn plain() -> Self {
        Self {
            pieces: Vec::new(),
            origins: None,
            length: 0,
        }
    }

    pub(super) fn with_origins() -> Self {
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
    pub(super) fn into_text(mut self) -> (String, Vec<Origin>) {
        self.sync_length();
        let mut text = String::with_capacity(self.length);
        for piece in &self.pieces {
            if let Piece::Text(part) = piece {
                text.push_str(part);
            }
        }
        (text, self.origins.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use crate::render::fields::Fields;
    use crate::render::template::{Template, TemplateError};
    use crate::render::BodyFormat;

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
