//! Reports parsed by another instance (`report::parsed`, the shim's parse threads).
//!
//! Bytes that do not start with the form's magic are a report: its encoded form decodes, and a plan by file and a
//! plan by test fed the decoded form equal the plans fed the bytes (the threads change nothing). Bytes that start
//! with it are an encoded form: decoding never panics, and a plan fed what decodes never panics and holds each of
//! its units once.
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::api::{self, PlanRequest};
use timeshard::plan::{Plan, PlanOptions, Workers};
use timeshard::report::{parsed, Input, ParseOptions, ParsedReport};
use timeshard::Granularity;

mod common;

use common::gen::ROOT;

fn request(g: Granularity) -> PlanRequest {
    PlanRequest {
        tests: None,
        sizes: vec![],
        timings: vec![],
        store: None,
        roots: vec![ROOT.to_string()],
        options: PlanOptions::new(Workers::Fixed(3), 0.0, g),
    }
}

fn plan_of(g: Granularity, input: Input<'_>) -> Option<Plan> {
    let mut input = Some(input);
    api::plan_streaming(&request(g), |each| {
        if let Some(i) = input.take() {
            each("fuzz.xml", i);
        }
    })
    .ok()
}

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions {
        roots: vec![ROOT.to_string()],
    };
    if !data.starts_with(b"TSPR") {
        let encoded = parsed::encode("fuzz.xml", data, &opts);
        for g in [Granularity::File, Granularity::Test] {
            let decoded = ParsedReport::decode(&encoded).expect("the core's own form decodes");
            let direct = plan_of(g, Input::Bytes(data));
            let handed = plan_of(g, Input::Parsed(decoded));
            assert_eq!(direct, handed, "{g:?}");
        }
        return;
    }
    let Ok(decoded) = ParsedReport::decode(data) else {
        return;
    };
    if let Some(plan) = plan_of(Granularity::Test, Input::Parsed(decoded)) {
        common::check_units_once(&plan);
    }
});
