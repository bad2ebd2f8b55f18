//! Accept negotiation on arbitrary bytes: never panics; an Accept that can
//! name none of the three formats (no `html`, `json`, `plain` or `*` in
//! it) always gets the fallback; and the layer's answer for that Accept is
//! well formed.
#![no_main]

#[path = "../../tests/support/responses.rs"]
mod responses;

use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use tower_gateway_error::render::{BodyFormat, negotiate};

fuzz_target!(|accept: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(accept) else {
        return;
    };
    let lower = accept.to_ascii_lowercase();
    let names_none = !["html", "json", "plain", "*"]
        .iter()
        .any(|word| lower.windows(word.len()).any(|w| w == word.as_bytes()));
    for fallback in [BodyFormat::Html, BodyFormat::Json, BodyFormat::Text] {
        let chosen = negotiate(Some(&value), fallback);
        if names_none {
            assert_eq!(chosen, fallback, "{:?}", String::from_utf8_lossy(accept));
        }
    }
    let case = responses::Case {
        accept: Some(accept.to_vec()),
        ..responses::Case::default()
    };
    if let Some(Ok((head, body))) = case.respond() {
        responses::check(&case, &head, &body);
    }
});
