//! Properties that hold for any input (proptest): every error response has
//! one of the three body content types (or is a gRPC answer), a body that
//! parses in its format with the right status, a `Content-Length` that
//! matches, and error text that reaches HTML only escaped.

#[path = "support/responses.rs"]
mod responses;

use proptest::prelude::*;
use responses::{check, Case};
use tower_gateway_error::BodyFormat;

fn format() -> impl Strategy<Value = BodyFormat> {
    prop_oneof![
        Just(BodyFormat::Html),
        Just(BodyFormat::Json),
        Just(BodyFormat::Text)
    ]
}

/// Accept values: arbitrary bytes, and text made of media-range pieces.
fn accept() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..120),
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
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
        ),
        (
            any::<usize>(),
            error_text(),
            proptest::option::of(format()),
            proptest::option::of(format()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (method, http2, accept, content_type, request_id),
                (kind, error_text, format, default_format, show_details),
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
                ..Case::default()
            },
        )
}

proptest! {
    #[test]
    fn every_response_is_well_formed(case in case()) {
        if let Some(result) = case.respond() {
            let (head, body) = result.expect("these settings are valid");
            check(&case, &head, &body);
        }
    }

    #[test]
    fn any_accept_gets_one_of_the_three_formats(accept in accept()) {
        let case = Case { accept: Some(accept), ..Case::default() };
        if let Some(result) = case.respond() {
            let (head, body) = result.unwrap();
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
        // carry a line break into the head.
        let proxy_status = head.headers["proxy-status"].as_bytes();
        prop_assert!(!proxy_status.contains(&b'\r') && !proxy_status.contains(&b'\n'));
        prop_assert!(head.headers.get("set-cookie").is_none());
    }
}
