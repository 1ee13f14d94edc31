//! The whole plan path: arbitrary discovered tests, sizes, timing files (raw bytes or rendered from arbitrary
//! entries in every format), a store (raw or recorded from arbitrary runs), worker settings and granularity →
//! `api::plan`.
//!
//! Properties: an error only for invalid options (data problems are warnings); on success the plan keeps its
//! invariants (`Plan::check_invariants` against the units recomputed here: every unit exactly once, no empty
//! group, consistent counts) and every number in it is finite and ≥ 0; a fixed worker count gives
//! min(workers, units) groups, `auto` at most `max_workers`; the same request gives the same plan.
#![no_main]
use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use timeshard::api::{self, PlanRequest, Source};
use timeshard::limits::MAX_WORKERS;
use timeshard::plan::{PlanOptions, Workers};
use timeshard::{Granularity, TestKey};

mod common;

use common::gen::{render, store_bytes, Id, Num, StoreInput, Timing, ROOT};

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

    // The units the plan must hold, recomputed: the discovered tests at granularity g, each once, except those
    // inside another unit of their file (its id cut before one of theirs `::`), which run with it.
    if let Some(tests) = &req.tests {
        let all: Vec<TestKey> = tests
            .iter()
            .map(|t| TestKey::from_id(t, &req.roots).unit(g))
            .collect();
        let files: BTreeMap<&str, &str> = all
            .iter()
            .map(|u| (u.id.as_str(), u.file.as_str()))
            .collect();
        let units: Vec<TestKey> = all
            .iter()
            .filter(|u| {
                !u.id
                    .match_indices("::")
                    .any(|(at, _)| files.get(&u.id[..at]).is_some_and(|f| *f == u.file))
            })
            .cloned()
            .collect();
        if let Err(e) = plan.check_invariants(&units) {
            panic!(
                "{e}\nplan: {}",
                serde_json::to_string(&plan).unwrap_or_default()
            );
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
        common::check_units_once(&plan);
    }
    assert!(plan.workers <= MAX_WORKERS);
    for w in &plan.warnings {
        assert!(
            !common::has_line_break(w),
            "warning with a control character: {w:?}"
        );
    }
    for (what, x) in [
        ("lower_bound_seconds", plan.lower_bound_seconds),
        ("predicted_seconds", plan.predicted_seconds),
        ("total_seconds", plan.total_seconds),
        ("predicted_wall_seconds", plan.predicted_wall_seconds),
        ("job_seconds", plan.job_seconds),
    ] {
        check_number(what, x);
    }
    for group in &plan.groups {
        check_number("a group's predicted_seconds", group.predicted_seconds);
    }
    for c in &plan.candidates {
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
