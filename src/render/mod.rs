//! Writing error bodies: the formats ([`BodyFormat`]) and choosing one by
//! `Accept` ([`negotiate`]), the template language the built-in pages and
//! yours are written in, and bodies of your own ([`RenderBody`]).
//!
//! # Templates
//!
//! [`html_template`](crate::GatewayErrorLayerBuilder::html_template) and
//! [`json_template`](crate::GatewayErrorLayerBuilder::json_template) take a
//! page in the same small language as the built-in ones:
//!
//! - `{{field}}` is replaced by the field's value, escaped for the format:
//!   HTML-escaped in an HTML template; in a JSON template a complete JSON
//!   value (`status` a number, the others a string, or `null` when absent),
//!   so placeholders go where values go, unquoted.
//! - `{{#field}}…{{/field}}` is shown only when the field has a value,
//!   `{{^field}}…{{/field}}` only when it has none. Sections nest.
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
//!
//! Templates are checked when the layer is built: unknown fields, unclosed
//! placeholders and sections, and (for JSON) output that is not valid JSON
//! whichever optional fields are absent are rejected with their line and
//! column. Unless error details or a custom renderer are on, everything
//! but the request id is filled in then too, so a failure costs a copy and
//! the escaped id.
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

pub use self::custom::{CustomBody, ErrorContext, RenderBody};
pub(crate) use self::fields::Fields;
pub use self::format::BodyFormat;
pub(crate) use self::language::Languages;
pub use self::language::{Translation, TranslationError};
pub use self::negotiate::negotiate;
pub(crate) use self::negotiate::Negotiator;
pub(crate) use self::pages::Pages;
pub(crate) use self::template::Prepared;
pub use self::template::TemplateError;
