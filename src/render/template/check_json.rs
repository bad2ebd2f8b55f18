//! Checking a JSON template: every combination of the fields that may be
//! absent must give one JSON value. An error points at the place in the
//! template that wrote the invalid output, with a hint when a placeholder
//! sits inside a JSON string.

use super::eval::{Id, Origin, Output};
use super::{position, Template, TemplateError};
use crate::render::fields::Fields;
use crate::render::json_syntax;

/// Renders every combination of the optional fields and checks that
/// each is one JSON value.
pub(super) fn check(template: &Template, source: &str) -> Result<(), TemplateError> {
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
        template.eval(&template.nodes, &fields, id, &mut out);
        let (text, origins) = out.into_text();
        if let Err((offset, reason)) = json_syntax::check(&text) {
            let at = source_offset(&origins, offset, source.len());
            let (line, column) = position(source, at);
            return Err(TemplateError::InvalidJson {
                reason,
                line,
                column,
                placeholder_in_string: field_in_string(&origins, &text),
            });
        }
    }
    Ok(())
}

/// The template offset that produced output byte `offset`: inside a
/// literal, the same byte of the source; inside a field's value, the
/// placeholder.
fn source_offset(origins: &[Origin], offset: usize, source_len: usize) -> usize {
    match origins.iter().rev().find(|origin| origin.output <= offset) {
        Some(origin) if origin.literal => (origin.source + offset - origin.output).min(source_len),
        Some(origin) => origin.source,
        None => 0,
    }
}

/// Whether, in `output`, some field's value starts inside a JSON string:
/// a placeholder written between quotes in the template.
fn field_in_string(origins: &[Origin], output: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut fields = origins.iter().filter(|origin| !origin.literal).peekable();
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

#[cfg(test)]
mod tests {
    use crate::render::template::{Template, TemplateError};
    use crate::render::BodyFormat;

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
}
