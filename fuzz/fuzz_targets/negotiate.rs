//! Accept negotiation on arbitrary bytes: never panics, always picks one of
//! the three formats, and the layer's answer for that Accept is well formed.
#![no_main]

#[path = "../../tests/support/responses.rs"]
mod responses;

use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use tower_gateway_error::{negotiate, BodyFormat};

fuzz_target!(|accept: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(accept) else {
        return;
    };
    for fallback in [BodyFormat::Html, BodyFormat::Json, BodyFormat::Text] {
        let chosen = negotiate(Some(&value), fallback);
        assert!(matches!(chosen, BodyFormat::Html | BodyFormat::Json | BodyFormat::Text));
    }
    let case = responses::Case {
        accept: Some(accept.to_vec()),
        ..responses::Case::default()
    };
    if let Some(Ok((head, body))) = case.respond() {
        responses::check(&case, &head, &body);
    }
});
