//! User templates for the HTML and JSON bodies: `{{field}}` placeholders,
//! parsed and checked once, when the layer is built.

use std::fmt::Write as _;

use super::escape;
use super::Fields;
use crate::BodyFormat;

/// Why a template was rejected; part of [`ConfigError::Template`](crate::ConfigError::Template).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A placeholder names a field that does not exist.
    #[error("unknown field `{{{{{field}}}}}` at byte {offset}; the fields are {FIELD_NAMES}")]
    UnknownField {
        /// The name inside the braces.
        field: String,
        /// Where the placeholder starts in the template.
        offset: usize,
    },
    /// A `{{` has no matching `}}`.
    #[error("`{{{{` at byte {offset} has no closing `}}}}`")]
    Unclosed {
        /// Where the `{{` is in the template.
        offset: usize,
    },
    /// A JSON template does not produce valid JSON.
    #[error(
        "the template does not produce valid JSON ({reason} at byte {offset} of the output); \
         fields expand to complete JSON values, so write `\"error\": {{{{error}}}}`, \
         not `\"error\": \"{{{{error}}}}\"`"
    )]
    InvalidJson {
        /// What the JSON check found.
        reason: &'static str,
        /// Where, in the output rendered with sample values.
        offset: usize,
    },
}

const FIELD_NAMES: &str = "status, title, detail, error, request_id, details, proxy";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Status,
    Title,
    Detail,
    Error,
    RequestId,
    Details,
    Proxy,
}

impl Field {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "status" => Self::Status,
            "title" => Self::Title,
            "detail" => Self::Detail,
            "error" => Self::Error,
            "request_id" => Self::RequestId,
            "details" => Self::Details,
            "proxy" => Self::Proxy,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Field(Field),
}

/// A parsed template for one format.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    format: BodyFormat,
    segments: Vec<Segment>,
    uses_request: bool,
}

impl Template {
    /// Parses `source` for `format` (HTML or JSON) and checks it.
    pub(crate) fn parse(format: BodyFormat, source: &str) -> Result<Self, TemplateError> {
        let mut segments = Vec::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                segments.push(Segment::Literal(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or(TemplateError::Unclosed {
                offset: offset + open,
            })?;
            let name = after[..close].trim();
            let field = Field::from_name(name).ok_or_else(|| TemplateError::UnknownField {
                field: name.to_owned(),
                offset: offset + open,
            })?;
            segments.push(Segment::Field(field));
            let consumed = open + 2 + close + 2;
            rest = &rest[consumed..];
            offset += consumed;
        }
        if !rest.is_empty() {
            segments.push(Segment::Literal(rest.to_owned()));
        }
        let uses_request = segments
            .iter()
            .any(|s| matches!(s, Segment::Field(Field::RequestId | Field::Details)));
        let template = Self {
            format,
            segments,
            uses_request,
        };
        if format == BodyFormat::Json {
            // Optional fields expand to `null` or to a string: both must
            // give valid JSON, or a placeholder inside a string literal
            // would pass as `"id null"` and break once a request id came.
            for sample in [Fields::empty_sample(), Fields::full_sample()] {
                super::json_syntax::check(&template.render(&sample))
                    .map_err(|(offset, reason)| TemplateError::InvalidJson { reason, offset })?;
            }
        }
        Ok(template)
    }

    /// Whether the output depends on the request or the error text, so it
    /// cannot be rendered once up front.
    pub(crate) fn uses_request(&self) -> bool {
        self.uses_request
    }

    pub(crate) fn render(&self, fields: &Fields<'_>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Field(field) => self.push_field(&mut out, *field, fields),
            }
        }
        out
    }

    fn push_field(&self, out: &mut String, field: Field, fields: &Fields<'_>) {
        let text: Option<&str> = match field {
            Field::Status => {
                let _ = write!(out, "{}", fields.status);
                return;
            }
            Field::Title => Some(fields.title),
            Field::Detail => Some(fields.detail),
            // Empty for a replaced upstream error response, which has none.
            Field::Error => (!fields.error.is_empty()).then_some(fields.error),
            Field::Proxy => Some(fields.proxy),
            Field::RequestId => fields.request_id.as_deref(),
            Field::Details => fields.details,
        };
        match (self.format, text) {
            (BodyFormat::Json, Some(text)) => escape::push_json_string(out, text),
            (BodyFormat::Json, None) => out.push_str("null"),
            (_, Some(text)) => escape::push_html(out, text),
            (_, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named() {
        let err = Template::parse(BodyFormat::Html, "<p>{{ stauts }}</p>").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownField {
                field: "stauts".into(),
                offset: 3
            }
        );
        assert!(err.to_string().contains("`{{stauts}}`"), "{err}");
        assert!(err.to_string().contains("request_id"), "{err}");
    }

    #[test]
    fn an_empty_error_is_null_in_json() {
        // A replaced upstream error response has no error type.
        let template = Template::parse(BodyFormat::Json, r#"{"e": {{error}}}"#).unwrap();
        let fields = Fields {
            error: "",
            ..Fields::empty_sample()
        };
        assert_eq!(template.render(&fields), r#"{"e": null}"#);
        let full = template.render(&Fields::empty_sample());
        assert_eq!(full, r#"{"e": "proxy_internal_error"}"#);
    }

    #[test]
    fn unclosed_braces_are_rejected() {
        let err = Template::parse(BodyFormat::Html, "<p>{{status</p>").unwrap_err();
        assert_eq!(err, TemplateError::Unclosed { offset: 3 });
    }

    #[test]
    fn json_templates_must_be_json() {
        let err = Template::parse(BodyFormat::Json, r#"{"error": "{{error}}"}"#).unwrap_err();
        assert!(matches!(err, TemplateError::InvalidJson { .. }), "{err}");
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
    fn fields_are_escaped_for_the_format() {
        let mut fields = Fields::empty_sample();
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
}
