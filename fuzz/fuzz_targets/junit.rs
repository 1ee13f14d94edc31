//! JUnit XML: inputs are routed to the XML reader (a leading `<` is added when missing).
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::report::{parse, Format, ParseOptions};

mod common;

fuzz_target!(|data: &[u8]| {
    let xml = common::route(data, b"<", b"<");
    common::check_parse(
        &parse("junit.xml", &xml, &ParseOptions::default()),
        Some(&[Format::JUnit]),
    );
});
