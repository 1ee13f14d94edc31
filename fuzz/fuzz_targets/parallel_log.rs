//! parallel_tests runtime logs: inputs are routed to the log reader (a leading `a` is added unless the input
//! starts with an ASCII letter, digit, `.` or `/`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::report::{parse, Format, ParseOptions};

mod common;

const STARTS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";

fuzz_target!(|data: &[u8]| {
    let log = common::route(data, STARTS, b"a");
    common::check_parse(
        &parse("parallel_runtime_rspec.log", &log, &ParseOptions::default()),
        Some(&[Format::ParallelTestsLog]),
    );
});
