//! cypress-split `timings.json`: an input that does not start with `{` is wrapped as the body of the `durations`
//! array, so the mutator works on the entries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::report::{parse, Format, ParseOptions};

mod common;

fuzz_target!(|data: &[u8]| {
    let json = if data.first() == Some(&b'{') {
        data.to_vec()
    } else {
        let mut v = b"{\"durations\":[".to_vec();
        v.extend_from_slice(data);
        v.extend_from_slice(b"]}");
        v
    };
    common::check_parse(
        &parse("timings.json", &json, &ParseOptions::default()),
        Some(&[Format::DurationsJson, Format::CypressSplit]),
    );
});
