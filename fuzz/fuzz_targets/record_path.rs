//! The whole record path: a restored store (raw or recorded from arbitrary runs) and one run's shard reports (raw
//! bytes or rendered in every format) → `api::record`.
//!
//! Oracle, recomputed here from the reports parsed one by one: record never fails; the new store loads without
//! warnings; a run with no sample leaves the store byte-identical; otherwise every reported id's newest sample is
//! the MAX over the shards of its per-shard time (never a sum), rounded like the store rounds; every test the run
//! did not report keeps its samples unless pruned; the summary's counts match.
#![no_main]
use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use timeshard::api::{self, RecordRequest, Source};
use timeshard::report::{parse, ParseOptions};
use timeshard::store::{round_seconds, Store};

mod common;

use common::gen::{render, store_bytes, StoreInput, Timing, ROOT};

#[derive(Debug, Arbitrary)]
struct Input {
    store: Option<StoreInput>,
    reports: Vec<Timing>,
    prune_after_runs: u8,
}

/// id → (samples, last_run) of a store.
fn entries(s: &Store) -> BTreeMap<String, (Vec<f64>, u64)> {
    s.iter()
        .map(|t| (t.key.id.clone(), (t.samples.to_vec(), t.last_run)))
        .collect()
}

fuzz_target!(|input: Input| {
    let store = input.store.as_ref().map(store_bytes);
    let reports: Vec<Source> = input
        .reports
        .iter()
        .map(render)
        .map(|(name, data)| Source { name, data })
        .collect();
    let prune = u64::from(input.prune_after_runs % 8);
    let req = RecordRequest {
        store: store.clone(),
        reports: reports.clone(),
        roots: vec![ROOT.to_string()],
        prune_after_runs: prune,
    };
    let result = match api::record(&req) {
        Ok(r) => r,
        Err(e) => panic!("record failed: {e}"),
    };
    for w in &result.summary.warnings {
        assert!(
            !common::has_line_break(w),
            "warning with a control character: {w:?}"
        );
    }
    let old = store
        .as_deref()
        .and_then(|b| Store::load(b).ok())
        .map(|(s, _)| s)
        .unwrap_or_default();
    let opts = ParseOptions {
        roots: req.roots.clone(),
    };
    let (new, warnings) = match Store::load(result.store.as_bytes()) {
        Ok(x) => x,
        Err(e) => panic!("the new store does not load: {e}"),
    };
    assert!(warnings.is_empty(), "the new store warns: {warnings:?}");
    assert_eq!(
        new.to_json(),
        result.store,
        "the new store does not round-trip"
    );

    // The oracle: per-report samples (ids unique within a report), max across reports.
    let mut want: BTreeMap<String, f64> = BTreeMap::new();
    for src in &reports {
        if let Ok(rep) = parse(&src.name, &src.data, &opts) {
            for s in rep.samples {
                let e = want.entry(s.key.id).or_insert(s.seconds);
                *e = e.max(s.seconds);
            }
        }
    }
    let before = entries(&old);
    let after = entries(&new);
    if want.is_empty() {
        assert_eq!(
            result.store,
            old.to_json(),
            "a run without samples changed the store"
        );
        return;
    }
    let now = old.runs() + 1;
    assert_eq!(new.runs(), now);
    for (id, secs) in &want {
        let Some((samples, last_run)) = after.get(id) else {
            panic!("reported `{id}` is not in the store")
        };
        assert_eq!(
            samples.last().copied(),
            Some(round_seconds(*secs)),
            "`{id}`: newest sample is not the max"
        );
        assert_eq!(*last_run, now);
        let mut expected = before.get(id).map(|(s, _)| s.clone()).unwrap_or_default();
        expected.push(round_seconds(*secs));
        let keep = expected.len().saturating_sub(timeshard::store::WINDOW);
        assert_eq!(samples, &expected[keep..], "`{id}`: history not kept");
    }
    let mut missing = 0;
    for (id, (samples, last_run)) in &before {
        if want.contains_key(id) {
            continue;
        }
        missing += 1;
        let pruned = prune > 0 && now - last_run >= prune;
        match after.get(id) {
            Some((s, l)) => {
                assert!(!pruned, "`{id}` should have been pruned");
                assert_eq!(
                    (s, l),
                    (samples, last_run),
                    "`{id}` lost its data although the run did not report it"
                );
            }
            None => assert!(pruned, "`{id}` disappeared without being pruned"),
        }
    }
    let s = &result.summary;
    assert_eq!(s.recorded, want.len());
    assert_eq!(s.new_tests + s.updated_tests, s.recorded);
    assert_eq!(s.missing_count, missing);
    assert_eq!(s.tests, new.len());
});
