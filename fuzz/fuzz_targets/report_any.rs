//! Any bytes → `report::parse`: never panics; on success every sample is usable and parsing is deterministic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::report::{parse, ParseOptions};

mod common;

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions {
        roots: vec!["/home/runner/work/r/r".into()],
    };
    let first = parse("fuzz.xml", data, &opts);
    common::check_parse(&first, None);
    assert_eq!(
        first,
        parse("fuzz.xml", data, &opts),
        "parse is not deterministic"
    );
});
