//! The built-in error bodies, one function per format.

use std::fmt::Write as _;

use super::escape::{push_html, push_json_string, push_text};
use super::Fields;

pub(super) fn html(fields: &Fields<'_>) -> String {
    let mut out = String::with_capacity(768);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{status} {title}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:38em;margin:4em auto;\
         padding:0 1em;color:#222;line-height:1.5}}h1{{font-size:1.6em}}\
         .meta{{color:#666;font-size:.9em}}pre{{white-space:pre-wrap;background:#f4f4f4;\
         padding:.8em}}</style>\n</head>\n<body>\n<h1>{status} {title}</h1>\n<p>",
        status = fields.status,
        title = fields.title,
    );
    push_html(&mut out, fields.detail);
    out.push_str("</p>\n");
    // A replaced upstream error response has no error type.
    if !fields.error.is_empty() || fields.request_id.is_some() {
        out.push_str("<p class=\"meta\">");
        if !fields.error.is_empty() {
            out.push_str("Error: <code>");
            push_html(&mut out, fields.error);
            out.push_str("</code>");
        }
        if let Some(id) = &fields.request_id {
            if !fields.error.is_empty() {
                out.push_str("<br>");
            }
            out.push_str("Request ID: <code>");
            push_html(&mut out, id);
            out.push_str("</code>");
        }
        out.push_str("</p>\n");
    }
    if let Some(details) = fields.details {
        out.push_str("<pre>");
        push_html(&mut out, details);
        out.push_str("</pre>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// RFC 9457 problem details. `type` stays `about:blank`, so `title` is the
/// status phrase, as §4.2.1 asks.
pub(super) fn json(fields: &Fields<'_>) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"type\":\"about:blank\",\"title\":");
    push_json_string(&mut out, fields.title);
    let _ = write!(out, ",\"status\":{},\"detail\":", fields.status);
    push_json_string(&mut out, fields.detail);
    if !fields.error.is_empty() {
        out.push_str(",\"proxy_error\":");
        push_json_string(&mut out, fields.error);
    }
    if let Some(id) = &fields.request_id {
        out.push_str(",\"request_id\":");
        push_json_string(&mut out, id);
    }
    if let Some(details) = fields.details {
        out.push_str(",\"details\":");
        push_json_string(&mut out, details);
    }
    out.push_str("}\n");
    out
}

pub(super) fn text(fields: &Fields<'_>) -> String {
    let mut out = String::with_capacity(160);
    let _ = write!(out, "{} {}\n{}", fields.status, fields.title, fields.detail);
    if !fields.error.is_empty() {
        out.push_str("\nerror: ");
        push_text(&mut out, fields.error, false);
    }
    if let Some(id) = &fields.request_id {
        out.push_str("\nrequest id: ");
        push_text(&mut out, id, false);
    }
    if let Some(details) = fields.details {
        out.push_str("\ndetails: ");
        push_text(&mut out, details, false);
    }
    out.push('\n');
    out
}
