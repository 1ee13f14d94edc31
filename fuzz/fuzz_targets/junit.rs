//! JUnit XML: inputs are routed to the XML reader (a leading `<` is added when missing). The reader's lane for runs
//! of `<testcase …/>` must give exactly what quick-xml's general path gives.
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::report::{junit_paths_agree, parse, Format, ParseOptions};

mod common;

fuzz_target!(|data: &[u8]| {
    let xml = common::route(data, b"<", b"<");
    common::check_parse(
        &parse("junit.xml", &xml, &ParseOptions::default()),
        Some(&[Format::JUnit]),
    );
    if let Ok(text) = std::str::from_utf8(&xml) {
        if let Err(diff) = junit_paths_agree(text) {
            panic!("the fast lane and the general path differ:\n{diff}");
        }
    }
});
