//! Writing error bodies: the formats ([`BodyFormat`]) and choosing one by
//! `Accept` ([`negotiate`]), the template language the built-in pages and
//! yours are written in, and bodies of your own ([`RenderBody`]).
//!
//! # Templates
//!
//! [`html_template`](crate::GatewayErrorLayerBuilder::html_template) and
//! [`json_template`](crate::GatewayErrorLayerBuilder::json_template) take a
//! page in the same small language as the built-in ones, a subset of
//! Mustache:
//!
//! - `{{field}}` is replaced by the field's value, escaped for the format:
//!   HTML-escaped in an HTML template; in a JSON template a complete JSON
//!   value (`status` a number, the others a string, or `null` when absent),
//!   so placeholders go where values go, unquoted.
//! - `{{#field}}…{{/field}}` is shown only when the field has a value,
//!   `{{^field}}…{{/field}}` only when it has none. Sections nest.
//! - `{{! a comment }}` leaves nothing.
//!
//! Where it differs from Mustache: there is no unescaped output
//! (`{{{field}}}`, `{{&field}}`; every value is escaped for its format, so
//! nothing an upstream or a visitor sent can become markup), no partials
//! (`{{>name}}`), no new delimiters (`{{=<% %>=}}`), and no lists: a
//! section shows once or not at all. Those tags, and any field name not
//! listed below, are refused when the layer is built, with their line and
//! column. A JSON value always replaces the whole placeholder (hence no
//! quotes around it), and lines holding only a section tag or a comment
//! keep their line break.
//!
//! The fields:
//!
//! | field | value |
//! |---|---|
//! | `status` | the response's status code, e.g. `502` |
//! | `title` | its reason phrase, e.g. `Bad Gateway` |
//! | `detail` | a sentence for the client, free of addresses and error text |
//! | `error` | the `Proxy-Status` error type, e.g. `connection_refused`; absent when an intercepted upstream answer is replaced |
//! | `request_id` | the request's id (from `x-request-id` unless configured), when it has one |
//! | `error_chain` | the full error chain, only with [`show_details`](crate::GatewayErrorLayerBuilder::show_details) |
//! | `proxy` | this gateway's name, as given to [`proxy_name`](crate::GatewayErrorLayerBuilder::proxy_name) |
//! | `lang` | the page's language tag, e.g. `de` (see [Languages](#languages)) |
//! | `heading`, `what`, `advice` | what happened and what the visitor can do, in the page's language, by kind; `advice` follows `Retry-After` |
//! | `upstream_state` | the state of the hop from this site to its server: `failed`; `not tried` when the gateway shed or refused the request; `answered with an error` for an intercepted upstream answer |
//! | `support_url` | the [`support_url`](crate::GatewayErrorLayerBuilder::support_url), when set |
//! | `time` | the time of the failure, `YYYY-MM-DD hh:mm:ss UTC` |
//! | `text.KEY` | any string of the pages in the page's language, e.g. `{{text.what_you_can_do}}` |
//!
//! A template that shows one of the words of the pages (`lang`, `heading`,
//! `what`, `advice`, `upstream_state`, `text.KEY`) is written in every
//! language offered, and sent with `Content-Language`; one that shows none
//! is the same for everyone, and is sent without.
//!
//! Templates are checked when the layer is built: unknown fields, unclosed
//! placeholders and sections, and (for JSON) output that is not valid JSON
//! whichever optional fields are absent are rejected with their line and
//! column. Unless error details or a custom renderer are on, everything
//! but the request id and the time is filled in then too, for every kind
//! and language, so a failure costs a copy with the time and the escaped
//! id put in.
//!
//! ```
//! use tower_gateway_error::GatewayErrorLayer;
//!
//! let layer = GatewayErrorLayer::builder()
//!     .html_template(
//!         "<h1>{{status}} {{title}}</h1><p>{{detail}}</p>\
//!          {{#request_id}}<p>Quote {{request_id}} to support.</p>{{/request_id}}",
//!     )
//!     .json_template(r#"{"code": {{status}}, "error": {{error}}, "request": {{request_id}}}"#)
//!     .build()
//!     .unwrap();
//! # let _ = layer;
//!
//! let quoted = GatewayErrorLayer::builder()
//!     .json_template(r#"{"error": "{{error}}"}"#)
//!     .build()
//!     .unwrap_err();
//! assert!(quoted.to_string().contains("line 1, column"));
//! ```

//! # Languages
//!
//! The HTML and text pages are written in the visitor's language, chosen
//! by `Accept-Language` with its q-values (`q=0` refuses a language) and by
//! prefix (`de-CH` gets `de`, `zh-CN` and `zh` get `zh-Hans`; traditional
//! Chinese is not served simplified). When nothing matches, the
//! [`default_language`](crate::GatewayErrorLayerBuilder::default_language),
//! English unless set (or the first of
//! [`languages`](crate::GatewayErrorLayerBuilder::languages) when those are
//! set). Pages written in a language carry `Content-Language`, and `Vary`
//! lists `accept-language` when more than one language is offered (and
//! `accept` when the format is negotiated). The problem+json body is for
//! machines and stays in English, without `Content-Language`; so does a
//! body of a custom [`RenderBody`].
//!
//! Built in: English (`en`), German (`de`), Spanish (`es`), French (`fr`),
//! Japanese (`ja`), Brazilian Portuguese (`pt-BR`, served to `pt` and
//! `pt-PT` readers too) and simplified Chinese (`zh-Hans`).
//! [`Translation`] adds a language or changes strings of one;
//! [`languages`](crate::GatewayErrorLayerBuilder::languages) narrows the
//! set offered.
//!
//! Kinds that mean the same to a visitor share a heading, an explanation
//! and advice, the `*_heading`, `*_what` and `*_advice` strings:
//!
//! | strings | kinds |
//! |---|---|
//! | `unreachable_*` | `dns_error`, `dns_timeout`, `destination_ip_unroutable`, `destination_unavailable`, `connection_refused`, `connection_timeout` |
//! | `timeout_*` | `http_response_timeout`, `connection_read_timeout`, `connection_write_timeout` |
//! | `broken_*` | `connection_terminated`, `http_response_incomplete` |
//! | `invalid_*` | `http_protocol_error`, the `http_response_*_size` kinds, `http_response_transfer_coding`, `http_response_content_coding`, `http_upgrade_failed` |
//! | `secure_*` | `tls_protocol_error`, `tls_certificate_error`, `tls_alert_received` |
//! | `busy_*` | `connection_limit_reached` |
//! | `refused_*` | `destination_not_found`, `destination_ip_prohibited`, `http_request_denied`, `http_request_error`, `proxy_loop_detected`, `proxy_configuration_error`, `proxy_internal_response` |
//! | `upstream_error_*` | an [intercepted](crate::GatewayErrorLayerBuilder::intercept) error answer of the upstream |
//! | `failed_*` | `proxy_internal_error` (unclassified) |
//!
//! With a `Retry-After` delay, the advice is `retry_in_seconds` (1 to 119
//! seconds), `retry_in_minutes` (rounded up) or `retry_soon` (0) instead,
//! the number in the form the language's plural rule picks for it (see
//! [`Translation`]'s numbers); for
//! `timeout_*` and `broken_*`, where the request may have arrived,
//! `check_before_resending` follows. A `Retry-After` date leaves the advice
//! as it is. The strings, with their English text:
//!
//! | key | English |
//! |---|---|
//! | `error` | Error |
//! | `what_you_can_do` | What you can do |
//! | `where_it_failed` | Where it failed |
//! | `you` | You |
//! | `this_site` | This site |
//! | `server` | Server |
//! | `hop_visitor` | You → this site |
//! | `hop_upstream` | This site → its server |
//! | `working` | working |
//! | `failed` | failed |
//! | `not_tried` | not tried |
//! | `answered_with_error` | answered with an error |
//! | `details` | Details for support |
//! | `error_type` | Error type |
//! | `request_id` | Request ID |
//! | `quote_request_id` | Quote it if you contact support. |
//! | `time` | Time |
//! | `support_link` | Get help |
//! | `retry_in_seconds` | Try again in {n} seconds. |
//! | `retry_in_minutes` | Try again in {n} minutes. |
//! | `retry_soon` | Try again in a moment. |
//! | `check_before_resending` | If you were sending a form or a payment, check whether it went through before you send it again. |
//! | `unreachable_heading` | This site can’t reach its server |
//! | `unreachable_what` | This site is up, but the server that handles your request could not be reached. |
//! | `unreachable_advice` | This is usually temporary. Try again in a few minutes. |
//! | `timeout_heading` | The server took too long |
//! | `timeout_what` | This site is up, but its server did not answer in time. |
//! | `timeout_advice` | Try again in a few minutes. |
//! | `broken_heading` | The connection broke |
//! | `broken_what` | The connection between this site and its server broke before the answer was complete. |
//! | `broken_advice` | Reload the page in a moment. |
//! | `invalid_heading` | The server’s answer was not usable |
//! | `invalid_what` | The server behind this site sent an answer this site could not use. |
//! | `invalid_advice` | Try again later. If it keeps happening, let the site’s owners know. |
//! | `secure_heading` | No secure connection to the server |
//! | `secure_what` | This site could not set up a secure connection to its server. |
//! | `secure_advice` | Try again later. If it keeps happening, let the site’s owners know. |
//! | `busy_heading` | This site is busy |
//! | `busy_what` | This site is receiving more requests than it can handle right now. |
//! | `busy_advice` | Wait a moment, then try again. |
//! | `refused_heading` | This request can’t be passed on |
//! | `refused_what` | This site could not pass your request on to its server. |
//! | `refused_advice` | Trying again will probably not help. If you need this page, contact the site’s owners. |
//! | `upstream_error_heading` | The server had a problem |
//! | `upstream_error_what` | The server behind this site could not handle your request. |
//! | `upstream_error_advice` | Try again later. If it keeps happening, let the site’s owners know. |
//! | `failed_heading` | Something went wrong |
//! | `failed_what` | This site did not get a valid answer from its server. |
//! | `failed_advice` | Try again in a few minutes. |
//!
//! ```
//! use tower_gateway_error::render::Translation;
//! use tower_gateway_error::GatewayErrorLayer;
//!
//! let layer = GatewayErrorLayer::builder()
//!     .languages(["en", "de", "fr"])
//!     .default_language("de")
//!     .translation(Translation::new("fr").text("support_link", "Page d’état du service"))
//!     .support_url("https://status.example.com")
//!     .build()
//!     .unwrap();
//! # let _ = layer;
//! ```

mod accept_language;
mod custom;
mod escape;
mod fields;
mod format;
mod json_syntax;
mod language;
mod negotiate;
mod pages;
mod template;
mod texts;
mod translations;

pub(crate) use self::custom::Renderer;
pub use self::custom::{CustomBody, ErrorContext, RenderBody};
pub(crate) use self::escape::{is_plain, push_time, push_value, string_quote};
pub(crate) use self::fields::{reason_phrase, request_id_text, Fields, MAX_REQUEST_ID_LEN};
pub use self::format::BodyFormat;
pub(crate) use self::language::{Language, LanguageSettings, Languages};
pub use self::language::{Translation, TranslationError};
pub use self::negotiate::negotiate;
pub(crate) use self::negotiate::{is_tchar, Negotiator};
pub(crate) use self::pages::{Pages, Templates};
pub use self::template::TemplateError;
pub(crate) use self::template::{Piece, Template};
pub use self::texts::{PluralCategory, PluralRule};
