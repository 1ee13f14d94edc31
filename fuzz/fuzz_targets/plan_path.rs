//! The whole plan path: arbitrary discovered tests, sizes, timing files (raw bytes or rendered from arbitrary
//! entries in every format), a store (raw or recorded from arbitrary runs), worker settings and granularity →
//! `api::plan`.
//!
//! Properties: an error only for invalid options (data problems are warnings); on success the plan keeps its
//! invariants (`Plan::check_invariants` against the units recomputed here: every unit exactly once, no empty
//! group, consistent counts) and every number in it is finite and ≥ 0; a fixed worker count gives
//! min(workers, units) groups, `auto` at most `max_workers`; the same request gives the same plan.
#![no_main]
use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use timeshard::api::{self, PlanRequest, Source};
use timeshard::limits::MAX_WORKERS;
use timeshard::plan::{PlanOptions, Workers};
use timeshard::report::Sample;
use timeshard::store::{RecordOptions, Store};
use timeshard::{Granularity, TestKey};

mod common;

const ROOT: &str = "/home/runner/work/r/r";

/// Files as discovery and reports spell them: relative, `./`, absolute under the root, backslashes, odd.
const FILES: &[&str] = &[
    "tests/test_a.py",
    "./tests/test_a.py",
    "/home/runner/work/r/r/tests/test_a.py",
    "tests\\test_b.py",
    "backend/tests/test_a.py",
    "spec/models/user_spec.rb",
    "pkg/x",
    "",
    "a:b.rb",
    "tests//test_c.py/",
    "é/ü.py",
];
const SEGMENTS: &[&str] = &[
    "TestClass",
    "test_one",
    "test_two[1-2]",
    "",
    "TestX/sub",
    "a b",
    "::",
    "[ünï]",
];
const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    0.001,
    0.5,
    1.0,
    2.5,
    37.0,
    600.0,
    1e6,
    1e7,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e-300,
    5e-324,
    1e308,
    f64::MAX,
];

/// A number from the interesting pool, or any bit pattern.
#[derive(Debug, Clone, Copy)]
struct Num(f64);
impl<'a> Arbitrary<'a> for Num {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Num(if u.ratio(1, 8)? {
            f64::arbitrary(u)?
        } else {
            *u.choose(NUMBERS)?
        }))
    }
}

/// A test id built from the pools (so that tests, timings and the store overlap), or any string.
#[derive(Debug, Clone)]
struct Id(String);
impl<'a> Arbitrary<'a> for Id {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(1, 16)? {
            return Ok(Id(String::arbitrary(u)?));
        }
        let mut id = u.choose(FILES)?.to_string();
        for _ in 0..u.int_in_range(0..=3)? {
            id.push_str("::");
            id.push_str(u.choose(SEGMENTS)?);
        }
        Ok(Id(id))
    }
}

/// A timing file: raw bytes, or entries rendered in one of the formats.
#[derive(Debug, Arbitrary)]
enum Timing {
    Raw(Vec<u8>),
    Durations(Vec<(Id, Num)>),
    Cypress(Vec<(Id, Option<Num>)>),
    Log(Vec<(Id, Num)>),
    Junit {
        suite_time: Option<Num>,
        cases: Vec<(Id, Option<Id>, Num)>,
    },
}

/// The restored store: raw bytes, or recorded from runs of samples.
#[derive(Debug, Arbitrary)]
enum StoreInput {
    Raw(Vec<u8>),
    Runs {
        runs: Vec<Vec<Vec<(Id, Num)>>>,
        prune_after_runs: u8,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    tests: Option<Vec<Id>>,
    sizes: Vec<Option<Num>>,
    timings: Vec<Timing>,
    store: Option<StoreInput>,
    auto: bool,
    workers: u16,
    target_seconds: Num,
    overhead: Num,
    granularity: u8,
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        // Not JSON; the parser must cope.
        format!("{x}")
    }
}

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

fn render(t: &Timing) -> (String, Vec<u8>) {
    match t {
        Timing::Raw(b) => ("raw".into(), b.clone()),
        Timing::Durations(entries) => {
            let body: Vec<String> = entries
                .iter()
                .map(|(id, n)| format!("{}: {}", json_str(&id.0), json_num(n.0)))
                .collect();
            (
                ".test_durations".into(),
                format!("{{{}}}", body.join(",\n")).into_bytes(),
            )
        }
        Timing::Cypress(entries) => {
            let body: Vec<String> = entries
                .iter()
                .map(|(id, n)| {
                    let d = n.map_or("null".to_string(), |n| json_num(n.0 * 1000.0));
                    format!("{{\"spec\": {}, \"duration\": {d}}}", json_str(&id.0))
                })
                .collect();
            (
                "timings.json".into(),
                format!("{{\"durations\": [{}]}}", body.join(",")).into_bytes(),
            )
        }
        Timing::Log(entries) => {
            let lines: Vec<String> = entries
                .iter()
                .map(|(id, n)| format!("{}:{}", id.0, n.0))
                .collect();
            (
                "parallel_runtime_rspec.log".into(),
                lines.join("\n").into_bytes(),
            )
        }
        Timing::Junit { suite_time, cases } => {
            let mut xml =
                String::from("<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"s\"");
            if let Some(t) = suite_time {
                xml.push_str(&format!(" time=\"{}\"", t.0));
            }
            xml.push('>');
            for (name, file, secs) in cases {
                xml.push_str(&format!(
                    "<testcase name=\"{}\" time=\"{}\"",
                    xml_attr(&name.0),
                    secs.0
                ));
                if let Some(f) = file {
                    xml.push_str(&format!(" file=\"{}\"", xml_attr(&f.0)));
                }
                xml.push_str("/>\n");
            }
            xml.push_str("</testsuite></testsuites>\n");
            ("junit.xml".into(), xml.into_bytes())
        }
    }
}

fn store_bytes(s: &StoreInput) -> Vec<u8> {
    match s {
        StoreInput::Raw(b) => b.clone(),
        StoreInput::Runs {
            runs,
            prune_after_runs,
        } => {
            let mut store = Store::new();
            let opts = RecordOptions {
                prune_after_runs: u64::from(*prune_after_runs % 12),
            };
            for run in runs {
                let reports: Vec<Vec<Sample>> = run
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|(id, n)| Sample {
                                key: TestKey::from_id(&id.0, &[]),
                                seconds: n.0,
                            })
                            .collect()
                    })
                    .collect();
                let summary = store.record_run(&reports, &opts);
                assert_eq!(summary.tests, store.len());
                assert_eq!(summary.recorded, summary.new_tests + summary.updated_tests);
            }
            store.to_json().into_bytes()
        }
    }
}

fn check_number(what: &str, x: f64) {
    assert!(x.is_finite() && x >= 0.0, "{what} is {x}");
}

fuzz_target!(|input: Input| {
    let g = match input.granularity % 3 {
        0 => Granularity::File,
        1 => Granularity::Suite,
        _ => Granularity::Test,
    };
    let workers = if input.auto {
        Workers::Auto {
            target_seconds: input.target_seconds.0,
            max_workers: usize::from(input.workers % 300),
        }
    } else {
        Workers::Fixed(usize::from(input.workers % 300))
    };
    let options = PlanOptions::new(workers, input.overhead.0, g);
    let req = PlanRequest {
        tests: input
            .tests
            .as_ref()
            .map(|t| t.iter().map(|id| id.0.clone()).collect()),
        sizes: input.sizes.iter().map(|s| s.map(|n| n.0)).collect(),
        timings: input
            .timings
            .iter()
            .map(render)
            .map(|(name, data)| Source { name, data })
            .collect(),
        store: input.store.as_ref().map(store_bytes),
        roots: vec![ROOT.to_string()],
        options: options.clone(),
    };
    let plan = match api::plan(&req) {
        Ok(p) => p,
        Err(e) => {
            common::check_error(&e);
            assert!(
                options.validate().is_err(),
                "valid options but an error: {e}"
            );
            return;
        }
    };
    assert!(
        options.validate().is_ok(),
        "invalid options accepted: {options:?}"
    );

    // The units the plan must hold, recomputed: the discovered tests at granularity g, each once.
    if let Some(tests) = &req.tests {
        let units: Vec<TestKey> = tests
            .iter()
            .map(|t| TestKey::from_id(t, &req.roots).unit(g))
            .collect();
        if let Err(e) = plan.check_invariants(&units) {
            panic!("{e}");
        }
        let distinct: BTreeSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
        match workers {
            Workers::Fixed(n) => assert_eq!(plan.workers, n.min(distinct.len())),
            Workers::Auto { max_workers, .. } => {
                assert!(plan.workers <= max_workers.min(distinct.len()))
            }
        }
    } else {
        // Units come from the timing data: each once, in some group, no empty group.
        let mut seen = BTreeSet::new();
        for group in &plan.groups {
            assert!(!group.tests.is_empty(), "empty group {}", group.index);
            for t in &group.tests {
                assert!(seen.insert(t.clone()), "`{t}` planned twice");
            }
        }
        assert_eq!(seen.len(), plan.tests);
    }
    assert!(plan.workers <= MAX_WORKERS);
    for w in &plan.warnings {
        assert!(
            !common::has_line_break(w) || common::known_bug(w),
            "warning with a control character: {w:?}"
        );
    }
    // Known bugs (tests/hostile.rs `huge_job_overhead_gives_finite_plan_numbers`, `huge_stored_sample_gives_finite_
    // plan_numbers`): any finite overhead, store sample or size is accepted and the plan's sums and millisecond
    // rounding overflow to infinity. The number checks are skipped for such inputs until that is fixed.
    let huge = |x: f64| x > 1e12;
    let stored_huge = req
        .store
        .as_deref()
        .and_then(|b| Store::load(b).ok())
        .is_some_and(|(s, _)| s.timings().iter().any(|t| huge(t.seconds)));
    let sizes_huge = req.sizes.iter().flatten().any(|&x| huge(x));
    let known_overflow = huge(input.overhead.0) || stored_huge || sizes_huge;
    for (what, x) in [
        ("lower_bound_seconds", plan.lower_bound_seconds),
        ("predicted_seconds", plan.predicted_seconds),
        ("total_seconds", plan.total_seconds),
        ("predicted_wall_seconds", plan.predicted_wall_seconds),
        ("job_seconds", plan.job_seconds),
    ] {
        if !known_overflow {
            check_number(what, x);
        }
    }
    for group in plan.groups.iter().filter(|_| !known_overflow) {
        check_number("a group's predicted_seconds", group.predicted_seconds);
    }
    for c in plan.candidates.iter().filter(|_| !known_overflow) {
        check_number("a candidate's predicted_seconds", c.predicted_seconds);
        check_number("a candidate's wall_seconds", c.wall_seconds);
    }
    let json = match serde_json::to_string(&plan) {
        Ok(j) => j,
        Err(e) => panic!("plan does not serialize: {e}"),
    };
    let again = api::plan(&req)
        .ok()
        .and_then(|p| serde_json::to_string(&p).ok());
    assert_eq!(
        again.as_deref(),
        Some(json.as_str()),
        "same request, different plan"
    );
});
