//! Properties that hold for any input (proptest): every error response has
//! one of the three body content types (or is a gRPC answer), a body that
//! parses in its format with the right status, a `Content-Length` that
//! matches, and error text that reaches HTML only escaped.

#[path = "support/responses.rs"]
mod responses;

use proptest::prelude::*;
use responses::{check, Case};
use tower_gateway_error::render::BodyFormat;

fn format() -> impl Strategy<Value = BodyFormat> {
    prop_oneof![
        Just(BodyFormat::Html),
        Just(BodyFormat::Json),
        Just(BodyFormat::Text)
    ]
}

/// Bytes a header value may hold (tab, visible ASCII, obs-text), so that
/// cases are not skipped for a value no server would pass on.
fn header_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff],
        0..max,
    )
}

/// Accept values: arbitrary header bytes, and text made of media-range
/// pieces.
fn accept() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        header_bytes(120),
        "[a-z*/+;=q0-9., \t-]{0,120}".prop_map(String::into_bytes),
        proptest::collection::vec(
            prop_oneof![
                Just("text/html"),
                Just("application/json"),
                Just("application/problem+json"),
                Just("text/plain"),
                Just("*/*"),
                Just("text/*"),
                Just("image/webp"),
                Just(";q=0"),
                Just(";q=0.5"),
                Just(";q=1.000"),
                Just(";q=2"),
                Just(";q=abc"),
                Just(","),
                Just(" "),
            ],
            0..16
        )
        .prop_map(|pieces| pieces.concat().into_bytes()),
    ]
}

/// Error text with the characters escaping must handle.
fn error_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>&\"' a-z\r\n\t\u{0}\u{7f}\u{85}\u{2028}]{0,40}",
        Just("<script>alert(1)</script>".to_owned()),
        Just("x\r\nSet-Cookie: stolen=1".to_owned()),
    ]
}

/// Valid templates that show every field, so escaping is checked inside
/// them too.
fn templates() -> impl Strategy<Value = (Option<String>, Option<String>)> {
    (
        proptest::option::of(Just(
            "<main><h1>{{status}} {{title}}</h1><p>{{detail}}</p><pre>{{error_chain}}</pre>\
             <a title=\"{{request_id}}\">{{error}}</a> {{proxy}}</main>"
                .to_owned(),
        )),
        proptest::option::of(Just(
            r#"{"code": {{status}}, "error": {{error}}, "details": {{error_chain}}, "id": {{request_id}}, "via": {{proxy}}}"#
                .to_owned(),
        )),
    )
}

/// Settings beyond the format: a status for one kind (sometimes one the
/// builder rejects), a Retry-After, gRPC answers on or off, a proxy name.
type Settings = (
    Option<(usize, u16)>,
    Option<u32>,
    Option<bool>,
    Option<String>,
);

fn settings() -> impl Strategy<Value = Settings> {
    (
        proptest::option::of((any::<usize>(), prop_oneof![Just(200u16), 400u16..=599])),
        proptest::option::of(0u32..100_000),
        proptest::option::of(any::<bool>()),
        proptest::option::of("[ -~]{0,20}"),
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop_oneof![Just("GET"), Just("HEAD"), Just("POST")],
            any::<bool>(),
            proptest::option::of(accept()),
            proptest::option::of(prop_oneof![
                Just(b"application/grpc".to_vec()),
                Just(b"application/grpc+proto".to_vec()),
                Just(b"application/json".to_vec()),
            ]),
            proptest::option::of(header_bytes(40)),
        ),
        (
            any::<usize>(),
            error_text(),
            proptest::option::of(format()),
            proptest::option::of(format()),
            any::<bool>(),
        ),
        templates(),
        settings(),
    )
        .prop_map(
            |(
                (method, http2, accept, content_type, request_id),
                (kind, error_text, format, default_format, show_details),
                (html_template, json_template),
                (status_for, retry_after, grpc, proxy_name),
            )| Case {
                method: Some(method.parse().unwrap()),
                http2,
                accept,
                content_type,
                request_id,
                kind,
                error_text,
                format,
                default_format,
                show_details,
                html_template,
                json_template,
                status_for,
                retry_after,
                grpc,
                proxy_name,
            },
        )
}

proptest! {
    #[test]
    fn every_response_is_well_formed(case in case()) {
        let result = case.respond();
        prop_assume!(result.is_some(), "a header value no server passes on");
        match result.unwrap() {
            Ok((head, body)) => {
                check(&case, &head, &body);
                if let Some(value) = head.headers.get("proxy-status") {
                    prop_assert!(
                        sfv::Parser::new(value.as_bytes()).parse::<sfv::List>().is_ok(),
                        "Proxy-Status is not a structured field list: {:?}",
                        value
                    );
                }
            }
            // Only the settings generated to be rejected are.
            Err(error) => {
                let status_rejected = case.status_for.is_some_and(|(_, s)| s < 400);
                let name_rejected = case.proxy_name.as_deref() == Some("");
                prop_assert!(status_rejected || name_rejected, "{error}");
            }
        }
    }

    #[test]
    fn any_accept_gets_one_of_the_three_formats(accept in accept()) {
        let case = Case { accept: Some(accept), ..Case::default() };
        let result = case.respond();
        prop_assume!(result.is_some());
        {
            let (head, body) = result.unwrap().unwrap();
            let content_type = head.headers["content-type"].to_str().unwrap();
            prop_assert!(
                [
                    "text/html; charset=utf-8",
                    "application/problem+json",
                    "text/plain; charset=utf-8",
                ]
                .contains(&content_type),
                "{content_type}"
            );
            check(&case, &head, &body);
        }
    }

    #[test]
    fn error_text_reaches_html_only_escaped(text in error_text(), kind in any::<usize>()) {
        let case = Case {
            error_text: text.clone(),
            kind,
            format: Some(BodyFormat::Html),
            show_details: true,
            ..Case::default()
        };
        let (head, body) = case.respond().unwrap().unwrap();
        // `check` compares the details block with the text escaped by
        // an independent implementation of the documented rules.
        check(&case, &head, &body);
        // The details header is reduced to visible ASCII, so it cannot
        // carry a line break into the head...
        let proxy_status = head.headers["proxy-status"].as_bytes();
        prop_assert!(!proxy_status.contains(&b'\r') && !proxy_status.contains(&b'\n'));
        // ...and whatever the text says (`\r\nSet-Cookie: ...` among the
        // cases), the head holds only the headers the layer writes.
        for name in head.headers.keys() {
            prop_assert!(
                [
                    "content-type",
                    "content-length",
                    "cache-control",
                    "x-content-type-options",
                    "vary",
                    "content-language",
                    "proxy-status",
                ]
                .contains(&name.as_str()),
                "{name} in {:?}",
                head.headers
            );
        }
    }
}

/// One media range of a generated `Accept`, and its q-value in thousandths
/// (`None`: no `q` parameter, so 1).
fn ranges() -> impl Strategy<Value = Vec<(&'static str, Option<u16>)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                Just("text/html"),
                Just("text/plain"),
                Just("text/*"),
                Just("application/json"),
                Just("application/problem+json"),
                Just("application/vnd.api+json"),
                Just("application/*"),
                Just("*/*"),
                Just("image/png"),
                Just("application/xml"),
            ],
            proptest::option::of(prop_oneof![
                Just(0u16),
                Just(1),
                Just(500),
                Just(800),
                Just(1000)
            ]),
        ),
        0..8,
    )
}

/// How specifically `range` matches `format` (0: not at all), by RFC 9110
/// §12.5.1, written apart from the crate's parser. The built-in JSON body
/// is `application/problem+json`, so that type is JSON's most specific.
fn specificity(range: &str, format: BodyFormat) -> u8 {
    if format == BodyFormat::Json && range == "application/problem+json" {
        return 4;
    }
    let exact = match format {
        BodyFormat::Html => range == "text/html",
        BodyFormat::Text => range == "text/plain",
        _ => range == "application/json" || range.ends_with("+json"),
    };
    let family = match format {
        BodyFormat::Html | BodyFormat::Text => "text/*",
        _ => "application/*",
    };
    if exact {
        3
    } else if range == family {
        2
    } else if range == "*/*" {
        1
    } else {
        0
    }
}

/// The q-value the request gives `format`: that of the most specific range
/// matching it (the highest of equally specific ones), 0 if none does; and
/// whether some range matched it at all.
fn q_of(ranges: &[(&str, Option<u16>)], format: BodyFormat) -> u16 {
    matched(ranges, format).1
}

fn matched(ranges: &[(&str, Option<u16>)], format: BodyFormat) -> (u8, u16) {
    let mut best = (0u8, 0u16);
    for (range, q) in ranges {
        let s = specificity(range, format);
        let q = q.unwrap_or(1000);
        if s > best.0 || (s == best.0 && s > 0 && q > best.1) {
            best = (s, q);
        }
    }
    best
}

fn format_of(content_type: &str) -> BodyFormat {
    match content_type {
        "text/html; charset=utf-8" => BodyFormat::Html,
        "application/problem+json" => BodyFormat::Json,
        "text/plain; charset=utf-8" => BodyFormat::Text,
        other => panic!("not one of the three: {other}"),
    }
}

/// The format the layer answers a failure in, for `accept` and `fallback`.
fn format_answered(accept: &str, fallback: BodyFormat) -> BodyFormat {
    let case = Case {
        accept: Some(accept.as_bytes().to_vec()),
        default_format: Some(fallback),
        ..Case::default()
    };
    let (head, _) = case.respond().unwrap().unwrap();
    format_of(head.headers["content-type"].to_str().unwrap())
}

/// The browsers' values the layer answers from a table made when it is
/// built, and values that differ from them only in q-values.
fn browser_accept() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".to_owned()),
        Just(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
                .to_owned()
        ),
        Just("application/json, text/plain, */*".to_owned()),
        Just("*/*".to_owned()),
        Just("text/plain".to_owned()),
        Just("text/html;q=0,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".to_owned()),
        Just("application/json;q=0, text/plain, */*".to_owned()),
    ]
}

proptest! {
    /// RFC 9110 §12.5.1: `q=0` is "not acceptable". The answer is never a
    /// format the request refused while another is acceptable, and always
    /// one it prefers most; with none acceptable, the fallback.
    #[test]
    fn a_refused_format_is_never_chosen_while_another_is_acceptable(
        ranges in ranges(),
        fallback in format(),
    ) {
        let accept = ranges
            .iter()
            .map(|(range, q)| match q {
                Some(q) => format!("{range};q={}.{:03}", q / 1000, q % 1000),
                None => (*range).to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let chosen = format_answered(&accept, fallback);
        let qs = [BodyFormat::Html, BodyFormat::Json, BodyFormat::Text].map(|f| q_of(&ranges, f));
        let top = qs.into_iter().max().unwrap();
        let refused = |f: BodyFormat| matched(&ranges, f).0 > 0;
        if accept.is_empty() {
            prop_assert_eq!(chosen, fallback, "{}", accept);
        } else if top == 0 {
            // Nothing acceptable: the fallback, unless refused by name
            // while another format was not.
            let all = [BodyFormat::Html, BodyFormat::Json, BodyFormat::Text];
            if refused(fallback) && all.iter().any(|f| !refused(*f)) {
                prop_assert!(!refused(chosen), "{} chose the refused {:?}", accept, chosen);
            } else {
                prop_assert_eq!(chosen, fallback, "{}", accept);
            }
        } else {
            prop_assert_eq!(q_of(&ranges, chosen), top, "{} chose {:?}", accept, chosen);
        }
    }

    /// The same for the values answered from the table made at build time:
    /// they must agree with what parsing them gives.
    #[test]
    fn the_common_accept_values_agree_with_the_parser(
        accept in browser_accept(),
        fallback in format(),
    ) {
        let chosen = format_answered(&accept, fallback);
        let value = http::HeaderValue::from_str(&accept).unwrap();
        prop_assert_eq!(chosen, tower_gateway_error::render::negotiate(Some(&value), fallback));
    }
}

/// Proxy-Status values an upstream might send: valid lists, and bytes that
/// are not one.
fn upstream_proxy_status() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop_oneof![
            Just("cdn; error=connection_timeout".to_owned()),
            Just("lb-7".to_owned()),
            Just("\"edge proxy\"; error=dns_error; rcode=\"NXDOMAIN\"; info-code=3".to_owned()),
            Just("a;b=?1;c=-12.5;d=:aGk=:, (x y);z".to_owned()),
            "[ -~]{0,30}",
            Just(";;; error==".to_owned()),
            Just("lb,".to_owned()),
        ],
        0..4,
    )
}

proptest! {
    /// Whatever the upstream's Proxy-Status, an intercepted answer's is a
    /// valid list (checked by `sfv`, a parser independent of the crate's),
    /// ends with this gateway's member, and keeps the upstream's members
    /// when, joined, they form a valid `Proxy-Status` list.
    #[test]
    fn an_intercepted_answers_proxy_status_is_always_a_valid_list(lines in upstream_proxy_status()) {
        use tower::{Layer, ServiceExt};
        let lines: Vec<http::HeaderValue> = lines
            .iter()
            .filter_map(|line| http::HeaderValue::from_str(line).ok())
            .collect();
        let upstream_lines = lines.clone();
        let upstream = tower::service_fn(move |_: http::Request<()>| {
            let mut response = http::Response::new(String::from("busy"));
            *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
            for line in &upstream_lines {
                response.headers_mut().append("proxy-status", line.clone());
            }
            async move { Ok::<_, std::io::Error>(response) }
        });
        let layer = tower_gateway_error::GatewayErrorLayer::builder()
            .proxy_name("edge")
            .intercept([http::StatusCode::SERVICE_UNAVAILABLE])
            .build()
            .unwrap();
        let response = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(layer.layer(upstream).oneshot(http::Request::new(())))
            .unwrap();
        let value = response.headers()["proxy-status"].to_str().unwrap();
        let list = sfv::Parser::new(value).parse::<sfv::List>();
        prop_assert!(list.is_ok(), "{:?}", value);
        prop_assert!(value.ends_with("edge; received-status=503"), "{:?}", value);
        // The lines joined as RFC 9651 §4.2 joins them, empty ones
        // included; valid only as a list of Strings and Tokens (RFC 9209).
        let joined = lines
            .iter()
            .map(|line| line.to_str().unwrap().trim())
            .collect::<Vec<_>>()
            .join(", ");
        let upstream_valid = sfv::Parser::new(&joined)
            .parse::<sfv::List>()
            .is_ok_and(|list| {
                list.iter().all(|member| {
                    matches!(
                        member,
                        sfv::ListEntry::Item(item)
                            if matches!(item.bare_item, sfv::BareItem::String(_) | sfv::BareItem::Token(_))
                    )
                })
            });
        if upstream_valid && !joined.is_empty() {
            prop_assert!(value.starts_with(&joined), "{:?} lost {:?}", value, joined);
        } else {
            prop_assert_eq!(value, "edge; received-status=503");
        }
    }
}
