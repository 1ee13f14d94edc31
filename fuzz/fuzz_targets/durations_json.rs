//! pytest-split / conda / Knapsack JSON: inputs are routed to the JSON reader (a leading `{` is added when the
//! input starts with neither `{` nor `[`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::report::{parse, Format, ParseOptions};

mod common;

fuzz_target!(|data: &[u8]| {
    let json = common::route(data, b"{[", b"{");
    common::check_parse(
        &parse(".test_durations", &json, &ParseOptions::default()),
        Some(&[Format::DurationsJson, Format::CypressSplit]),
    );
});
