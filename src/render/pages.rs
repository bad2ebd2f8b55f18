//! The built-in error bodies, written in the crate's own template language,
//! and [`Pages`]: the template for each format, built-in or yours.

use super::fields::Fields;
use super::format::BodyFormat;
use super::negotiate::JsonType;
use super::template::{Template, TemplateError};

/// The page a visitor sees: what happened, what to do, which hop failed
/// (as text, and as a figure in CSS), and what to quote to support. No
/// script, image or outside resource; a dark variant by
/// `prefers-color-scheme`; text contrast at least 4.5:1 in both.
const HTML: &str = r#"<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{status}} · {{heading}}</title>
<style>
:root{--f:#1b1b1b;--b:#fff;--m:#555;--l:#999;--ok:#0b6b2f;--x:#b3261e}
@media(prefers-color-scheme:dark){:root{--f:#ececec;--b:#161616;--m:#b0b0b0;--l:#666;--ok:#62d68d;--x:#ff8f85}}
body{font:1rem/1.5 system-ui,sans-serif;color:var(--f);background:var(--b);max-width:36em;margin:2em auto;padding:0 1em}
h1{font-size:1.5em;margin:0 0 .4em}h2{font-size:1em;margin:1.4em 0 .3em}
.m{color:var(--m)}.ok{color:var(--ok)}.x{color:var(--x)}a{color:inherit}
.f{display:flex;align-items:center;margin:1em 0;font-size:.85em}
.f b{border:2px solid var(--l);border-radius:.4em;padding:.2em .5em;font-weight:400}
.f i{flex:1;min-width:1em;border-top:3px solid var(--ok)}.f i.x{border-top-style:dashed;border-color:var(--x)}
ul{padding-left:1.2em;margin:0}code{overflow-wrap:anywhere}
</style>
</head>
<body>
<main>
<p class="m">{{text.error}} {{status}}</p>
<h1>{{heading}}</h1>
<p>{{what}}</p>
<h2>{{text.what_you_can_do}}</h2>
<p>{{advice}}</p>
{{#support_url}}<p><a href="{{support_url}}">{{text.support_link}}</a></p>
{{/support_url}}<h2>{{text.where_it_failed}}</h2>
<div class="f" aria-hidden="true"><b>{{text.you}}</b><i></i><b>{{text.this_site}}</b><i class="x"></i><b class="x">{{text.server}}</b></div>
<ul>
<li>{{text.hop_visitor}}: <span class="ok">✓ {{text.working}}</span></li>
<li>{{text.hop_upstream}}: <span class="x">✗ {{upstream_state}}</span></li>
</ul>
<h2>{{text.details}}</h2>
<p class="m">{{#error}}{{text.error_type}}: <code>{{error}}</code><br>
{{/error}}{{#request_id}}{{text.request_id}}: <code>{{request_id}}</code> ({{text.quote_request_id}})<br>
{{/request_id}}{{text.time}}: {{time}}</p>
{{#error_chain}}<pre>{{error_chain}}</pre>
{{/error_chain}}</main>
</body>
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

/// The same facts as the HTML page, a line each.
const TEXT: &str = "{{text.error}} {{status}}: {{heading}}
{{what}}

{{text.what_you_can_do}}: {{advice}}
{{#support_url}}{{text.support_link}}: {{support_url}}
{{/support_url}}
{{text.where_it_failed}}:
- {{text.hop_visitor}}: {{text.working}}
- {{text.hop_upstream}}: {{upstream_state}}

{{#error}}{{text.error_type}}: {{error}}
{{/error}}{{#request_id}}{{text.request_id}}: {{request_id}} ({{text.quote_request_id}})
{{/request_id}}{{text.time}}: {{time}}
{{#error_chain}}details: {{error_chain}}
{{/error_chain}}";

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
    /// Whether each format's page is written in a language, by
    /// [`BodyFormat::index`].
    localized: [bool; BodyFormat::COUNT],
}

impl Pages {
    /// The built-in pages, with the user's templates in their place where
    /// given; a template that does not parse names its format.
    pub(crate) fn compile(templates: Templates) -> Result<Self, (BodyFormat, TemplateError)> {
        let Templates { html, json } = templates;
        let parse = |format, source| Template::parse(format, source).map_err(|e| (format, e));
        let html = parse(BodyFormat::Html, html.as_deref().unwrap_or(HTML))?;
        let json_template = parse(BodyFormat::Json, json.as_deref().unwrap_or(JSON))?;
        let text = parse(BodyFormat::Text, TEXT)?;
        let localized = [&html, &json_template, &text].map(Template::is_localized);
        Ok(Self {
            html,
            json: json_template,
            text,
            custom_json: json.is_some(),
            localized,
        })
    }

    /// The template of `format`.
    pub(crate) fn template(&self, format: BodyFormat) -> &Template {
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

    /// Whether a page in `format` is written in a language: the built-in
    /// HTML and text pages are, a template of yours when it shows a string
    /// of the pages or the language tag.
    pub(crate) fn is_localized(&self, format: BodyFormat) -> bool {
        self.localized[format.index()]
    }

    /// Which media type the JSON body is sent as: a `json_template` is
    /// plain JSON, the built-in body RFC 9457's.
    pub(crate) fn json_type(&self) -> JsonType {
        if self.custom_json {
            JsonType::Plain
        } else {
            JsonType::Problem
        }
    }

    /// The `Content-Type` a body in `format` is sent with.
    pub(crate) fn content_type(&self, format: BodyFormat) -> &'static str {
        match format {
            BodyFormat::Json if self.custom_json => "application/json",
            _ => format.content_type(),
        }
    }
}

/// The builder's templates: the user's HTML and JSON pages, each in place
/// of the built-in one where set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Templates {
    pub(crate) html: Option<String>,
    pub(crate) json: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::language::Languages;
    use crate::UpstreamErrorKind;

    fn html(source: &str) -> Templates {
        Templates {
            html: Some(source.into()),
            json: None,
        }
    }

    fn json(source: &str) -> Templates {
        Templates {
            html: None,
            json: Some(source.into()),
        }
    }

    fn builtin() -> Pages {
        Pages::compile(Templates::default()).expect("the built-in pages parse")
    }

    fn page(pages: &Pages, format: BodyFormat, fields: &Fields<'_>) -> String {
        String::from_utf8(pages.render(format, fields).to_vec()).unwrap()
    }

    #[test]
    fn the_html_page_shows_each_reference_only_when_there_is_one() {
        let pages = builtin();
        let mut fields = Fields::sample();
        let html = page(&pages, BodyFormat::Html, &fields);
        assert!(html.contains("Error type: <code>proxy_internal_error</code>"));
        assert!(html.contains("Time: 2026-12-01 12:00:00 UTC</p>"));
        assert!(!html.contains("Request ID"), "{html}");
        assert!(!html.contains("<pre>"));
        assert!(!html.contains("<a "));

        fields.request_id = Some("r-1".into());
        fields.error = "";
        let html = page(&pages, BodyFormat::Html, &fields);
        assert!(html.contains("Request ID: <code>r-1</code> (Quote it if you contact support.)"));
        assert!(!html.contains("Error type"));
    }

    #[test]
    fn the_html_page_says_what_happened_what_to_do_and_which_hop_failed() {
        let pages = builtin();
        let languages = Languages::compile(Default::default()).unwrap();
        let fields = Fields::for_failure(
            http::StatusCode::GATEWAY_TIMEOUT,
            UpstreamErrorKind::HttpResponseTimeout,
            "edge",
            None,
            None,
        )
        .in_language(
            &languages.all()[0],
            Some(30),
            Some("https://status.example.com/?a=1&b=\"2\""),
        )
        .at("2026-12-01 12:00:00 UTC");
        let html = page(&pages, BodyFormat::Html, &fields);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.contains("<h1>The server took too long</h1>"), "{html}");
        assert!(html.contains("Try again in 30 seconds. If you were sending a form"));
        assert!(html.contains("You → this site: <span class=\"ok\">✓ working</span>"));
        assert!(html.contains("This site → its server: <span class=\"x\">✗ failed</span>"));
        assert!(html.contains(
            "<a href=\"https://status.example.com/?a=1&amp;b=&quot;2&quot;\">Get help</a>"
        ));
        for outside in ["<script", "<img", "<link", "url(", "@import", "src="] {
            assert!(!html.contains(outside), "{outside} in {html}");
        }
        let text = page(&pages, BodyFormat::Text, &fields);
        assert!(
            text.starts_with("Error 504: The server took too long\n"),
            "{text}"
        );
        for fact in [
            "What you can do: Try again in 30 seconds.",
            "Get help: https://status.example.com/?a=1&b=\"2\"",
            "- You → this site: working\n- This site → its server: failed\n",
            "Error type: http_response_timeout\n",
            "Time: 2026-12-01 12:00:00 UTC\n",
        ] {
            assert!(text.contains(fact), "no {fact:?} in {text}");
        }
    }

    #[test]
    fn shed_and_refused_requests_were_not_tried_upstream() {
        let pages = builtin();
        for kind in [
            UpstreamErrorKind::ConnectionLimitReached,
            UpstreamErrorKind::ProxyLoopDetected,
        ] {
            let fields =
                Fields::for_failure(http::StatusCode::SERVICE_UNAVAILABLE, kind, "", None, None)
                    .at("2026-12-01 12:00:00 UTC");
            let text = page(&pages, BodyFormat::Text, &fields);
            assert!(text.contains("This site → its server: not tried"), "{text}");
        }
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
        assert!(!pages.is_localized(BodyFormat::Json));
        assert!(pages.is_localized(BodyFormat::Html) && pages.is_localized(BodyFormat::Text));
    }

    #[test]
    fn the_text_page_has_one_line_per_fact() {
        let mut fields = Fields::sample();
        fields.error_chain = Some("refused\r\nX");
        let text = page(&builtin(), BodyFormat::Text, &fields);
        assert!(
            text.starts_with("Error 502: Something went wrong\n"),
            "{text}"
        );
        assert!(text.contains("\ndetails: refused"));
        assert!(!text.contains('\r'), "{text:?}");
    }

    #[test]
    fn a_template_of_your_own_is_localized_only_if_it_shows_words_of_the_pages() {
        let pages = Pages::compile(json(r#"{"code": {{status}}}"#)).unwrap();
        assert_eq!(pages.content_type(BodyFormat::Json), "application/json");
        let plain = Pages::compile(html("<p>{{status}} {{detail}}</p>")).unwrap();
        assert!(!plain.is_localized(BodyFormat::Html));
        let worded = Pages::compile(html("<p>{{text.what_you_can_do}}</p>")).unwrap();
        assert!(worded.is_localized(BodyFormat::Html));
        let err = Pages::compile(html("{{nope}}")).unwrap_err();
        assert_eq!(err.0, BodyFormat::Html);
        let err = Pages::compile(html("{{text.nope}}")).unwrap_err();
        assert!(err.1.to_string().contains("text.nope"), "{}", err.1);
    }
}
