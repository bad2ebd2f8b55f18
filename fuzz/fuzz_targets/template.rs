//! Template checking and filling: any template the builder accepts renders,
//! for every kind and any request id, to a body that parses in its format
//! (a JSON template to valid JSON) with a matching Content-Length.
#![no_main]

#[path = "../../tests/support/responses.rs"]
mod responses;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tower_gateway_error::render::BodyFormat;

#[derive(Debug, Arbitrary)]
struct Input {
    json: bool,
    template: String,
    request_id: Option<Vec<u8>>,
    error_text: String,
    show_details: bool,
    kind: usize,
}

fuzz_target!(|input: Input| {
    let mut case = responses::Case {
        request_id: input.request_id,
        error_text: input.error_text,
        show_details: input.show_details,
        kind: input.kind,
        ..responses::Case::default()
    };
    if input.json {
        case.format = Some(BodyFormat::Json);
        case.json_template = Some(input.template);
    } else {
        case.format = Some(BodyFormat::Html);
        case.html_template = Some(input.template);
    }
    match case.respond() {
        Some(Ok((head, body))) => responses::check(&case, &head, &body),
        // Rejected templates are fine; rejected request ids are skipped.
        Some(Err(_)) | None => {}
    }
});
