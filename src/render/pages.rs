//! The built-in error bodies, written in the crate's own template language,
//! and [`Pages`]: the template for each format, built-in or yours.

use super::fields::Fields;
use super::format::BodyFormat;
use super::template::{Prepared, Template, TemplateError};

/// A small page: status, what happened, and the references to quote.
const HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{status}} {{title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:38em;margin:4em auto;padding:0 1em;color:#222;line-height:1.5}h1{font-size:1.6em}.meta{color:#666;font-size:.9em}pre{white-space:pre-wrap;background:#f4f4f4;padding:.8em}</style>
</head>
<body>
<h1>{{status}} {{title}}</h1>
<p>{{detail}}</p>
{{#error}}<p class="meta">Error: <code>{{error}}</code>{{#request_id}}<br>Request ID: <code>{{request_id}}</code>{{/request_id}}</p>
{{/error}}{{^error}}{{#request_id}}<p class="meta">Request ID: <code>{{request_id}}</code></p>
{{/request_id}}{{/error}}{{#error_chain}}<pre>{{error_chain}}</pre>
{{/error_chain}}</body>
</html>
"#;

/// RFC 9457 problem details. `type` stays `about:blank`, so `title` is the
/// status phrase, as §4.2.1 asks; the extension members are there only when
/// they have a value.
const JSON: &str = concat!(
    r#"{"type":"about:blank","title":{{title}},"status":{{status}},"detail":{{detail}}"#,
    r#"{{#error}},"proxy_error":{{error}}{{/error}}"#,
    r#"{{#request_id}},"request_id":{{request_id}}{{/request_id}}"#,
    r#"{{#error_chain}},"details":{{error_chain}}{{/error_chain}}}"#,
    "\n",
);

const TEXT: &str = "{{status}} {{title}}\n{{detail}}\
{{#error}}\nerror: {{error}}{{/error}}\
{{#request_id}}\nrequest id: {{request_id}}{{/request_id}}\
{{#error_chain}}\ndetails: {{error_chain}}{{/error_chain}}\n";

/// The template for each format: the built-in pages, or the user's HTML and
/// JSON templates where set.
#[derive(Debug, Clone)]
pub(crate) struct Pages {
    html: Template,
    json: Template,
    text: Template,
    /// A user's JSON template is their own shape, not necessarily an RFC
    /// 9457 problem document, so it is sent as plain `application/json`.
    custom_json: bool,
}

impl Pages {
    /// The built-in pages, with `html` and `json` templates in their place
    /// where given; a template that does not parse names its format.
    pub(crate) fn compile(
        html: Option<&str>,
        json: Option<&str>,
    ) -> Result<Self, (BodyFormat, TemplateError)> {
        let parse = |format, source| Template::parse(format, source).map_err(|e| (format, e));
        Ok(Self {
            html: parse(BodyFormat::Html, html.unwrap_or(HTML))?,
            json: parse(BodyFormat::Json, json.unwrap_or(JSON))?,
            text: parse(BodyFormat::Text, TEXT)?,
            custom_json: json.is_some(),
        })
    }

    fn template(&self, format: BodyFormat) -> &Template {
        match format {
            BodyFormat::Html => &self.html,
            BodyFormat::Json => &self.json,
            BodyFormat::Text => &self.text,
        }
    }

    /// The whole body in `format`.
    pub(crate) fn render(&self, format: BodyFormat, fields: &Fields<'_>) -> bytes::Bytes {
        bytes::Bytes::from(self.template(format).render(fields))
    }

    /// The body in `format` with everything but the request id filled in.
    pub(crate) fn prepare(&self, format: BodyFormat, fields: &Fields<'_>) -> Prepared {
        self.template(format).prepare(fields)
    }

    /// The `Content-Type` a body in `format` is sent with.
    pub(crate) fn content_type(&self, format: BodyFormat) -> &'static str {
        match format {
            BodyFormat::Json if self.custom_json => "application/json",
            _ => format.content_type(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Pages {
        Pages::compile(None, None).expect("the built-in pages parse")
    }

    #[test]
    fn the_html_page_shows_each_reference_only_when_there_is_one() {
        let pages = builtin();
        let mut fields = Fields::sample();
        let page = pages.render(BodyFormat::Html, &fields);
        let page = std::str::from_utf8(&page).unwrap();
        assert!(page.contains("<p class=\"meta\">Error: <code>proxy_internal_error</code></p>\n"));
        assert!(!page.contains("Request ID"));
        assert!(!page.contains("<pre>"));

        fields.request_id = Some("r-1".into());
        fields.error = "";
        let page = pages.render(BodyFormat::Html, &fields);
        let page = std::str::from_utf8(&page).unwrap();
        assert!(page.contains("<p class=\"meta\">Request ID: <code>r-1</code></p>\n"));
        assert!(!page.contains("Error:"));
    }

    #[test]
    fn the_json_page_is_a_problem_document_with_members_only_when_set() {
        let pages = builtin();
        let mut fields = Fields::sample();
        fields.request_id = Some("r\"1".into());
        let body = pages.render(BodyFormat::Json, &fields);
        assert_eq!(
            body,
            "{\"type\":\"about:blank\",\"title\":\"Bad Gateway\",\"status\":502,\
             \"detail\":\"sample\",\"proxy_error\":\"proxy_internal_error\",\
             \"request_id\":\"r\\\"1\"}\n"
        );
        assert_eq!(
            pages.content_type(BodyFormat::Json),
            "application/problem+json"
        );
    }

    #[test]
    fn the_text_page_has_one_line_per_fact() {
        let mut fields = Fields::sample();
        fields.error_chain = Some("refused\r\nX");
        let body = builtin().render(BodyFormat::Text, &fields);
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text
            .starts_with("502 Bad Gateway\nsample\nerror: proxy_internal_error\ndetails: refused"));
        assert!(!text.contains('\r'), "{text:?}");
    }

    #[test]
    fn a_json_template_of_your_own_is_plain_json() {
        let pages = Pages::compile(None, Some(r#"{"code": {{status}}}"#)).unwrap();
        assert_eq!(pages.content_type(BodyFormat::Json), "application/json");
        let err = Pages::compile(Some("{{nope}}"), None).unwrap_err();
        assert_eq!(err.0, BodyFormat::Html);
    }
}
